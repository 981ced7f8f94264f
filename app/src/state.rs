//! The app's shared state: who is signed in and the account's metadata
//! document, kept in sync with the server. Every write names the version it
//! replaces; when someone else wrote first, the server's copy is fetched,
//! merged item by item (core's merge) and the write retried, so no edit is
//! lost.

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
};

const METADATA: &str = "metadata";
const KEYRING: &str = "keyring";
/// Merge-and-retry rounds before giving up on a contended write.
const MAX_ATTEMPTS: usize = 5;

#[derive(Clone, Copy)]
pub struct AppState {
    /// `None` until the session was checked; then `Some(None)` when nobody
    /// is signed in.
    pub user: RwSignal<Option<Option<String>>>,
    pub metadata: RwSignal<Metadata>,
    metadata_tag: RwSignal<Option<String>>,
    /// Whether the metadata was loaded for the signed-in account.
    pub loaded: RwSignal<bool>,
    device: StoredValue<String>,
    /// The stored keyring (ids and name readable; values encrypted).
    pub keyring: RwSignal<Option<Keyring>>,
    keyring_tag: RwSignal<Option<String>>,
    /// Whether the keyring is unlocked; the key itself is below.
    pub unlocked: RwSignal<bool>,
    unlocked_keyring: StoredValue<Option<Unlocked>>,
    /// The user closed the Unlock Keyring dialog for this session.
    pub unlock_dismissed: RwSignal<bool>,
    /// The keyring locked itself after the idle time.
    pub auto_locked: RwSignal<bool>,
    /// The browser has a network (see `online`).
    pub online: RwSignal<bool>,
}

impl AppState {
    pub fn new() -> Self {
        Self {
            user: RwSignal::new(None),
            metadata: RwSignal::new(Metadata::default()),
            metadata_tag: RwSignal::new(None),
            loaded: RwSignal::new(false),
            device: StoredValue::new(device_id()),
            keyring: RwSignal::new(None),
            keyring_tag: RwSignal::new(None),
            unlocked: RwSignal::new(false),
            unlocked_keyring: StoredValue::new(None),
            unlock_dismissed: RwSignal::new(false),
            auto_locked: RwSignal::new(false),
            online: RwSignal::new(true),
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
        self.keyring.set(None);
        self.keyring_tag.set(None);
        self.unlock_dismissed.set(false);
        self.loaded.set(false);
    }

    /// Loads the account's keyring and metadata. (Listing first means
    /// a new account's missing blob is never fetched into a 404.)
    pub async fn load(&self) -> Result<(), ApiError> {
        let blobs = api::list_blobs().await?;
        let exists = |name: &str| blobs.iter().any(|b| b.name == name);
        let stored_keyring = if exists(KEYRING) {
            api::get_blob(KEYRING).await?
        } else {
            None
        };
        match stored_keyring {
            Some((bytes, tag)) => {
                let keyring = Keyring::parse(&bytes).map_err(|e| ApiError::Failed {
                    status: 0,
                    message: e.to_string(),
                })?;
                self.keyring.set(Some(keyring));
                self.keyring_tag.set(Some(tag));
            }
            None => {
                self.keyring.set(None);
                self.keyring_tag.set(None);
            }
        }
        let stored = if exists(METADATA) {
            api::get_blob(METADATA).await?
        } else {
            None
        };
        match stored {
            Some((bytes, tag)) => {
                let metadata = Metadata::from_json(&bytes).map_err(|e| ApiError::Failed {
                    status: 0,
                    message: e.to_string(),
                })?;
                self.metadata.set(metadata);
                self.metadata_tag.set(Some(tag));
            }
            None => {
                self.metadata.set(Metadata::default());
                self.metadata_tag.set(None);
            }
        }
        self.loaded.set(true);
        Ok(())
    }

    /// Applies `edit` and stores the result; on a conflict, merges with the
    /// server's copy and tries again.
    pub async fn update_metadata(
        &self,
        edit: impl Fn(&mut Metadata, u64, &str),
    ) -> Result<(), ApiError> {
        let device = self.device();
        let mut local = self.metadata.get_untracked();
        edit(&mut local, now_ms(), &device);
        let mut tag = self.metadata_tag.get_untracked();
        for _ in 0..MAX_ATTEMPTS {
            match api::put_blob(METADATA, &local.to_json(), tag.as_deref()).await {
                Ok(new_tag) => {
                    self.metadata.set(local);
                    self.metadata_tag.set(Some(new_tag));
                    return Ok(());
                }
                Err(ApiError::Conflict { .. }) => {
                    // Someone else wrote first: take theirs, fold ours in.
                    let Some((bytes, remote_tag)) = api::get_blob(METADATA).await? else {
                        tag = None;
                        continue;
                    };
                    let mut merged = Metadata::from_json(&bytes).unwrap_or_default();
                    merged.merge(&local);
                    local = merged;
                    tag = Some(remote_tag);
                }
                Err(other) => return Err(other),
            }
        }
        Err(ApiError::Failed {
            status: 412,
            message: "Others kept changing this at the same time. Try again.".into(),
        })
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
        let bytes = unlocked.seal(&mut OsRng);
        let tag = match api::put_blob(KEYRING, &bytes, None).await {
            Ok(tag) => tag,
            Err(ApiError::Conflict { .. }) => {
                return Err(
                    "A keyring was created for this account elsewhere. Reload to use it.".into(),
                );
            }
            Err(e) => return Err(e.to_string()),
        };
        self.keyring.set(Some(unlocked.keyring().clone()));
        self.keyring_tag.set(Some(tag));
        self.unlocked_keyring.set_value(Some(unlocked));
        self.unlocked.set(true);
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
        Ok(())
    }

    /// Forgets the data key (zeroized when dropped).
    pub fn lock(&self) {
        self.unlocked_keyring.set_value(None);
        self.unlocked.set(false);
    }

    /// Deletes the keyring: every stored key is gone; systems stay.
    pub async fn reset_keyring(&self) -> Result<(), String> {
        if let Some(tag) = self.keyring_tag.get_untracked() {
            match api::delete_blob(KEYRING, &tag).await {
                Ok(()) | Err(ApiError::Failed { status: 404, .. }) => {}
                Err(ApiError::Conflict { .. }) => {
                    return Err(
                        "The keyring changed elsewhere meanwhile. Reload and try again.".into(),
                    );
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        self.lock();
        self.keyring.set(None);
        self.keyring_tag.set(None);
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

    async fn save_keyring(&self) -> Result<(), String> {
        let mut tag = self.keyring_tag.get_untracked();
        for _ in 0..MAX_ATTEMPTS {
            let (bytes, view) = self
                .unlocked_keyring
                .try_update_value(|u| {
                    u.as_mut()
                        .map(|u| (u.seal(&mut OsRng), u.keyring().clone()))
                })
                .flatten()
                .ok_or("Unlock the keyring first.")?;
            match api::put_blob(KEYRING, &bytes, tag.as_deref()).await {
                Ok(new_tag) => {
                    self.keyring.set(Some(view));
                    self.keyring_tag.set(Some(new_tag));
                    return Ok(());
                }
                Err(ApiError::Conflict { .. }) => {
                    let (remote, remote_tag) = api::get_blob(KEYRING)
                        .await
                        .map_err(|e| e.to_string())?
                        .ok_or("The keyring was reset elsewhere. Reload.")?;
                    let remote = Keyring::parse(&remote).map_err(|e| e.to_string())?;
                    self.unlocked_keyring
                        .try_update_value(|u| u.as_mut().map(|u| u.merge(&remote)))
                        .flatten()
                        .ok_or("Unlock the keyring first.")?
                        .map_err(|e| e.to_string())?;
                    tag = Some(remote_tag);
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        Err("Others kept changing the keyring at the same time. Try again.".into())
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
