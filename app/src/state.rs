//! The app's shared state: who is signed in and the account's metadata
//! document, kept in sync with the server. Every write names the version it
//! replaces; when someone else wrote first, the server's copy is fetched,
//! merged item by item (core's merge) and the write retried, so no edit is
//! lost.

use keyhaven_core::model::Metadata;
use leptos::prelude::*;

use crate::net::api::{self, ApiError};

const METADATA: &str = "metadata";
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
}

impl AppState {
    pub fn new() -> Self {
        Self {
            user: RwSignal::new(None),
            metadata: RwSignal::new(Metadata::default()),
            metadata_tag: RwSignal::new(None),
            loaded: RwSignal::new(false),
            device: StoredValue::new(device_id()),
        }
    }

    /// This browser's id, stamped on its edits.
    pub fn device(&self) -> String {
        self.device.get_value()
    }

    pub fn signed_in(&self, username: Option<String>) {
        self.user.set(Some(username));
        self.metadata.set(Metadata::default());
        self.metadata_tag.set(None);
        self.loaded.set(false);
    }

    /// Loads the account's metadata from the server. (Listing first means
    /// a new account's missing blob is never fetched into a 404.)
    pub async fn load(&self) -> Result<(), ApiError> {
        let exists = api::list_blobs().await?.iter().any(|b| b.name == METADATA);
        let stored = if exists {
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

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
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
