//! Keyring entries: read while unlocked; writes are sealed and stored with
//! If-Match, merging with the server's copy when it changed meanwhile.

use keyhaven_core::{
    keyring::{EntryValue, Keyring, Unlocked},
    model::Metadata,
};
use leptos::prelude::*;
use rand_core::OsRng;

use super::{AfterMerge, AppState, now_ms};
use crate::{error::AppError, sync::SyncKind};

/// Keyring entries: read while unlocked; writes are sealed and stored
/// with If-Match, merging with the server's copy when it changed meanwhile.
impl AppState {
    pub fn is_unlocked(&self) -> bool {
        self.vault.unlocked.get_untracked()
    }

    /// Runs `f` with the unlocked keyring; `None` when locked.
    pub(crate) fn with_unlocked<R>(&self, f: impl FnOnce(&Unlocked) -> R) -> Option<R> {
        self.vault
            .unlocked_keyring
            .with_untracked(|u| u.as_ref().map(f))
    }

    /// An entry's value, or `None`; an error when locked or tampered with.
    pub fn entry(&self, id: &str) -> Result<Option<EntryValue>, AppError> {
        self.vault
            .unlocked_keyring
            .with_untracked(|u| u.as_ref().map(|u| u.get(id).map_err(AppError::from)))
            .ok_or(AppError::Locked)?
    }

    pub async fn store_entry(&self, id: &str, value: EntryValue) -> Result<(), AppError> {
        let now = now_ms();
        self.vault
            .unlocked_keyring
            .try_update(|u| u.as_mut().map(|u| u.set(id, &value, now, &mut OsRng)))
            .flatten()
            .ok_or(AppError::Locked)??;
        self.save_keyring().await
    }

    /// Seals the changed keyring into this browser's copy and syncs it.
    pub(super) async fn save_keyring(&self) -> Result<(), AppError> {
        let view = self
            .vault
            .unlocked_keyring
            .try_update(|u| {
                u.as_mut().map(|u| {
                    u.seal(&mut OsRng);
                    u.keyring().clone()
                })
            })
            .flatten()
            .ok_or(AppError::Locked)?;
        // Shown once saved, as metadata edits are (`save_then_show_metadata`).
        self.vault.keyring.update_untracked(|k| *k = Some(view));
        self.status.keyring_pending.set(true);
        self.persist().await;
        self.vault.keyring.notify();
        self.sync(SyncKind::Push).await
    }

    /// Folds another tab's copy of the same keyring into the unlocked one
    /// (verified with the data key); the result sealed, or `None` when it
    /// brought nothing new.
    pub(crate) fn absorb_keyring(&self, theirs: &Keyring) -> Result<Option<Keyring>, AppError> {
        self.vault
            .unlocked_keyring
            .try_update(|u| {
                u.as_mut().map(|u| {
                    let report = u.merge(theirs)?;
                    Ok((!report.taken.is_empty()).then(|| {
                        u.seal(&mut OsRng);
                        u.keyring().clone()
                    }))
                })
            })
            .flatten()
            .ok_or(AppError::Locked)?
    }

    /// Folds the server's copy into the unlocked keyring (verifying it with
    /// the data key); with [`AfterMerge::SealToPush`], returns the result
    /// sealed for pushing.
    pub(crate) fn merge_unlocked(
        &self,
        remote: &Keyring,
        after: AfterMerge,
    ) -> Result<Option<Keyring>, AppError> {
        self.vault
            .unlocked_keyring
            .try_update(|u| {
                u.as_mut().map(|u| {
                    u.merge(remote)?;
                    Ok((after == AfterMerge::SealToPush).then(|| {
                        u.seal(&mut OsRng);
                        u.keyring().clone()
                    }))
                })
            })
            .flatten()
            .ok_or(AppError::Locked)?
    }

    /// Removes an entry (a tombstone, so the removal syncs); nothing to do
    /// when there is no such entry.
    pub async fn remove_entry(&self, id: &str) -> Result<(), AppError> {
        let now = now_ms();
        let removed = self
            .vault
            .unlocked_keyring
            .try_update(|u| u.as_mut().map(|u| u.remove(id, now)))
            .flatten()
            .ok_or(AppError::Locked)?;
        if removed {
            self.save_keyring().await
        } else {
            Ok(())
        }
    }
}

/// Reading one system without tracking (for async flows).
pub trait MetadataExt {
    fn get_untracked_system(&self, id: &str) -> Option<keyhaven_core::model::System>;
}

impl MetadataExt for RwSignal<Metadata> {
    fn get_untracked_system(&self, id: &str) -> Option<keyhaven_core::model::System> {
        self.with_untracked(|m| m.system(id).cloned())
    }
}
