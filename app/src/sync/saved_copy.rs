//! This browser's saved copy of the account (IndexedDB, see `saved`):
//! written under the browser-wide lock, merged with what other tabs saved,
//! and read back at start.

use keyhaven_core::{keyring::Keyring, model::Metadata};
use leptos::prelude::*;

use crate::{
    saved::{self, Saved},
    state::AppState,
    tabs,
};

impl AppState {
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
    pub(super) fn absorb_saved(&self, theirs: Saved) {
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
    pub(super) fn restore(&self, saved: Saved) {
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
}
