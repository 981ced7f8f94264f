//! The app's shared state: who is signed in, the account's metadata and
//! keyring as this browser has them, and what the user is told about
//! syncing them (see `sync` for how they reach the server).

use keyhaven_core::{
    keyring::{EntryValue, KdfParams, Keyring, RecoveryCode, SlotKind, Unlocked},
    model::Metadata,
};
use leptos::prelude::*;
use rand_core::OsRng;
use secrecy::{ExposeSecret, SecretString};

use crate::{
    kdf,
    net::api::{self, ApiError},
    saved,
    sync::{KEYRING, SyncLock},
};

#[derive(Clone, Copy)]
pub struct AppState {
    /// `None` until the session was checked; then `Some(None)` when nobody
    /// is signed in.
    pub user: RwSignal<Option<Option<String>>>,
    pub metadata: RwSignal<Metadata>,
    pub(crate) metadata_tag: RwSignal<Option<String>>,
    /// This browser has metadata edits the server hasn't acknowledged.
    pub metadata_pending: RwSignal<bool>,
    /// Whether the metadata was loaded for the signed-in account.
    pub loaded: RwSignal<bool>,
    device: StoredValue<String>,
    /// The stored keyring (ids and name readable; values encrypted).
    pub keyring: RwSignal<Option<Keyring>>,
    pub(crate) keyring_tag: RwSignal<Option<String>>,
    /// The keyring holds sealed changes the server hasn't acknowledged.
    pub keyring_pending: RwSignal<bool>,
    /// The highest revision the server served or accepted, per keyring id.
    pub(crate) highest: StoredValue<(Option<String>, u64)>,
    /// Whether the keyring is unlocked; the key itself is below.
    pub unlocked: RwSignal<bool>,
    unlocked_keyring: StoredValue<Option<Unlocked>>,
    /// The user closed the Unlock Keyring dialog for this session.
    pub unlock_dismissed: RwSignal<bool>,
    /// The keyring locked itself after the idle time.
    pub auto_locked: RwSignal<bool>,
    /// The browser has a network (see `online`).
    pub online: RwSignal<bool>,
    /// The Keyhaven server answered the last sync.
    pub reachable: RwSignal<bool>,
    /// When this browser last had nothing left to sync.
    pub synced_at: RwSignal<Option<u64>>,
    /// Why changes aren't reaching the server, when that isn't the network.
    pub sync_problem: RwSignal<Option<String>>,
    /// Edits of this browser's that lost to later ones made elsewhere.
    pub notices: RwSignal<Vec<String>>,
    /// The server served an older keyring than it did before.
    pub rollback: RwSignal<Option<String>>,
    pub(crate) sync_lock: StoredValue<SyncLock>,
    pub(crate) retrying: StoredValue<bool>,
}

impl AppState {
    pub fn new() -> Self {
        Self {
            user: RwSignal::new(None),
            metadata: RwSignal::new(Metadata::default()),
            metadata_tag: RwSignal::new(None),
            metadata_pending: RwSignal::new(false),
            loaded: RwSignal::new(false),
            device: StoredValue::new(device_id()),
            keyring: RwSignal::new(None),
            keyring_tag: RwSignal::new(None),
            keyring_pending: RwSignal::new(false),
            highest: StoredValue::new((None, 0)),
            unlocked: RwSignal::new(false),
            unlocked_keyring: StoredValue::new(None),
            unlock_dismissed: RwSignal::new(false),
            auto_locked: RwSignal::new(false),
            online: RwSignal::new(true),
            reachable: RwSignal::new(true),
            synced_at: RwSignal::new(None),
            sync_problem: RwSignal::new(None),
            notices: RwSignal::new(Vec::new()),
            rollback: RwSignal::new(None),
            sync_lock: StoredValue::new(SyncLock::default()),
            retrying: StoredValue::new(false),
        }
    }

    /// This browser's id, stamped on its edits.
    pub fn device(&self) -> String {
        self.device.get_value()
    }

    pub fn signed_in(&self, username: Option<String>) {
        self.lock();
        self.user.set(Some(username));
        self.metadata.set(Metadata::default());
        self.metadata_tag.set(None);
        self.metadata_pending.set(false);
        self.keyring.set(None);
        self.keyring_tag.set(None);
        self.keyring_pending.set(false);
        self.highest.set_value((None, 0));
        self.unlock_dismissed.set(false);
        self.synced_at.set(None);
        self.sync_problem.set(None);
        self.notices.set(Vec::new());
        self.rollback.set(None);
        self.reachable.set(true);
        self.loaded.set(false);
    }

    /// Signs out here: this browser's copy of the account goes too. (Under
    /// the sync lock, so no sync in flight writes the copy back after it.)
    pub async fn sign_out(&self) {
        let lock = self.sync_lock.get_value();
        let _one_at_a_time = lock.lock().await;
        let _ = api::sign_out().await;
        self.signed_in(None);
        let _ = saved::clear().await;
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
    ) -> Result<RecoveryCode, String> {
        let params = KdfParams::DEFAULT;
        let salt = random16();
        let kek = kdf::derive(passphrase.expose_secret().as_bytes(), &salt, params).await?;
        let now = now_ms();
        let mut unlocked = Keyring::create_with_kek(name, params, salt, &kek, now, &mut OsRng)
            .map_err(|e| e.to_string())?;
        let code = RecoveryCode::generate(&mut OsRng);
        let secret = Keyring::recovery_code_secret(code.expose()).map_err(|e| e.to_string())?;
        let recovery_salt = random16();
        let recovery_kek = kdf::derive(&secret, &recovery_salt, params).await?;
        unlocked
            .add_recovery_code_with_kek(params, recovery_salt, &recovery_kek, now, &mut OsRng)
            .map_err(|e| e.to_string())?;
        let id = unlocked.keyring().id();
        unlocked.seal(&mut OsRng);
        self.keyring.set(Some(unlocked.keyring().clone()));
        self.keyring_tag.set(None);
        self.keyring_pending.set(true);
        self.unlocked_keyring.set_value(Some(unlocked));
        self.unlocked.set(true);
        self.persist().await;
        // Offline, it waits to be stored like any other change.
        self.sync(false).await.map_err(|e| e.to_string())?;
        if self.keyring.with_untracked(|k| k.as_ref().map(Keyring::id)) != Some(id) {
            return Err(
                "A keyring was created for this account elsewhere meanwhile: unlock that one with its passphrase."
                    .into(),
            );
        }
        Ok(code)
    }

    /// Unlocks with the passphrase; a wrong one says so and changes nothing.
    pub async fn unlock(&self, passphrase: SecretString) -> Result<(), String> {
        let keyring = self
            .keyring
            .get_untracked()
            .ok_or("There is no keyring yet.")?;
        let (params, salt) = keyring
            .kdf_input(SlotKind::Passphrase)
            .ok_or("The keyring has no passphrase slot.")?;
        let kek = kdf::derive(passphrase.expose_secret().as_bytes(), &salt, params).await?;
        let unlocked = keyring
            .unlock_with_kek(SlotKind::Passphrase, &kek)
            .map_err(|e| e.to_string())?;
        self.unlocked_keyring.set_value(Some(unlocked));
        self.unlocked.set(true);
        self.auto_locked.set(false);
        if self.keyring_pending.get_untracked() {
            // Changes made here may have waited for the data key to merge.
            let state = *self;
            leptos::task::spawn_local(async move {
                let _ = state.sync(true).await;
            });
        }
        Ok(())
    }

    /// Forgets the data key (zeroized when dropped).
    pub fn lock(&self) {
        self.unlocked_keyring.set_value(None);
        self.unlocked.set(false);
    }

    /// Deletes the keyring: every stored key is gone; systems stay. Needs
    /// the server (a reset can't wait in a queue: it would undo whatever
    /// another browser stores meanwhile).
    pub async fn reset_keyring(&self) -> Result<(), String> {
        let lock = self.sync_lock.get_value();
        let _one_at_a_time = lock.lock().await;
        if let Some(tag) = self.keyring_tag.get_untracked() {
            match api::delete_blob(KEYRING, &tag).await {
                Ok(()) | Err(ApiError::Failed { status: 404, .. }) => {}
                Err(ApiError::Conflict { .. }) => {
                    return Err(
                        "The keyring changed elsewhere meanwhile. Reload and try again.".into(),
                    );
                }
                Err(ApiError::Offline) => {
                    return Err(
                        "Resetting the keyring needs the network: try again once online.".into(),
                    );
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        self.lock();
        self.keyring.set(None);
        self.keyring_tag.set(None);
        self.keyring_pending.set(false);
        self.persist().await;
        Ok(())
    }
}

/// Keyring entries: read while unlocked; writes are sealed and stored
/// with If-Match, merging with the server's copy when it changed meanwhile.
impl AppState {
    pub fn is_unlocked(&self) -> bool {
        self.unlocked.get_untracked()
    }

    /// An entry's value, or `None`; an error when locked or tampered with.
    pub fn entry(&self, id: &str) -> Result<Option<EntryValue>, String> {
        self.unlocked_keyring
            .with_value(|u| u.as_ref().map(|u| u.get(id).map_err(|e| e.to_string())))
            .ok_or_else(|| "locked".to_owned())?
    }

    pub async fn store_entry(&self, id: &str, value: EntryValue) -> Result<(), String> {
        let now = now_ms();
        self.unlocked_keyring
            .try_update_value(|u| u.as_mut().map(|u| u.set(id, &value, now, &mut OsRng)))
            .flatten()
            .ok_or("Unlock the keyring first.")?
            .map_err(|e| e.to_string())?;
        self.save_keyring().await
    }

    /// Seals the changed keyring into this browser's copy and syncs it.
    async fn save_keyring(&self) -> Result<(), String> {
        let view = self
            .unlocked_keyring
            .try_update_value(|u| {
                u.as_mut().map(|u| {
                    u.seal(&mut OsRng);
                    u.keyring().clone()
                })
            })
            .flatten()
            .ok_or("Unlock the keyring first.")?;
        self.keyring.set(Some(view));
        self.keyring_pending.set(true);
        self.persist().await;
        self.sync(false).await.map_err(|e| e.to_string())
    }

    /// Folds the server's copy into the unlocked keyring (verifying it with
    /// the data key); with `seal`, returns the result sealed for pushing.
    pub(crate) fn merge_unlocked(
        &self,
        remote: &Keyring,
        seal: bool,
    ) -> Result<Option<Keyring>, String> {
        self.unlocked_keyring
            .try_update_value(|u| {
                u.as_mut().map(|u| {
                    u.merge(remote).map_err(|e| e.to_string())?;
                    Ok(seal.then(|| {
                        u.seal(&mut OsRng);
                        u.keyring().clone()
                    }))
                })
            })
            .flatten()
            .ok_or_else(|| "Unlock the keyring first.".to_owned())?
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
    /// Unlocks with the recovery code and sets a new passphrase at once.
    pub async fn recover(&self, code: &str, new_passphrase: SecretString) -> Result<(), String> {
        let keyring = self
            .keyring
            .get_untracked()
            .ok_or("There is no keyring yet.")?;
        let secret = Keyring::recovery_code_secret(code).map_err(|e| e.to_string())?;
        let (params, salt) = keyring
            .kdf_input(SlotKind::RecoveryCode)
            .ok_or("This keyring has no recovery code.")?;
        let kek = kdf::derive(&secret, &salt, params).await?;
        let unlocked = keyring
            .unlock_with_kek(SlotKind::RecoveryCode, &kek)
            .map_err(|e| e.to_string())?;
        self.unlocked_keyring.set_value(Some(unlocked));
        self.unlocked.set(true);
        self.auto_locked.set(false);
        self.change_passphrase(new_passphrase).await
    }

    /// Re-wraps the data key under a new passphrase; no entry changes.
    pub async fn change_passphrase(&self, new_passphrase: SecretString) -> Result<(), String> {
        let params = KdfParams::DEFAULT;
        let salt = random16();
        let kek = kdf::derive(new_passphrase.expose_secret().as_bytes(), &salt, params).await?;
        let now = now_ms();
        self.unlocked_keyring
            .try_update_value(|u| {
                u.as_mut()
                    .map(|u| u.change_passphrase_with_kek(params, salt, &kek, now, &mut OsRng))
            })
            .flatten()
            .ok_or("Unlock the keyring first.")?
            .map_err(|e| e.to_string())?;
        self.save_keyring().await
    }

    /// Removes an entry (a tombstone, so the removal syncs); nothing to do
    /// when there is no such entry.
    pub async fn remove_entry(&self, id: &str) -> Result<(), String> {
        let now = now_ms();
        let removed = self
            .unlocked_keyring
            .try_update_value(|u| u.as_mut().map(|u| u.remove(id, now)))
            .flatten()
            .ok_or("Unlock the keyring first: the system's API key is stored in it.")?;
        if removed {
            self.save_keyring().await
        } else {
            Ok(())
        }
    }
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
    hex(&bytes)
}

pub fn hex(bytes: &[u8]) -> String {
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
