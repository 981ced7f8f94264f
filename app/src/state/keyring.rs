//! The keyring in this tab: create, unlock, lock, reset, recover, change
//! the passphrase. Argon2id runs in the worker; the data key stays in this
//! tab's memory until locked.

use keyhaven_core::{
    Error as CoreError,
    keyring::{KdfParams, Keyring, RecoveryCode, SlotKind, Unlocked},
};
use leptos::prelude::*;
use rand_core::OsRng;
use secrecy::{ExposeSecret, SecretString};

use super::{AppState, now_ms};
use crate::{
    error::AppError,
    kdf,
    net::api::{self, ApiError, KEYRING},
    sync::SyncKind,
};

/// The keyring: create, unlock, lock, reset. Argon2id runs in the worker;
/// the data key stays in this tab's memory until locked.
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
        let id = unlocked.keyring().id();
        // After the highest revision proven, and any the server showed:
        // other browsers must see this keyring as newer, not rolled back.
        let shown = self
            .book
            .held
            .with_untracked(|h| h.as_ref().map(|(k, _)| k.revision()))
            .into_iter()
            .chain(self.vault.conflict.with_untracked(|c| {
                c.as_ref()
                    .and_then(|c| c.server.as_ref().map(Keyring::revision))
            }));
        unlocked.continue_after(shown.fold(self.book.highest.get_value(), u64::max));
        self.book.keyring_reset_here.set_value(false);
        unlocked.seal(&mut OsRng);
        self.vault.keyring.set(Some(unlocked.keyring().clone()));
        self.book.keyring_tag.set(None);
        self.status.keyring_pending.set(true);
        self.vault.unlocked_keyring.set(Some(unlocked));
        self.seal_written_while_locked();
        self.persist().await;
        // Offline, it waits to be stored like any other change.
        self.sync(SyncKind::Push).await?;
        if self
            .vault
            .keyring
            .with_untracked(|k| k.as_ref().map(Keyring::id))
            != Some(id)
        {
            return Err(AppError::CreatedElsewhere);
        }
        Ok(code)
    }

    /// Unlocks with the passphrase; a wrong one says so and changes nothing.
    /// This browser's copy is tried first, then a newer server copy held
    /// aside (the passphrase may have been changed on another device):
    /// the passphrase proves that copy, and it is adopted.
    pub async fn unlock(&self, passphrase: SecretString) -> Result<(), AppError> {
        let local = self.vault.keyring.get_untracked();
        let held = self.book.held.get_untracked();
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
        let (held, tag) = held.expect("checked above");
        let unlocked = open(&held, &passphrase).await?;
        if local.is_some() && self.status.keyring_pending.get_untracked() {
            return Err(AppError::PassphraseChangedElsewhere);
        }
        self.replace_keyring(Some(held), Some(tag), false);
        self.opened(unlocked);
        Ok(())
    }

    /// "Unlock the server's keyring": its passphrase proves the keyring the
    /// server has instead of this browser's (reset and re-created, or its
    /// passphrase changed, on another device), and it is adopted. When it
    /// is the same keyring under a new key, this browser's changes not
    /// synced yet are carried over and the metadata it had verified is
    /// sealed under the new key.
    pub async fn unlock_server_keyring(&self, passphrase: SecretString) -> Result<(), AppError> {
        let (held, tag) = self
            .book
            .held
            .get_untracked()
            .ok_or(AppError::NothingToUnlock)?;
        let mut theirs = open(&held, &passphrase).await?;
        let pending = self.status.keyring_pending.get_untracked();
        let mut metadata = self.metadata.get_untracked();
        let device = self.device();
        let carried = self.with_unlocked(|ours| {
            let verified = metadata.verified(ours);
            let report = theirs.absorb(ours, &mut OsRng)?;
            metadata.reseal(&verified, &theirs, now_ms(), &device, &mut OsRng);
            Ok::<_, CoreError>(report)
        });
        let carried_any = match carried {
            Some(Ok(report)) => !report.taken.is_empty(),
            Some(Err(_)) if pending => {
                self.prompts.notices.update(|n| n.push(NOT_CARRIED.into()));
                false
            }
            None if pending => return Err(AppError::UnlockThisCopyFirst),
            _ => false,
        };
        let view = if carried_any {
            theirs.seal(&mut OsRng);
            theirs.keyring().clone()
        } else {
            held
        };
        self.metadata.set(metadata);
        self.status.metadata_pending.set(true);
        self.replace_keyring(Some(view), Some(tag), carried_any);
        self.opened(theirs);
        self.persist().await;
        Ok(())
    }

    /// The keyring is open: the data key stays in this tab, items written
    /// while locked are sealed, and the server's copy is looked at again
    /// (a held copy is merged now that it can be verified).
    pub(super) fn opened(&self, unlocked: Unlocked) {
        self.saw_revision(unlocked.keyring());
        self.vault.unlocked_keyring.set(Some(unlocked));
        self.prompts.auto_locked.set(false);
        let sealed = self.seal_written_while_locked();
        let state = *self;
        leptos::task::spawn_local(async move {
            if sealed {
                state.persist().await;
            }
            let _ = state.sync(SyncKind::PullThenPush).await;
        });
    }

    /// This browser's copy of the keyring becomes `keyring` (with the
    /// server's `tag` for it, and whether it holds changes the server
    /// lacks); whatever differed on the server is settled by it.
    pub(crate) fn replace_keyring(
        &self,
        keyring: Option<Keyring>,
        tag: Option<String>,
        pending: bool,
    ) {
        self.book.keyring_reset_here.set_value(keyring.is_none());
        self.vault.keyring.set(keyring);
        self.book.keyring_tag.set(tag);
        self.status.keyring_pending.set(pending);
        self.book.held.set(None);
        self.vault.conflict.set(None);
    }

    /// Forgets the data key (zeroized when dropped).
    pub fn lock(&self) {
        self.vault.unlocked_keyring.set(None);
    }

    /// Deletes the keyring: every stored key is gone; systems stay. Needs
    /// the server (a reset can't wait in a queue: it would undo whatever
    /// another browser stores meanwhile).
    pub async fn reset_keyring(&self) -> Result<(), AppError> {
        let lock = self.book.sync_lock.get_value();
        let _one_at_a_time = lock.lock().await;
        // In a conflict, what is deleted is what the server has now.
        let tag = match self.vault.conflict.get_untracked() {
            Some(conflict) => conflict.server_tag,
            None => self.book.keyring_tag.get_untracked(),
        };
        if let Some(tag) = tag {
            match api::delete_blob(KEYRING, &tag).await {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(ApiError::Conflict { .. }) => return Err(AppError::ChangedMeanwhile),
                Err(ApiError::Offline) => {
                    return Err(AppError::NeedsNetwork("Resetting the keyring"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        // Items verified now are sealed again under the next keyring.
        let verified = self
            .with_unlocked(|keyring| {
                self.metadata.with_untracked(|m| {
                    m.verified(keyring)
                        .into_iter()
                        .filter_map(|(kind, id)| m.pin_digest(kind, &id).map(|d| (kind, id, d)))
                        .collect::<Vec<_>>()
                })
            })
            .unwrap_or_default();
        self.book
            .unsealed
            .update_value(|list| list.extend(verified));
        self.lock();
        self.replace_keyring(None, None, false);
        self.persist().await;
        Ok(())
    }
}

/// Passphrase changes and the recovery path.
impl AppState {
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
        let now = now_ms();
        let mut metadata = self.metadata.get_untracked();
        let device = self.device();
        self.vault
            .unlocked_keyring
            .try_update(|u| {
                u.as_mut().map(|u| {
                    let verified = metadata.verified(u);
                    u.change_passphrase(params, salt, &kek, now, &mut OsRng)?;
                    u.add_recovery_code(params, recovery_salt, &recovery_kek, now, &mut OsRng)?;
                    metadata.reseal(&verified, u, now, &device, &mut OsRng);
                    Ok::<_, CoreError>(())
                })
            })
            .flatten()
            .ok_or(AppError::Locked)??;
        self.metadata.set(metadata);
        self.status.metadata_pending.set(true);
        self.save_keyring().await?;
        Ok(code)
    }
}

const NOT_CARRIED: &str = "The keyring was reset on another device, so the changes made to it in \
    this browser and not synced yet could not be carried over. Systems, keypairs' public keys and \
    connections are unchanged.";

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
