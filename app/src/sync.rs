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

use std::time::Duration;

use keyhaven_core::{
    keyring::Keyring,
    model::{Metadata, Replaced},
    sync::{self as decide, Conflict, Local, Server, Step},
};
use leptos::prelude::*;

use crate::{
    error::AppError,
    net::api::{self, ApiError, KEYRING, METADATA},
    saved::{self, Saved},
    state::{AfterMerge, AppState, KeyringConflict, now_ms},
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

    /// Takes in the server's keyring (`None`: it has none) as core decides.
    fn integrate_keyring(&self, server: Option<(Vec<u8>, String)>) -> Result<(), AppError> {
        let (remote, tag) = match server {
            Some((bytes, tag)) => (Some(Keyring::parse(&bytes)), Some(tag)),
            None => (None, None),
        };
        let local = self.vault.keyring.get_untracked();
        let server = match &remote {
            None => Server::Missing,
            Some(Err(_)) => Server::Unreadable,
            Some(Ok(keyring)) => Server::Present(keyring),
        };
        let step = decide::decide(
            Local {
                keyring: local.as_ref(),
                stored: self.book.keyring_tag.get_untracked().is_some(),
                pending: self.status.keyring_pending.get_untracked(),
                unlocked: self.is_unlocked(),
                highest: self.book.highest.get_value(),
            },
            server,
        );
        let remote = remote.and_then(Result::ok);
        match step {
            Step::Keep => {
                self.book.keyring_tag.set(None);
                Ok(())
            }
            Step::Create => {
                self.book.keyring_tag.set(None);
                self.status.keyring_pending.set(true);
                Ok(())
            }
            Step::Take => {
                let tag = tag.expect("a present keyring has a tag");
                self.replace_keyring(remote, Some(tag), false);
                Ok(())
            }
            Step::Hold => {
                self.book
                    .held
                    .set(Some((remote.expect("present"), tag.expect("present"))));
                if self.status.keyring_pending.get_untracked() {
                    return Err(AppError::HeldUntilUnlock);
                }
                Ok(())
            }
            Step::Merge => {
                let remote = remote.expect("present");
                let tag = tag.expect("present");
                let pending = self.status.keyring_pending.get_untracked();
                let after = if pending {
                    AfterMerge::SealToPush
                } else {
                    AfterMerge::Keep
                };
                match self.merge_unlocked(&remote, after) {
                    Ok(merged) => {
                        self.book.keyring_tag.set(Some(tag));
                        self.saw_revision(&remote);
                        self.book.held.set(None);
                        self.vault.conflict.set(None);
                        match merged {
                            // Something of ours the server lacks: to push.
                            Some(view) if pending => self.vault.keyring.set(Some(view)),
                            _ => {
                                self.status.keyring_pending.set(false);
                                self.vault.keyring.set(Some(remote));
                            }
                        }
                        Ok(())
                    }
                    Err(_) => self.keyring_conflict(Conflict::Replaced, Some(remote), Some(tag)),
                }
            }
            Step::Conflict(conflict) => self.keyring_conflict(conflict, remote, tag),
        }
    }

    /// Keeps this browser's copy and tells the user what the server has.
    fn keyring_conflict(
        &self,
        conflict: Conflict,
        server: Option<Keyring>,
        server_tag: Option<String>,
    ) -> Result<(), AppError> {
        if conflict == Conflict::Replaced
            && let (Some(keyring), Some(tag)) = (&server, &server_tag)
        {
            // Unlocking it with its passphrase proves it (see `unlock`).
            self.book.held.set(Some((keyring.clone(), tag.clone())));
        }
        let message = conflict.message();
        self.vault.conflict.set(Some(KeyringConflict {
            conflict,
            server,
            server_tag,
        }));
        Err(AppError::KeyringConflict(message))
    }

    /// "Restore from this browser": writes this browser's copy over what
    /// the server has (or in its place, when it has none).
    pub async fn restore_keyring(&self) -> Result<(), AppError> {
        let Some(conflict) = self.vault.conflict.get_untracked() else {
            return Ok(());
        };
        let Some(local) = self.vault.keyring.get_untracked() else {
            return Err(AppError::NothingToRestore);
        };
        {
            let lock = self.book.sync_lock.get_value();
            let _one_at_a_time = lock.lock().await;
            let tag =
                api::put_blob(KEYRING, &local.to_bytes(), conflict.server_tag.as_deref()).await;
            match tag {
                Ok(tag) => {
                    self.book.keyring_tag.set(Some(tag));
                    self.status.keyring_pending.set(false);
                    self.saw_revision(&local);
                    self.book.held.set(None);
                    self.vault.conflict.set(None);
                    self.status.sync_problem.set(None);
                }
                // Changed again meanwhile: look again (below).
                Err(ApiError::Conflict { .. }) => {}
                Err(other) => return Err(other.into()),
            }
            // Saved before the lock is let go: a sign-out waiting for it
            // must find this done, not racing its clearing of the copy.
            self.persist().await;
        }
        self.sync(SyncKind::PullThenPush).await
    }

    /// Knowingly takes what the server has: no keyring (it was reset), or
    /// an older copy. (A replaced keyring is adopted by unlocking it.)
    pub async fn adopt_server_keyring(&self) {
        let Some(conflict) = self.vault.conflict.get_untracked() else {
            return;
        };
        if !conflict.conflict.can_adopt() {
            return;
        }
        self.lock();
        match (conflict.server, conflict.server_tag) {
            (Some(keyring), Some(tag)) => {
                // The user chose this revision: it is the new baseline.
                self.book.highest.set_value(keyring.revision());
                if let Some(user) = self.user() {
                    saved::remember_highest_revision(&user, keyring.revision());
                }
                self.replace_keyring(Some(keyring), Some(tag), false);
            }
            _ => self.replace_keyring(None, None, false),
        }
        self.status.sync_problem.set(None);
        self.persist().await;
    }

    /// Remembers a revision proven for this account (written by this
    /// browser and accepted, verified by a merge, or unlocked), across
    /// sign-out and keyring ids.
    pub(crate) fn saw_revision(&self, keyring: &Keyring) {
        let highest = self.book.highest.get_value().max(keyring.revision());
        self.book.highest.set_value(highest);
        if let Some(user) = self.user() {
            saved::remember_highest_revision(&user, highest);
        }
    }

    /// Writes this browser's copy to IndexedDB: under the browser-wide
    /// lock, what another tab saved meanwhile is merged in first (so no
    /// tab writes over another's unsynced edit), and the other tabs are
    /// told.
    pub(crate) async fn persist(&self) {
        let Some(user) = self.user() else {
            return;
        };
        let state = *self;
        tabs::exclusive(async move {
            // Signed out (or in as someone else) while waiting for the lock:
            // this copy must not come back.
            if state.user().as_deref() != Some(user.as_str()) {
                return;
            }
            let mut generation = state.book.saved_generation.get_value();
            if let Some(theirs) = saved::load(&user).await {
                generation = generation.max(theirs.generation);
                state.absorb_saved(theirs);
            }
            let copy = Saved {
                user,
                metadata: Some(state.metadata.with_untracked(Metadata::to_json)),
                metadata_tag: state.book.metadata_tag.get_untracked(),
                metadata_pending: state.status.metadata_pending.get_untracked(),
                keyring: state
                    .vault
                    .keyring
                    .with_untracked(|k| k.as_ref().map(Keyring::to_bytes)),
                keyring_tag: state.book.keyring_tag.get_untracked(),
                keyring_pending: state.status.keyring_pending.get_untracked(),
                highest_revision: state.book.highest.get_value(),
                unsealed: state.book.unsealed.get_value(),
                synced_at: state.status.synced_at.get_untracked(),
                generation: generation + 1,
            };
            match saved::store(&copy).await {
                Ok(()) => {
                    state.book.saved_generation.set_value(copy.generation);
                    tabs::announce();
                }
                Err(error) => state.status.sync_problem.set(Some(error.to_string())),
            }
        })
        .await;
    }

    /// Another tab changed the saved copy: take it in.
    pub(crate) async fn reload_saved(&self) {
        let Some(user) = self.user() else {
            return;
        };
        let state = *self;
        tabs::exclusive(async move {
            if let Some(theirs) = saved::load(&user).await {
                state.absorb_saved(theirs);
            }
        })
        .await;
    }

    /// Merges what another tab of this browser saved into this tab's
    /// state: metadata item by item, the same keyring entry by entry (or
    /// its newer revision while locked), pending flags and items to seal.
    /// A keyring this tab replaced knowingly (reset) stands.
    fn absorb_saved(&self, theirs: Saved) {
        if theirs.generation <= self.book.saved_generation.get_value() {
            // What this tab wrote or took in already.
            return;
        }
        self.book.saved_generation.set_value(theirs.generation);
        if let Some(metadata) = theirs
            .metadata
            .as_deref()
            .and_then(|b| Metadata::from_json(b).ok())
        {
            let mut merged = self.metadata.get_untracked();
            merged.merge(&metadata);
            if self.metadata.with_untracked(|ours| *ours != merged) {
                self.metadata.set(merged);
            }
            if theirs.metadata_pending {
                self.status.metadata_pending.set(true);
            }
        }
        let their_keyring = theirs
            .keyring
            .as_deref()
            .and_then(|b| Keyring::parse(b).ok());
        match (self.vault.keyring.get_untracked(), their_keyring) {
            (None, Some(keyring)) if !self.book.keyring_reset_here.get_value() => {
                self.vault.keyring.set(Some(keyring));
                self.book.keyring_tag.set(theirs.keyring_tag);
                self.status.keyring_pending.set(theirs.keyring_pending);
            }
            (Some(ours), Some(keyring))
                if ours.id() == keyring.id() && ours.to_bytes() != keyring.to_bytes() =>
            {
                if self.is_unlocked() {
                    if let Ok(Some(merged)) = self.absorb_keyring(&keyring) {
                        self.vault.keyring.set(Some(merged));
                        self.status.keyring_pending.set(true);
                    }
                } else if keyring.revision() > ours.revision()
                    && !self.status.keyring_pending.get_untracked()
                {
                    self.vault.keyring.set(Some(keyring));
                    self.book.keyring_tag.set(theirs.keyring_tag);
                    self.status.keyring_pending.set(theirs.keyring_pending);
                }
            }
            _ => {}
        }
        self.book
            .highest
            .update_value(|h| *h = (*h).max(theirs.highest_revision));
        self.book.unsealed.update_value(|ours| {
            for item in theirs.unsealed {
                if !ours.iter().any(|(k, i, _)| (k, i) == (&item.0, &item.1)) {
                    ours.push(item);
                }
            }
        });
    }

    /// Puts back this browser's copy (before the server answers).
    fn restore(&self, saved: Saved) {
        if let Some(metadata) = saved.metadata.and_then(|b| Metadata::from_json(&b).ok()) {
            self.metadata.set(metadata);
        }
        self.book.metadata_tag.set(saved.metadata_tag);
        self.status.metadata_pending.set(saved.metadata_pending);
        let keyring = saved.keyring.and_then(|b| Keyring::parse(&b).ok());
        self.status
            .keyring_pending
            .set(saved.keyring_pending && keyring.is_some());
        self.vault.keyring.set(keyring);
        self.book.keyring_tag.set(saved.keyring_tag);
        // (Copies saved before the highest revision moved to localStorage.)
        self.book
            .highest
            .update_value(|h| *h = (*h).max(saved.highest_revision));
        self.book.unsealed.set_value(saved.unsealed);
        self.book.saved_generation.set_value(saved.generation);
        self.status.synced_at.set(saved.synced_at);
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
