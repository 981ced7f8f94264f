//! Keyring entries: read while unlocked; writes are sealed into this
//! browser's copy, saved, shown, and synced.

use std::sync::Arc;

use keyhaven_core::{
    keyring::{EntryValue, Unlocked},
    model::Metadata,
};
use leptos::prelude::*;
use rand_core::OsRng;

use super::{AppState, now_ms};
use crate::{error::AppError, sync::SyncKind};

impl AppState {
    pub fn is_unlocked(&self) -> bool {
        self.vault.unlocked.get_untracked()
    }

    /// Runs `f` with the unlocked keyring; `None` when locked.
    pub(crate) fn with_unlocked<R>(&self, f: impl FnOnce(&Unlocked) -> R) -> Option<R> {
        self.engine().with_unlocked(f)
    }

    /// An entry's value, or `None`; an error when locked or tampered with.
    pub fn entry(&self, id: &str) -> Result<Option<EntryValue>, AppError> {
        self.with_unlocked(|u| u.get(id).map_err(AppError::from))
            .ok_or(AppError::Locked)?
    }

    pub async fn store_entry(&self, id: &str, value: EntryValue) -> Result<(), AppError> {
        let now = now_ms();
        self.edit_keyring(|u| Ok(u.set(id, &value, now, &mut OsRng)?))
            .await
            .map(drop)
    }

    /// Removes an entry (a tombstone, so the removal syncs); nothing to do
    /// when there is no such entry.
    pub async fn remove_entry(&self, id: &str) -> Result<(), AppError> {
        let now = now_ms();
        let present = self
            .with_unlocked(|u| u.keyring().contains(id))
            .ok_or(AppError::Locked)?;
        if present {
            self.edit_keyring(|u| Ok(u.remove(id, now))).await?;
        }
        Ok(())
    }

    /// Changes the unlocked keyring; shown once saved, then synced.
    async fn edit_keyring<T>(
        &self,
        change: impl FnOnce(&mut Unlocked) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let changed = self.engine().edit_keyring(change).await;
        self.refresh();
        let changed = changed?;
        self.sync(SyncKind::Push).await?;
        Ok(changed)
    }
}

/// Reading one system without tracking (for async flows).
pub trait MetadataExt {
    fn get_untracked_system(&self, id: &str) -> Option<keyhaven_core::model::System>;
}

impl MetadataExt for RwSignal<Arc<Metadata>> {
    fn get_untracked_system(&self, id: &str) -> Option<keyhaven_core::model::System> {
        self.with_untracked(|m| m.system(id).cloned())
    }
}
