//! The app's shared state: who is signed in, and the account as this
//! browser has it, shown in signals. The sync engine (`sync`) owns the
//! replicas; every command here asks it, then shows what it holds
//! (`refresh`), so views only ever read signals.

mod entries;
mod keyring;
mod syncing;

pub use entries::MetadataExt;
pub use syncing::start as start_syncing;

use std::{rc::Rc, sync::Arc};

use keyhaven_core::{
    keyring::Keyring,
    model::{Finding, Metadata},
    sync::KeyringConflict,
};
use leptos::prelude::*;

use crate::{
    net::api,
    saved,
    sync::{Browser, BrowserEngine, Server},
    tabs,
};

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

/// Everything a screen can read, grouped by concern, and the commands it
/// runs. All parts are `Copy` handles to signals; a view that only reads
/// one concern takes that part as a context of its own (`Status`,
/// `Prompts`, see `App`), a view that runs commands takes the whole state.
#[derive(Clone, Copy)]
pub struct AppState {
    pub session: RwSignal<Session>,
    /// The engine's document itself (shared, never copied to be shown).
    pub metadata: RwSignal<Arc<Metadata>>,
    device: StoredValue<String>,
    pub vault: Vault,
    pub status: Status,
    pub prompts: Prompts,
    /// The signed-in account's sync engine (a new one at each sign-in).
    engine: StoredValue<Rc<BrowserEngine>, LocalStorage>,
    /// The items that are not verified, looked for once per change of the
    /// metadata or the lock (`trust.rs`), however many views ask.
    pub(crate) findings: Memo<Vec<Finding>>,
    retrying: StoredValue<bool>,
}

/// The keyring as this tab has it, and whether it is unlocked.
#[derive(Clone, Copy)]
pub struct Vault {
    /// The stored keyring (ids and name readable; values encrypted).
    pub keyring: RwSignal<Option<Keyring>>,
    /// Whether the keyring is unlocked (the data key stays in the engine).
    pub unlocked: RwSignal<bool>,
    /// The server's keyring was not taken; the user decides.
    pub conflict: RwSignal<Option<KeyringConflict>>,
    /// Just unlocked, the metadata's seals are being opened in slices
    /// (`state::keyring`): the trust notices wait for them rather than
    /// opening a fleet's 5,000 at once. (Whatever sends a secret opens the
    /// seal it needs itself.)
    pub opening_seals: RwSignal<bool>,
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
    /// What sync tells the user (edits replaced elsewhere, refused items,
    /// unproven deletions), each until dismissed.
    pub notices: RwSignal<Vec<crate::sync::Notice>>,
}

impl AppState {
    pub fn new() -> Self {
        let device = device_id();
        let metadata = RwSignal::new(Arc::default());
        let unlocked = RwSignal::new(false);
        let opening_seals = RwSignal::new(false);
        let engine = StoredValue::new_local(Rc::new(engine_for(None, device.clone())));
        Self {
            session: RwSignal::new(Session::Unknown),
            metadata,
            engine,
            findings: Memo::new(move |_| {
                metadata.track();
                if !unlocked.get() || opening_seals.get() {
                    return Vec::new();
                }
                engine.get_value().replicas().findings()
            }),
            device: StoredValue::new(device),
            vault: Vault {
                keyring: RwSignal::new(None),
                unlocked,
                conflict: RwSignal::new(None),
                opening_seals,
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
            retrying: StoredValue::new(false),
        }
    }

    /// The signed-in account's sync engine.
    pub(crate) fn engine(&self) -> Rc<BrowserEngine> {
        self.engine.get_value()
    }

    /// Shows what the engine holds now (each signal set only when it
    /// changed, so views redraw only then), and the notices it has.
    pub(crate) fn refresh(&self) {
        let engine = self.engine();
        {
            let r = engine.replicas();
            show(self.metadata, &r.metadata.metadata);
            show(self.vault.keyring, &r.keyring.keyring);
            show(self.vault.unlocked, &r.keyring.unlocked.is_some());
            show(self.vault.conflict, &r.keyring.conflict);
            show(self.status.metadata_pending, &r.metadata.pending);
            show(self.status.keyring_pending, &r.keyring.pending);
            show(self.status.synced_at, &r.synced_at);
        }
        let notices = engine.write(|r| std::mem::take(&mut r.notices));
        self.tell(notices);
    }

    /// Shows the engine's metadata now, before the rest (a sync's outcome
    /// is shown once this browser's copy is saved: "Synced" promises that).
    pub(crate) fn show_metadata(&self) {
        show(self.metadata, &self.engine().replicas().metadata.metadata);
    }

    /// Adds notices, each once.
    pub(crate) fn tell(&self, notices: Vec<crate::sync::Notice>) {
        let fresh: Vec<_> = notices
            .into_iter()
            .filter(|n| !self.prompts.notices.with_untracked(|all| all.contains(n)))
            .collect();
        if !fresh.is_empty() {
            self.prompts.notices.update(|n| n.extend(fresh));
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

    /// A new session (or none): a fresh engine for the account; the old
    /// one is retired, so a sync still in flight saves nothing.
    pub fn signed_in(&self, username: Option<String>) {
        self.engine().retire();
        self.session.set(match &username {
            Some(user) => Session::SignedIn(user.clone()),
            None => Session::SignedOut,
        });
        self.engine
            .set_value(Rc::new(engine_for(username, self.device())));
        self.refresh();
        self.prompts.unlock_dismissed.set(false);
        self.prompts.notices.set(Vec::new());
        self.status.sync_problem.set(None);
        self.status.reachable.set(true);
        self.status.loaded.set(false);
    }

    /// Signs out here: this browser's copy of the account goes too. (After
    /// the sync in flight, so none writes the copy back after it.)
    pub async fn sign_out(&self) {
        self.engine().close().await;
        let _ = api::sign_out().await;
        self.signed_in(None);
        // Under the saved copy's lock: a save that began before sign-out
        // finishes first.
        let _browser_wide = tabs::lock().await;
        let _ = saved::clear().await;
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

/// Sets `signal` to `value` when it differs. (The metadata is an `Arc`,
/// whose comparison looks at the pointer first: the engine's document
/// itself, shown already, is not looked into.)
fn show<T: Clone + PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: &T) {
    if signal.with_untracked(|v| v != value) {
        signal.set(value.clone());
    }
}

fn engine_for(user: Option<String>, device: String) -> BrowserEngine {
    let saved = Browser {
        user: user.clone().unwrap_or_default(),
    };
    BrowserEngine::new(Server, saved, user, device, now_ms)
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
