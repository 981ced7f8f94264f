//! The app's shared state: who is signed in, the account's metadata and
//! keyring as this browser has them, and what the user is told about
//! syncing them (see `sync` for how they reach the server).

mod entries;
mod keyring;

pub use entries::MetadataExt;

use keyhaven_core::{
    keyring::{Keyring, Unlocked},
    model::{Kind, Metadata, PinDigest},
    sync::Conflict,
};
use leptos::prelude::*;

use crate::{
    net::api::{self},
    saved, tabs,
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
