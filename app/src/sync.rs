//! Keeping this browser's copy of the account and the server's in step.
//!
//! Every edit lands in this browser's copy first (the signals, then
//! IndexedDB via `saved`) and is marked pending; `sync` then pushes it with
//! `If-Match`. When someone else wrote first (412), the server's copy is
//! fetched and merged item by item (core's merges, tombstones included) and
//! the write retried. Without the network the edit simply stays pending
//! until it returns. Changes made elsewhere are pulled on focus, on
//! reconnect, and every half minute.
//!
//! The keyring goes before the metadata, so other browsers never list a
//! keypair whose private key hasn't arrived. A keyring the server serves
//! with a revision lower than one it has served or acknowledged before is
//! refused (a rollback), and this browser keeps its newer copy.

use std::{sync::Arc, time::Duration};

use keyhaven_core::{
    keyring::Keyring,
    model::{Kind, Metadata, Replaced},
};
use leptos::prelude::*;

use crate::{
    net::api::{self, ApiError},
    saved::{self, Saved},
    state::{AppState, hex, now_ms},
};

pub const METADATA: &str = "metadata";
pub const KEYRING: &str = "keyring";
/// Merge-and-retry rounds before giving up on a contended write.
const MAX_ATTEMPTS: usize = 5;
/// How often an open app looks for changes made elsewhere.
const PULL_EVERY: Duration = Duration::from_secs(30);

/// Serializes syncs: one push or pull at a time, edits meanwhile queue.
pub type SyncLock = Arc<futures::lock::Mutex<()>>;

impl AppState {
    /// Opens the account: this browser's copy at once, then the server's.
    /// Fails only when neither can be had.
    pub async fn load(&self) -> Result<(), ApiError> {
        let Some(user) = self.user.get_untracked().flatten() else {
            return Ok(());
        };
        let saved = saved::load(&user).await;
        if saved.is_none() && saved::user().await.is_some() {
            // Another account's copy: it goes when someone else signs in.
            let _ = saved::clear().await;
        }
        let have_copy = saved.is_some();
        if let Some(saved) = saved {
            self.restore(saved);
        }
        match self.sync_now(true).await {
            // Without the server this browser's copy opens; its problems
            // show in the sync status.
            Err(error) if !have_copy => return Err(error),
            _ => {}
        }
        self.loaded.set(true);
        Ok(())
    }

    /// Applies `edit` to this browser's copy and syncs it. Without the
    /// network the edit waits (the UI shows it pending) and this is `Ok`;
    /// an error means the server refused it, and the edit is still kept.
    pub async fn update_metadata(
        &self,
        edit: impl Fn(&mut Metadata, u64, &str),
    ) -> Result<(), ApiError> {
        let device = self.device();
        self.metadata.update(|m| edit(m, now_ms(), &device));
        self.metadata_pending.set(true);
        self.persist().await;
        self.sync(false).await
    }

    /// Pushes what is pending (and first pulls, with `pull`); an
    /// unreachable server is not an error here: the changes wait.
    pub async fn sync(&self, pull: bool) -> Result<(), ApiError> {
        match self.sync_now(pull).await {
            Err(ApiError::Offline) => Ok(()),
            other => other,
        }
    }

    async fn sync_now(&self, pull: bool) -> Result<(), ApiError> {
        if self.user.get_untracked().flatten().is_none() {
            return Ok(());
        }
        let lock = self.sync_lock.get_value();
        let _one_at_a_time = lock.lock().await;
        let result = async {
            if pull {
                self.pull().await?;
            }
            self.push_keyring().await?;
            self.push_metadata().await
        }
        .await;
        match &result {
            Ok(()) => {
                self.reachable.set(true);
                self.sync_problem.set(None);
                if !self.pending() {
                    self.synced_at.set(Some(now_ms()));
                }
            }
            Err(ApiError::Offline) => {
                self.reachable.set(false);
                self.retry_later();
            }
            Err(error) => {
                self.reachable.set(true);
                // A rollback has its own warning.
                if self.rollback.get_untracked().is_none() {
                    self.sync_problem.set(Some(error.to_string()));
                }
            }
        }
        self.persist().await;
        result
    }

    /// Whether this browser holds changes the server hasn't acknowledged.
    pub fn pending(&self) -> bool {
        self.metadata_pending.get_untracked() || self.keyring_pending.get_untracked()
    }

    /// Takes in what changed on the server since this browser last looked.
    async fn pull(&self) -> Result<(), ApiError> {
        let blobs = api::list_blobs().await?;
        let tag_of = |name: &str| blobs.iter().find(|b| b.name == name).map(|b| b.tag.clone());
        let keyring_tag = tag_of(KEYRING);
        // A refused keyring (say, rolled back) doesn't stop the metadata.
        let keyring = if keyring_tag != self.keyring_tag.get_untracked() {
            self.fetch_keyring().await?
        } else {
            Ok(())
        };
        let metadata_tag = tag_of(METADATA);
        if metadata_tag.is_some()
            && metadata_tag != self.metadata_tag.get_untracked()
            && let Some((bytes, tag)) = api::get_blob(METADATA).await?
        {
            self.integrate_metadata(&bytes, tag);
        }
        keyring
    }

    async fn push_keyring(&self) -> Result<(), ApiError> {
        for _ in 0..MAX_ATTEMPTS {
            if !self.keyring_pending.get_untracked() {
                return Ok(());
            }
            let Some(view) = self.keyring.get_untracked() else {
                self.keyring_pending.set(false);
                return Ok(());
            };
            let tag = self.keyring_tag.get_untracked();
            match api::put_blob(KEYRING, &view.to_bytes(), tag.as_deref()).await {
                Ok(new_tag) => {
                    self.keyring_tag.set(Some(new_tag));
                    self.saw_revision(&view);
                    // An edit made while this write was on its way stays
                    // pending for the next round.
                    let current = self
                        .keyring
                        .with_untracked(|k| k.as_ref().map(Keyring::revision));
                    if current == Some(view.revision()) {
                        self.keyring_pending.set(false);
                    }
                }
                Err(ApiError::Conflict { .. }) => self.fetch_keyring().await??,
                Err(other) => return Err(other),
            }
        }
        Err(too_contended())
    }

    async fn push_metadata(&self) -> Result<(), ApiError> {
        for _ in 0..MAX_ATTEMPTS {
            if !self.metadata_pending.get_untracked() {
                return Ok(());
            }
            let local = self.metadata.get_untracked();
            let tag = self.metadata_tag.get_untracked();
            match api::put_blob(METADATA, &local.to_json(), tag.as_deref()).await {
                Ok(new_tag) => {
                    self.metadata_tag.set(Some(new_tag));
                    if self.metadata.with_untracked(|m| *m == local) {
                        self.metadata_pending.set(false);
                    }
                }
                Err(ApiError::Conflict { .. }) => match api::get_blob(METADATA).await? {
                    Some((bytes, tag)) => self.integrate_metadata(&bytes, tag),
                    None => self.metadata_tag.set(None),
                },
                Err(other) => return Err(other),
            }
        }
        Err(too_contended())
    }

    /// Fetches the server's keyring and takes it in. The outer error is the
    /// fetch's; the inner one says the keyring was refused (unreadable,
    /// rolled back, or waiting for unlock).
    async fn fetch_keyring(&self) -> Result<Result<(), ApiError>, ApiError> {
        Ok(match api::get_blob(KEYRING).await? {
            Some((bytes, tag)) => self.integrate_keyring(&bytes, tag),
            None => {
                self.keyring_gone();
                Ok(())
            }
        })
    }

    /// Folds the server's metadata into this browser's; what remains only
    /// here stays pending. Tells the user about their edits that lost to a
    /// later one.
    fn integrate_metadata(&self, bytes: &[u8], tag: String) {
        self.metadata_tag.set(Some(tag));
        let Ok(remote) = Metadata::from_json(bytes) else {
            // Unreadable there: this browser's copy replaces it.
            self.metadata_pending.set(true);
            return;
        };
        let mut merged = self.metadata.get_untracked();
        let report = merged.merge(&remote);
        let device = self.device();
        let lost: Vec<String> = report
            .replaced
            .iter()
            .filter(|r| r.by == device)
            .map(replaced_notice)
            .collect();
        if !lost.is_empty() {
            self.notices.update(|n| n.extend(lost));
        }
        self.metadata_pending.set(merged != remote);
        if self.metadata.with_untracked(|m| *m != merged) {
            self.metadata.set(merged);
        }
    }

    /// Takes in the server's keyring: refused when it is older than one
    /// the server already served (a rollback); merged entry by entry when
    /// unlocked; taken as it is when this browser has nothing pending.
    fn integrate_keyring(&self, bytes: &[u8], tag: String) -> Result<(), ApiError> {
        let remote = Keyring::parse(bytes).map_err(|e| {
            failed(format!(
                "The server's copy of the keyring can't be read ({e}); this browser keeps its own."
            ))
        })?;
        let (seen_id, seen) = self.highest.get_value();
        if seen_id.as_deref() == Some(hex(&remote.id()).as_str())
            && let Err(error) = remote.check_revision(seen)
        {
            let warning = format!(
                "{error} This browser keeps its newer copy. Tell whoever runs the Keyhaven \
                 server: it (or a backup restored into it) served an old keyring."
            );
            self.rollback.set(Some(warning.clone()));
            return Err(failed(warning));
        }
        let same_keyring =
            self.keyring.with_untracked(|k| k.as_ref().map(Keyring::id)) == Some(remote.id());
        let pending = self.keyring_pending.get_untracked();
        if !same_keyring {
            // Reset and re-created elsewhere: this browser's key is for a
            // keyring that no longer exists.
            // (A keyring created here and never stored: its creator says so.)
            if pending && self.keyring_tag.get_untracked().is_some() {
                self.notices.update(|n| n.push(KEYRING_REPLACED.into()));
            }
            self.lock();
            self.take_keyring(remote, tag);
            return Ok(());
        }
        if self.is_unlocked() {
            let merged = self
                .merge_unlocked(&remote, pending)
                .map_err(|e| failed(format!("{e} This browser keeps its own copy.")))?;
            self.keyring_tag.set(Some(tag));
            self.saw_revision(&remote);
            match merged {
                // Something of ours the server lacks: sealed, to be pushed.
                Some(view) if pending => self.keyring.set(Some(view)),
                _ => {
                    self.keyring_pending.set(false);
                    self.keyring.set(Some(remote));
                }
            }
            return Ok(());
        }
        if pending {
            // Merging needs the data key: wait for the keyring to be
            // unlocked (unlocking syncs).
            return Err(failed(
                "Unlock the keyring to sync the changes made to it in this browser.".into(),
            ));
        }
        self.take_keyring(remote, tag);
        Ok(())
    }

    fn take_keyring(&self, remote: Keyring, tag: String) {
        self.saw_revision(&remote);
        self.keyring.set(Some(remote));
        self.keyring_tag.set(Some(tag));
        self.keyring_pending.set(false);
    }

    /// The account has no keyring on the server any more (reset elsewhere).
    fn keyring_gone(&self) {
        if self.keyring_pending.get_untracked() {
            self.notices.update(|n| n.push(KEYRING_REPLACED.into()));
        }
        self.lock();
        self.keyring.set(None);
        self.keyring_tag.set(None);
        self.keyring_pending.set(false);
    }

    /// Remembers the highest revision the server has served or accepted.
    pub(crate) fn saw_revision(&self, keyring: &Keyring) {
        let id = hex(&keyring.id());
        self.highest.update_value(|(seen_id, seen)| {
            if seen_id.as_deref() == Some(id.as_str()) {
                *seen = (*seen).max(keyring.revision());
            } else {
                *seen_id = Some(id);
                *seen = keyring.revision();
            }
        });
    }

    /// Writes this browser's copy to IndexedDB.
    pub(crate) async fn persist(&self) {
        let Some(user) = self.user.get_untracked().flatten() else {
            return;
        };
        let (keyring_id, highest_revision) = self.highest.get_value();
        let copy = Saved {
            user,
            metadata: Some(self.metadata.with_untracked(Metadata::to_json)),
            metadata_tag: self.metadata_tag.get_untracked(),
            metadata_pending: self.metadata_pending.get_untracked(),
            keyring: self
                .keyring
                .with_untracked(|k| k.as_ref().map(Keyring::to_bytes)),
            keyring_tag: self.keyring_tag.get_untracked(),
            keyring_pending: self.keyring_pending.get_untracked(),
            highest_revision,
            keyring_id,
            synced_at: self.synced_at.get_untracked(),
        };
        if let Err(error) = saved::store(&copy).await {
            self.sync_problem.set(Some(error));
        }
    }

    /// Puts back this browser's copy (before the server answers).
    fn restore(&self, saved: Saved) {
        if let Some(metadata) = saved.metadata.and_then(|b| Metadata::from_json(&b).ok()) {
            self.metadata.set(metadata);
        }
        self.metadata_tag.set(saved.metadata_tag);
        self.metadata_pending.set(saved.metadata_pending);
        let keyring = saved.keyring.and_then(|b| Keyring::parse(&b).ok());
        self.keyring_pending
            .set(saved.keyring_pending && keyring.is_some());
        self.keyring.set(keyring);
        self.keyring_tag.set(saved.keyring_tag);
        self.highest
            .set_value((saved.keyring_id, saved.highest_revision));
        self.synced_at.set(saved.synced_at);
    }

    /// After an unreachable server: try again soon (the `online` event
    /// covers a browser that knows it is offline).
    fn retry_later(&self) {
        if !self.pending() || !self.online.get_untracked() || self.retrying.get_value() {
            return;
        }
        self.retrying.set_value(true);
        let state = *self;
        set_timeout(
            move || {
                state.retrying.set_value(false);
                leptos::task::spawn_local(async move {
                    let _ = state.sync(false).await;
                });
            },
            Duration::from_secs(3),
        );
    }
}

/// Pulls on focus, on reconnect and periodically while the page is open.
pub fn start(state: AppState) {
    let pull = move || {
        if state.loaded.get_untracked() && state.online.get_untracked() {
            leptos::task::spawn_local(async move {
                let _ = state.sync(true).await;
            });
        }
    };
    // (`visibilitychange` bubbles from the document to the window.)
    for event in ["focus", "online", "visibilitychange"] {
        // Listens as long as the page lives.
        let _ = window_event_listener_untyped(event, move |_| {
            if event != "visibilitychange" || !document().hidden() {
                pull();
            }
        });
    }
    let _ = set_interval_with_handle(pull, PULL_EVERY);
}

const KEYRING_REPLACED: &str = "The keyring was reset on another device, so the changes made to it \
     in this browser could not be kept. Systems, keypairs' public keys and connections are unchanged.";

/// "Your edit to SSH Connection “nas2” was replaced by a later edit made
/// on another device."
fn replaced_notice(replaced: &Replaced) -> String {
    let what = match replaced.kind {
        Kind::System => "TrueNAS system",
        Kind::Keypair => "SSH Keypair",
        Kind::Connection => "SSH Connection",
    };
    let by = if replaced.deleted {
        "was replaced: it was deleted later on another device"
    } else {
        "was replaced by a later edit made on another device"
    };
    format!("Your edit to {what} “{}” {by}.", replaced.name)
}

fn too_contended() -> ApiError {
    failed(
        "Others kept changing this at the same time; your changes are kept here. Try again.".into(),
    )
}

fn failed(message: String) -> ApiError {
    ApiError::Failed { status: 0, message }
}
