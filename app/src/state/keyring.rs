//! The keyring in this tab: create, unlock, lock, reset, recover, change
//! the passphrase. Argon2id runs in the worker (`kdf`); the engine holds
//! the data key until locked.

use keyhaven_core::{
    Error as CoreError,
    keyring::{KdfParams, Keyring, RecoveryCode, SlotKind, Unlocked},
};
use leptos::prelude::*;
use rand_core::OsRng;
use secrecy::{ExposeSecret, SecretString};

use super::{AppState, now_ms};
use crate::{error::AppError, kdf, sync::SyncKind};

impl AppState {
    /// Creates the keyring, with a recovery code shown once.
    pub async fn create_keyring(
        &self,
        name: &str,
        passphrase: SecretString,
    ) -> Result<RecoveryCode, AppError> {
        let params = KdfParams::DEFAULT;
        let salt = random16();
        let kek = kdf::derive(passphrase.expose_secret().as_bytes(), &salt, params).await?;
        let now = now_ms();
        let mut unlocked = Keyring::create(name, params, salt, &kek, now, &mut OsRng)?;
        let code = RecoveryCode::generate(&mut OsRng);
        let secret = Keyring::recovery_code_secret(code.expose())?;
        let recovery_salt = random16();
        let recovery_kek = kdf::derive(&secret, &recovery_salt, params).await?;
        unlocked.add_recovery_code(params, recovery_salt, &recovery_kek, now, &mut OsRng)?;
        let created = self.engine().create_keyring(unlocked).await;
        self.refresh();
        created?;
        Ok(code)
    }

    /// Unlocks with the passphrase; a wrong one says so and changes nothing.
    /// This browser's copy is tried first, then a newer server copy held
    /// aside (the passphrase may have been changed on another device):
    /// the passphrase proves that copy, and it is adopted.
    pub async fn unlock(&self, passphrase: SecretString) -> Result<(), AppError> {
        let (local, held, pending) = {
            let engine = self.engine();
            let r = engine.replicas();
            (
                r.keyring.keyring.clone(),
                r.keyring.held.clone(),
                r.keyring.pending,
            )
        };
        if local.is_none() && held.is_none() {
            return Err(AppError::NoKeyring);
        }
        if let Some(local) = &local {
            match open(local, &passphrase).await {
                Ok(unlocked) => {
                    self.opened(unlocked);
                    return Ok(());
                }
                Err(AppError::Core(CoreError::WrongPassphrase)) if held.is_some() => {}
                Err(e) => return Err(e),
            }
        }
        let held = held.expect("checked above");
        let unlocked = open(&held.keyring, &passphrase).await?;
        if local.is_some() && pending {
            return Err(AppError::PassphraseChangedElsewhere);
        }
        self.engine().adopt_proven(held, unlocked);
        self.after_unlock(false);
        Ok(())
    }

    /// "Unlock the server's keyring": its passphrase proves the keyring the
    /// server has instead of this browser's (reset and re-created, or its
    /// passphrase changed, on another device), and it is adopted.
    pub async fn unlock_server_keyring(&self, passphrase: SecretString) -> Result<(), AppError> {
        let held = self.engine().replicas().keyring.held.clone();
        let held = held.ok_or(AppError::NothingToUnlock)?;
        let theirs = open(&held.keyring, &passphrase).await?;
        let adopted = self.engine().unlock_server_keyring(theirs, held).await;
        self.after_unlock(false);
        adopted
    }

    /// The keyring is open: the data key stays in this tab, items written
    /// while locked are sealed, and the server's copy is looked at again
    /// (a held copy is merged now that it can be verified).
    fn opened(&self, unlocked: Unlocked) {
        let sealed = self.engine().opened(unlocked);
        self.after_unlock(sealed);
    }

    fn after_unlock(&self, save: bool) {
        self.vault.opening_seals.set(true);
        self.refresh();
        self.prompts.auto_locked.set(false);
        let state = *self;
        leptos::task::spawn_local(async move {
            let upgraded = state.open_seals().await;
            if save || upgraded {
                let _ = state.engine().persist().await;
            }
            let _ = state.sync(SyncKind::PullThenPush).await;
        });
    }

    /// Opens the metadata's seals under the new key in slices once the
    /// dashboard shows, the browser drawing between them, then shows the
    /// trust notices: opening a fleet's 5,000 seals before closing the
    /// Unlock dialog made unlocking a 1,000-system fleet twice as slow as
    /// a small one's, and in one long task. Then the seals of an earlier
    /// release are made anew (which looks at every seal): whether any was,
    /// for the caller to save and push.
    async fn open_seals(&self) -> bool {
        const SLICE: usize = 1000;
        let mut from = 0;
        while let Some(next) = self.engine().open_seals(from, SLICE) {
            from = next;
            crate::net::truenas::sleep(0).await;
        }
        let upgraded = self.engine().upgrade_legacy_seals();
        self.vault.opening_seals.set(false);
        upgraded
    }

    /// Forgets the data key (zeroized when dropped).
    pub fn lock(&self) {
        self.engine().lock();
        self.refresh();
    }

    /// Deletes the keyring: every stored key is gone; systems stay. Needs
    /// the server (a reset can't wait in a queue: it would undo whatever
    /// another browser stores meanwhile).
    pub async fn reset_keyring(&self) -> Result<(), AppError> {
        let reset = self.engine().reset_keyring().await;
        self.refresh();
        reset
    }

    /// Unlocks with the recovery code and sets a new passphrase at once;
    /// returns the new recovery code (the used one is spent).
    pub async fn recover(
        &self,
        code: &str,
        new_passphrase: SecretString,
    ) -> Result<RecoveryCode, AppError> {
        let keyring = self
            .vault
            .keyring
            .get_untracked()
            .ok_or(AppError::NoKeyring)?;
        let secret = Keyring::recovery_code_secret(code)?;
        let (params, salt) = keyring
            .kdf_input(SlotKind::RecoveryCode)
            .ok_or(AppError::Core(CoreError::NoRecoveryCode))?;
        let kek = kdf::derive(&secret, &salt, params).await?;
        let unlocked = keyring.unlock(SlotKind::RecoveryCode, &kek)?;
        self.opened(unlocked);
        self.change_passphrase(new_passphrase).await
    }

    /// Sets a new passphrase and rotates the data key: every entry is
    /// re-encrypted, the old passphrase and recovery code open nothing
    /// written from now on, and a new recovery code is returned (show it
    /// once). The metadata's seals move to the new key.
    pub async fn change_passphrase(
        &self,
        new_passphrase: SecretString,
    ) -> Result<RecoveryCode, AppError> {
        let params = KdfParams::DEFAULT;
        let salt = random16();
        let kek = kdf::derive(new_passphrase.expose_secret().as_bytes(), &salt, params).await?;
        let code = RecoveryCode::generate(&mut OsRng);
        let secret = Keyring::recovery_code_secret(code.expose())?;
        let recovery_salt = random16();
        let recovery_kek = kdf::derive(&secret, &recovery_salt, params).await?;
        let changed = self
            .engine()
            .rekey(|u, metadata, now, device| {
                let verified = metadata.verified(u);
                u.change_passphrase(params, salt, &kek, now, &mut OsRng)?;
                u.add_recovery_code(params, recovery_salt, &recovery_kek, now, &mut OsRng)?;
                metadata.reseal(&verified, u, now, device, &mut OsRng);
                Ok(())
            })
            .await;
        self.refresh();
        changed?;
        self.sync(SyncKind::Push).await?;
        Ok(code)
    }
}

/// Derives the passphrase's key (in the worker) and opens `keyring`.
async fn open(keyring: &Keyring, passphrase: &SecretString) -> Result<Unlocked, AppError> {
    let (params, salt) = keyring
        .kdf_input(SlotKind::Passphrase)
        .ok_or_else(|| CoreError::Damaged("it has no passphrase slot".into()))?;
    let kek = kdf::derive(passphrase.expose_secret().as_bytes(), &salt, params).await?;
    Ok(keyring.unlock(SlotKind::Passphrase, &kek)?)
}

fn random16() -> [u8; 16] {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).expect("the browser has crypto.getRandomValues");
    salt
}
