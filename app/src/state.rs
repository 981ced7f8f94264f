//! The app's shared state: who is signed in, the account's metadata and
//! keyring as this browser has them, and what the user is told about
//! syncing them (see `sync` for how they reach the server).

use keyhaven_core::{
    Error as CoreError,
    keyring::{EntryValue, KdfParams, Keyring, RecoveryCode, SlotKind, Unlocked},
    model::{Kind, Metadata, PinDigest},
    sync::Conflict,
};
use leptos::prelude::*;
use rand_core::OsRng;
use secrecy::{ExposeSecret, SecretString};

use crate::{
    error::AppError,
    kdf,
    net::api::{self, ApiError, KEYRING},
    saved,
    sync::SyncKind,
    tabs,
};

/// What follows merging the server's keyring into the unlocked one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterMerge {
    /// This browser has changes the server lacks: seal the result to push.
    SealToPush,
    /// Nothing of ours to push: the server's copy stands.
    Keep,
}

/// Serializes syncs: one push or pull at a time, edits meanwhile queue.
pub type SyncLock = std::sync::Arc<futures::lock::Mutex<()>>;

/// The server's keyring was not taken: why, and what the server has.
#[derive(Clone)]
pub struct KeyringConflict {
    pub conflict: Conflict,
    /// The server's copy, when it has a readable one.
    pub server: Option<Keyring>,
    /// Its tag, to write over it (Restore from this browser).
    pub server_tag: Option<String>,
}

/// Who this tab works for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Session {
    /// Not asked yet (the server, or offline this browser's saved copy).
    Unknown,
    SignedOut,
    SignedIn(String),
}

impl Session {
    /// The signed-in user's name.
    pub fn user(&self) -> Option<&str> {
        match self {
            Self::SignedIn(user) => Some(user),
            Self::Unknown | Self::SignedOut => None,
        }
    }
}

/// Everything a screen can read, grouped by concern. All parts are `Copy`
/// handles to signals, so a page takes the part it uses (they are provided
/// as contexts of their own, see `App`).
#[derive(Clone, Copy)]
pub struct AppState {
    pub session: RwSignal<Session>,
    pub metadata: RwSignal<Metadata>,
    device: StoredValue<String>,
    pub vault: Vault,
    pub status: Status,
    pub prompts: Prompts,
    pub(crate) book: SyncBook,
}

/// The keyring as this tab has it, and whether it is unlocked.
#[derive(Clone, Copy)]
pub struct Vault {
    /// The stored keyring (ids and name readable; values encrypted).
    pub keyring: RwSignal<Option<Keyring>>,
    /// Whether the keyring is unlocked (derived from the key below).
    pub unlocked: Memo<bool>,
    /// The unlocked keyring: the data key, in this tab's memory only
    /// (zeroized when it is dropped: on lock, sign-out or close).
    unlocked_keyring: RwSignal<Option<Unlocked>>,
    /// The server's keyring was not taken; the user decides.
    pub conflict: RwSignal<Option<KeyringConflict>>,
}

/// What the top bar says about syncing.
#[derive(Clone, Copy)]
pub struct Status {
    /// Whether the metadata was loaded for the signed-in account.
    pub loaded: RwSignal<bool>,
    /// The browser has a network (see `online`).
    pub online: RwSignal<bool>,
    /// The Keyhaven server answered the last sync.
    pub reachable: RwSignal<bool>,
    /// When this browser last had nothing left to sync.
    pub synced_at: RwSignal<Option<u64>>,
    /// Why changes aren't reaching the server, when that isn't the network.
    pub sync_problem: RwSignal<Option<String>>,
    /// This browser has metadata edits the server hasn't acknowledged.
    pub metadata_pending: RwSignal<bool>,
    /// The keyring holds sealed changes the server hasn't acknowledged.
    pub keyring_pending: RwSignal<bool>,
}

/// What the user is asked or told outside any one screen.
#[derive(Clone, Copy)]
pub struct Prompts {
    /// The user closed the Unlock Keyring dialog for this session.
    pub unlock_dismissed: RwSignal<bool>,
    /// The keyring locked itself after the idle time.
    pub auto_locked: RwSignal<bool>,
    /// Edits of this browser's that lost to later ones made elsewhere.
    pub notices: RwSignal<Vec<String>>,
}

/// Sync's own bookkeeping; no view reads it.
#[derive(Clone, Copy)]
pub(crate) struct SyncBook {
    pub metadata_tag: RwSignal<Option<String>>,
    pub keyring_tag: RwSignal<Option<String>>,
    /// The highest keyring revision proven for this account (any keyring
    /// id; kept across sign-out, see `saved::highest_revision`).
    pub highest: StoredValue<u64>,
    /// A newer server copy set aside while locked, until unlock proves it.
    pub held: RwSignal<Option<(Keyring, String)>>,
    /// Items this browser wrote while locked, to seal at the next unlock.
    pub unsealed: StoredValue<Vec<(Kind, String, PinDigest)>>,
    /// This tab reset (or knowingly dropped) the keyring: another tab's
    /// saved copy of it is not taken back in (see `tabs`).
    pub keyring_reset_here: StoredValue<bool>,
    /// The saved copy's generation this tab last wrote or took in.
    pub saved_generation: StoredValue<u64>,
    pub sync_lock: StoredValue<SyncLock>,
    pub retrying: StoredValue<bool>,
}

impl AppState {
    pub fn new() -> Self {
        let unlocked_keyring = RwSignal::new(None::<Unlocked>);
        Self {
            session: RwSignal::new(Session::Unknown),
            metadata: RwSignal::new(Metadata::default()),
            device: StoredValue::new(device_id()),
            vault: Vault {
                keyring: RwSignal::new(None),
                unlocked: Memo::new(move |_| unlocked_keyring.with(Option::is_some)),
                unlocked_keyring,
                conflict: RwSignal::new(None),
            },
            status: Status {
                loaded: RwSignal::new(false),
                online: RwSignal::new(true),
                reachable: RwSignal::new(true),
                synced_at: RwSignal::new(None),
                sync_problem: RwSignal::new(None),
                metadata_pending: RwSignal::new(false),
                keyring_pending: RwSignal::new(false),
            },
            prompts: Prompts {
                unlock_dismissed: RwSignal::new(false),
                auto_locked: RwSignal::new(false),
                notices: RwSignal::new(Vec::new()),
            },
            book: SyncBook {
                metadata_tag: RwSignal::new(None),
                keyring_tag: RwSignal::new(None),
                highest: StoredValue::new(0),
                held: RwSignal::new(None),
                unsealed: StoredValue::new(Vec::new()),
                keyring_reset_here: StoredValue::new(false),
                saved_generation: StoredValue::new(0),
                sync_lock: StoredValue::new(SyncLock::default()),
                retrying: StoredValue::new(false),
            },
        }
    }

    /// The signed-in user's name (untracked).
    pub fn user(&self) -> Option<String> {
        self.session.with_untracked(|s| s.user().map(str::to_owned))
    }

    /// This browser's id, stamped on its edits.
    pub fn device(&self) -> String {
        self.device.get_value()
    }

    pub fn signed_in(&self, username: Option<String>) {
        self.lock();
        self.session.set(match &username {
            Some(user) => Session::SignedIn(user.clone()),
            None => Session::SignedOut,
        });
        self.metadata.set(Metadata::default());
        self.book.metadata_tag.set(None);
        self.status.metadata_pending.set(false);
        self.vault.keyring.set(None);
        self.book.keyring_tag.set(None);
        self.status.keyring_pending.set(false);
        self.book.saved_generation.set_value(0);
        self.book
            .highest
            .set_value(username.as_deref().map_or(0, saved::highest_revision));
        self.book.held.set(None);
        self.vault.conflict.set(None);
        self.book.unsealed.set_value(Vec::new());
        self.book.keyring_reset_here.set_value(false);
        self.prompts.unlock_dismissed.set(false);
        self.status.synced_at.set(None);
        self.status.sync_problem.set(None);
        self.prompts.notices.set(Vec::new());
        self.status.reachable.set(true);
        self.status.loaded.set(false);
    }

    /// Signs out here: this browser's copy of the account goes too. (Under
    /// the sync lock, so no sync in flight writes the copy back after it.)
    pub async fn sign_out(&self) {
        let lock = self.book.sync_lock.get_value();
        let _one_at_a_time = lock.lock().await;
        let _ = api::sign_out().await;
        self.signed_in(None);
        // Under the saved copy's lock: a save that began before sign-out
        // finishes first, and finds nobody signed in (see `persist`).
        tabs::exclusive(async {
            let _ = saved::clear().await;
        })
        .await;
    }
}

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
    fn opened(&self, unlocked: Unlocked) {
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
    async fn save_keyring(&self) -> Result<(), AppError> {
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

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// `http` or `https`: a TrueNAS URL typed without a scheme gets the page's,
/// as TrueNAS's own form does.
pub fn page_scheme() -> String {
    web_sys::window()
        .and_then(|w| w.location().protocol().ok())
        .map_or_else(|| "https".into(), |p| p.trim_end_matches(':').to_owned())
}

/// A random id (128 bits, hex) for new items.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).expect("the browser has crypto.getRandomValues");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// This browser's device id, kept in localStorage.
fn device_id() -> String {
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    if let Some(id) = storage
        .as_ref()
        .and_then(|s| s.get_item("keyhaven.device").ok().flatten())
    {
        return id;
    }
    let id = new_id();
    if let Some(storage) = storage {
        let _ = storage.set_item("keyhaven.device", &id);
    }
    id
}
