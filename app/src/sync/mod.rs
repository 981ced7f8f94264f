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
//! keypair whose private key hasn't arrived. What to do with the server's
//! keyring is core's decision (`keyhaven_core::sync::decide`): nothing
//! replaces this browser's copy unless it is proven, and a missing, older,
//! unreadable or unverifiable keyring is a conflict the user settles
//! ("Restore from this browser", or knowingly adopt the server's).

mod keyring;
mod saved_copy;

use std::time::Duration;

use keyhaven_core::{
    keyring::Keyring,
    model::{Metadata, Replaced},
    sync as decide,
};
use leptos::prelude::*;

use crate::{
    error::AppError,
    net::api::{self, ApiError, KEYRING, METADATA},
    saved,
    state::{AppState, now_ms},
    tabs, trust,
};

/// Merge-and-retry rounds before giving up on a contended write.
const MAX_ATTEMPTS: usize = 5;
/// How often an open app looks for changes made elsewhere.
const PULL_EVERY: Duration = Duration::from_secs(30);

/// How much a sync does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    /// Push what is pending (after an edit).
    Push,
    /// Look at the server's copies first (focus, reconnect, unlock, the timer).
    PullThenPush,
}

impl AppState {
    /// Opens the account: this browser's copy at once, then the server's.
    /// Fails only when neither can be had.
    pub async fn load(&self) -> Result<(), AppError> {
        let Some(user) = self.user() else {
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
        match self.sync_now(SyncKind::PullThenPush).await {
            // Without the server this browser's copy opens; its problems
            // show in the sync status. A keyring conflict is the server's
            // answer, not its absence: the account opens and says so.
            Err(error) if !have_copy && self.vault.conflict.with_untracked(Option::is_none) => {
                return Err(error);
            }
            _ => {}
        }
        self.status.loaded.set(true);
        Ok(())
    }

    /// Applies `edit` to this browser's copy and syncs it. Without the
    /// network the edit waits (the UI shows it pending) and this is `Ok`;
    /// an error means the server refused it, and the edit is still kept.
    pub async fn update_metadata(
        &self,
        edit: impl Fn(&mut Metadata, u64, &str),
    ) -> Result<(), AppError> {
        let device = self.device();
        let before = self.metadata.get_untracked();
        let mut after = before.clone();
        edit(&mut after, now_ms(), &device);
        self.seal_written(&before, &mut after);
        self.save_then_show_metadata(after).await;
        self.sync(SyncKind::Push).await
    }

    /// Makes `metadata` this browser's copy, and shows it only once it is
    /// saved: a reload the moment the screen changed must find the change.
    pub(crate) async fn save_then_show_metadata(&self, metadata: Metadata) {
        self.metadata.update_untracked(|m| *m = metadata);
        self.status.metadata_pending.set(true);
        self.persist().await;
        self.metadata.notify();
    }

    /// Pushes what is pending (pulling first, with [`SyncKind::PullThenPush`]);
    /// an unreachable server is not an error here: the changes wait.
    pub async fn sync(&self, kind: SyncKind) -> Result<(), AppError> {
        match self.sync_now(kind).await {
            Err(error) if error.is_offline() => Ok(()),
            other => other,
        }
    }

    async fn sync_now(&self, kind: SyncKind) -> Result<(), AppError> {
        if self.user().is_none() {
            return Ok(());
        }
        let lock = self.book.sync_lock.get_value();
        let _one_at_a_time = lock.lock().await;
        let result = async {
            if kind == SyncKind::PullThenPush {
                self.pull().await?;
            }
            self.push_keyring().await?;
            self.push_metadata().await
        }
        .await;
        match &result {
            Ok(()) => {
                self.status.reachable.set(true);
                self.status.sync_problem.set(None);
                if !self.pending() {
                    self.status.synced_at.set(Some(now_ms()));
                }
            }
            Err(error) if error.is_offline() => {
                self.status.reachable.set(false);
                self.retry_later();
            }
            Err(error) => {
                self.status.reachable.set(true);
                // A keyring conflict has its own notice.
                if self.vault.conflict.with_untracked(Option::is_none) {
                    self.status.sync_problem.set(Some(error.to_string()));
                }
            }
        }
        self.persist().await;
        result
    }

    /// Whether this browser holds changes the server hasn't acknowledged.
    pub fn pending(&self) -> bool {
        self.status.metadata_pending.get_untracked() || self.status.keyring_pending.get_untracked()
    }

    /// Takes in what changed on the server since this browser last looked.
    async fn pull(&self) -> Result<(), AppError> {
        let blobs = api::list_blobs().await?;
        let tag_of = |name: &str| blobs.iter().find(|b| b.name == name).map(|b| b.tag.clone());
        let keyring_tag = tag_of(KEYRING);
        // A refused keyring (say, rolled back) doesn't stop the metadata.
        let keyring = if keyring_tag != self.book.keyring_tag.get_untracked() {
            self.fetch_keyring().await?
        } else {
            Ok(())
        };
        let metadata_tag = tag_of(METADATA);
        if metadata_tag.is_some()
            && metadata_tag != self.book.metadata_tag.get_untracked()
            && let Some((bytes, tag)) = api::get_blob(METADATA).await?
        {
            self.integrate_metadata(&bytes, tag);
        }
        keyring
    }

    async fn push_keyring(&self) -> Result<(), AppError> {
        for _ in 0..MAX_ATTEMPTS {
            if !self.status.keyring_pending.get_untracked() {
                return Ok(());
            }
            let Some(view) = self.vault.keyring.get_untracked() else {
                self.status.keyring_pending.set(false);
                return Ok(());
            };
            if self.vault.conflict.with_untracked(Option::is_some) {
                // The user settles it first (Restore writes over it).
                return Err(AppError::KeyringConflict(
                    "The keyring on the server differs from this browser's: see the notice above."
                        .into(),
                ));
            }
            let tag = self.book.keyring_tag.get_untracked();
            match api::put_blob(KEYRING, &view.to_bytes(), tag.as_deref()).await {
                Ok(new_tag) => {
                    self.book.keyring_tag.set(Some(new_tag));
                    self.saw_revision(&view);
                    // An edit made while this write was on its way stays
                    // pending for the next round.
                    let current = self
                        .vault
                        .keyring
                        .with_untracked(|k| k.as_ref().map(Keyring::revision));
                    if current == Some(view.revision()) {
                        self.status.keyring_pending.set(false);
                    }
                }
                Err(ApiError::Conflict { .. }) => self.fetch_keyring().await??,
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::TooContended)
    }

    async fn push_metadata(&self) -> Result<(), AppError> {
        for _ in 0..MAX_ATTEMPTS {
            if !self.status.metadata_pending.get_untracked() {
                return Ok(());
            }
            let local = self.metadata.get_untracked();
            let tag = self.book.metadata_tag.get_untracked();
            match api::put_blob(METADATA, &local.to_json(), tag.as_deref()).await {
                Ok(new_tag) => {
                    self.book.metadata_tag.set(Some(new_tag));
                    if self.metadata.with_untracked(|m| *m == local) {
                        self.status.metadata_pending.set(false);
                    }
                }
                Err(ApiError::Conflict { .. }) => match api::get_blob(METADATA).await? {
                    Some((bytes, tag)) => self.integrate_metadata(&bytes, tag),
                    None => self.book.metadata_tag.set(None),
                },
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::TooContended)
    }

    /// Fetches the server's keyring and takes it in. The outer error is the
    /// fetch's; the inner one says the keyring was not taken (a conflict,
    /// or waiting for unlock).
    async fn fetch_keyring(&self) -> Result<Result<(), AppError>, AppError> {
        let blob = api::get_blob(KEYRING).await?;
        Ok(self.integrate_keyring(blob))
    }

    /// Folds the server's metadata into this browser's; what remains only
    /// here stays pending. Items a well-behaved Keyhaven could not have
    /// written are refused (this browser's version stays). Tells the user
    /// about their edits that lost to a later one.
    fn integrate_metadata(&self, bytes: &[u8], tag: String) {
        self.book.metadata_tag.set(Some(tag));
        let pulled = self
            .metadata
            .with_untracked(|local| decide::metadata::pull(local, bytes, &self.device(), now_ms()));
        let mut told: Vec<String> = pulled
            .refused
            .iter()
            .map(|(kind, id, why)| {
                let name = self
                    .metadata
                    .with_untracked(|m| m.name(*kind, id).unwrap_or(id).to_owned());
                format!(
                    "The Keyhaven server's copy of {} was refused: {why}. This browser's copy is kept.",
                    trust::describe(*kind, &name)
                )
            })
            .collect();
        told.extend(pulled.replaced.iter().map(replaced_notice));
        self.tell(told);
        self.status.metadata_pending.set(pulled.pending);
        if self.metadata.with_untracked(|m| *m != pulled.merged) {
            self.metadata.set(pulled.merged);
        }
    }

    /// Adds notices, each once.
    fn tell(&self, notices: Vec<String>) {
        let fresh: Vec<String> = notices
            .into_iter()
            .filter(|n| !self.prompts.notices.with_untracked(|all| all.contains(n)))
            .collect();
        if !fresh.is_empty() {
            self.prompts.notices.update(|n| n.extend(fresh));
        }
    }

    /// After an unreachable server: try again soon (the `online` event
    /// covers a browser that knows it is offline).
    fn retry_later(&self) {
        if !self.pending() || !self.status.online.get_untracked() || self.book.retrying.get_value()
        {
            return;
        }
        self.book.retrying.set_value(true);
        let state = *self;
        set_timeout(
            move || {
                state.book.retrying.set_value(false);
                leptos::task::spawn_local(async move {
                    let _ = state.sync(SyncKind::Push).await;
                });
            },
            Duration::from_secs(3),
        );
    }
}

/// Pulls on focus, on reconnect and periodically while the page is open.
pub fn start(state: AppState) {
    let pull = move || {
        if state.status.loaded.get_untracked() && state.status.online.get_untracked() {
            leptos::task::spawn_local(async move {
                let _ = state.sync(SyncKind::PullThenPush).await;
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
    tabs::listen(move || {
        leptos::task::spawn_local(async move { state.reload_saved().await });
    });
}

/// "Your edit to SSH Connection “nas2” was replaced by a later edit made
/// on another device."
fn replaced_notice(replaced: &Replaced) -> String {
    let by = if replaced.deleted {
        "was replaced: it was deleted later on another device"
    } else {
        "was replaced by a later edit made on another device"
    };
    format!(
        "Your edit to {} {by}.",
        trust::describe(replaced.kind, &replaced.name)
    )
}
