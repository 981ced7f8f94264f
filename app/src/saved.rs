//! The signed-in account's copy in this browser (IndexedDB), so the app
//! opens, unlocks and edits without the network: the metadata and keyring
//! blobs as last synced or edited here, their server tags, whether each has
//! changes the server hasn't acknowledged, and the highest keyring revision
//! the server has shown (to catch a rollback). One account at a time;
//! signing out deletes it. Nothing here is secret beyond what the server
//! holds too: the keyring stays encrypted.

use js_sys::{Object, Reflect, Uint8Array};

use keyhaven_core::{
    api::{BlobName, Tag},
    model::{Basis, Kind, LockedEdit, PartMap, PinDigest},
    sync::stored::KnownPart,
};
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbRequest, IdbTransactionMode};

use crate::error::{AppError, BrowserFailure};

const DATABASE: &str = "keyhaven";
const STORE: &str = "account";
const KEY: &str = "current";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Saved {
    pub user: String,
    pub metadata: Option<Vec<u8>>,
    pub metadata_tag: Option<Tag>,
    /// The parts of the server's metadata as this browser last saw them.
    pub metadata_parts: PartMap<KnownPart>,
    pub metadata_pending: bool,
    pub keyring: Option<Vec<u8>>,
    pub keyring_tag: Option<Tag>,
    pub keyring_pending: bool,
    /// The highest keyring revision proven for the account (also kept in
    /// localStorage, which outlives sign-out).
    pub highest_revision: u64,
    /// Items written here while the keyring was locked, to seal at the
    /// next unlock.
    pub unsealed: Vec<LockedEdit>,
    /// Items taken in from the server while locked, to check at unlock,
    /// and this browser's versions they replaced (a metadata document).
    pub taken: Vec<(Kind, String)>,
    pub superseded: Option<Vec<u8>>,
    /// When this browser last had nothing left to sync (ms since epoch).
    pub synced_at: Option<u64>,
    /// Bumped by every write, so a tab can tell whether another tab wrote
    /// since it last looked (see `tabs`).
    pub generation: u64,
}

impl Saved {
    fn to_js(&self) -> Result<JsValue, JsValue> {
        let state = json!({
            "metadata_tag": self.metadata_tag,
            "metadata_parts": self.metadata_parts,
            "metadata_pending": self.metadata_pending,
            "keyring_tag": self.keyring_tag,
            "keyring_pending": self.keyring_pending,
            "highest_revision": self.highest_revision,
            "unsealed": self.unsealed.iter().map(|e| {
                let over = match &e.over {
                    Basis::Known => json!(0),
                    Basis::Unconfirmed => json!(1),
                    Basis::Sealed { seal, digest } => json!([seal, digest.to_vec()]),
                };
                json!([e.kind as u8, e.id, e.written.to_vec(), over])
            }).collect::<Vec<_>>(),
            "taken": self.taken.iter().map(|(kind, id)| json!([*kind as u8, id])).collect::<Vec<_>>(),
            "synced_at": self.synced_at,
            "generation": self.generation,
        });
        let object = Object::new();
        let bytes = |b: &Option<Vec<u8>>| {
            b.as_deref()
                .map_or(JsValue::NULL, |b| Uint8Array::from(b).into())
        };
        Reflect::set(&object, &"user".into(), &self.user.as_str().into())?;
        Reflect::set(&object, &"metadata".into(), &bytes(&self.metadata))?;
        Reflect::set(&object, &"keyring".into(), &bytes(&self.keyring))?;
        Reflect::set(&object, &"superseded".into(), &bytes(&self.superseded))?;
        Reflect::set(&object, &"state".into(), &state.to_string().into())?;
        Ok(object.into())
    }

    fn from_js(value: &JsValue) -> Option<Self> {
        let get = |name: &str| Reflect::get(value, &name.into()).ok();
        let bytes = |name: &str| {
            get(name)
                .and_then(|v| v.dyn_into::<Uint8Array>().ok())
                .map(|a| a.to_vec())
        };
        let state: Value = serde_json::from_str(&get("state")?.as_string()?).ok()?;
        let tag = |name: &str| state[name].as_str().and_then(|t| Tag::new(t).ok());
        Some(Self {
            user: get("user")?.as_string()?,
            metadata: bytes("metadata"),
            metadata_tag: tag("metadata_tag"),
            metadata_parts: serde_json::from_value(state["metadata_parts"].clone())
                .unwrap_or_default(),
            metadata_pending: state["metadata_pending"].as_bool().unwrap_or(false),
            keyring: bytes("keyring"),
            keyring_tag: tag("keyring_tag"),
            keyring_pending: state["keyring_pending"].as_bool().unwrap_or(false),
            highest_revision: state["highest_revision"].as_u64().unwrap_or(0),
            unsealed: state["unsealed"]
                .as_array()
                .map(|list| list.iter().filter_map(unsealed_item).collect())
                .unwrap_or_default(),
            taken: state["taken"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|v| Some((kind_of(&v[0])?, v[1].as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
            superseded: bytes("superseded"),
            synced_at: state["synced_at"].as_u64(),
            generation: state["generation"].as_u64().unwrap_or(0),
        })
    }
}

/// `[kind, id, digest bytes, basis]` back into an item written while
/// locked. A basis that is missing (saved by an earlier release) or can't
/// be read is Unconfirmed: the user confirms the item.
fn unsealed_item(value: &Value) -> Option<LockedEdit> {
    let kind = kind_of(&value[0])?;
    let over = match &value[3] {
        Value::Number(n) if n.as_u64() == Some(0) => Basis::Known,
        Value::Array(sealed) => match (sealed.first().and_then(Value::as_str), sealed.get(1)) {
            (Some(seal), Some(digest)) => {
                digest_of(digest).map_or(Basis::Unconfirmed, |digest| Basis::Sealed {
                    seal: seal.to_owned(),
                    digest,
                })
            }
            _ => Basis::Unconfirmed,
        },
        _ => Basis::Unconfirmed,
    };
    Some(LockedEdit {
        kind,
        id: value[1].as_str()?.to_owned(),
        written: digest_of(&value[2])?,
        over,
    })
}

fn kind_of(value: &Value) -> Option<Kind> {
    match value.as_u64()? {
        1 => Some(Kind::System),
        2 => Some(Kind::Keypair),
        3 => Some(Kind::Connection),
        _ => None,
    }
}

fn digest_of(value: &Value) -> Option<PinDigest> {
    let bytes: Vec<u8> = value
        .as_array()?
        .iter()
        .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
        .collect::<Option<_>>()?;
    bytes.try_into().ok()
}

/// The highest revision of the keyring (or of the metadata's manifest)
/// this browser has proven for an account. It lives in localStorage,
/// beside the saved copy rather than in it, because signing out deletes
/// the copy and must not forget this.
pub fn highest_revision(user: &str, of: BlobName) -> u64 {
    local_storage()
        .and_then(|s| s.get_item(&highest_key(user, of)).ok().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub fn remember_highest_revision(user: &str, of: BlobName, revision: u64) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(&highest_key(user, of), &revision.to_string());
    }
}

fn highest_key(user: &str, of: BlobName) -> String {
    match of {
        BlobName::Keyring => format!("keyhaven.highest-revision.{user}"),
        BlobName::Metadata => format!("keyhaven.highest-manifest.{user}"),
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The saved copy for `user`, if this browser has one.
pub async fn load(user: &str) -> Option<Saved> {
    let value = run(IdbTransactionMode::Readonly, |store| store.get(&KEY.into()))
        .await
        .ok()?;
    Saved::from_js(&value).filter(|saved| saved.user == user)
}

/// The user whose copy this browser holds (to open offline).
pub async fn user() -> Option<String> {
    let value = run(IdbTransactionMode::Readonly, |store| store.get(&KEY.into()))
        .await
        .ok()?;
    Saved::from_js(&value).map(|saved| saved.user)
}

/// The saved copy for `user` if it is of a generation after `than`:
/// only its small `state` is read to learn that, so a tab that wrote the
/// copy last does not convert a fleet's megabytes back each time it saves.
pub async fn load_newer(user: &str, than: u64) -> Option<Saved> {
    let value = run(IdbTransactionMode::Readonly, |store| store.get(&KEY.into()))
        .await
        .ok()?;
    let state = Reflect::get(&value, &"state".into()).ok()?.as_string()?;
    let generation = serde_json::from_str::<Value>(&state).ok()?["generation"]
        .as_u64()
        .unwrap_or(0);
    if generation <= than {
        return None;
    }
    Saved::from_js(&value).filter(|saved| saved.user == user)
}

/// Replaces the saved copy (any other account's goes with it).
pub async fn store(saved: &Saved) -> Result<(), AppError> {
    let value = saved.to_js().map_err(describe)?;
    run(IdbTransactionMode::Readwrite, |store| {
        store.put_with_key(&value, &KEY.into())
    })
    .await
    .map(drop)
    .map_err(describe)
}

/// Deletes the saved copy (signing out).
pub async fn clear() -> Result<(), AppError> {
    run(
        IdbTransactionMode::Readwrite,
        web_sys::IdbObjectStore::clear,
    )
    .await
    .map(drop)
    .map_err(describe)
}

fn describe(error: JsValue) -> AppError {
    AppError::Browser(BrowserFailure::Storage(
        error.as_string().unwrap_or_else(|| "IndexedDB".into()),
    ))
}

/// One request in its own transaction, finished when the transaction
/// commits (so a stored copy is on disk before anyone relies on it).
async fn run(
    mode: IdbTransactionMode,
    request: impl FnOnce(&web_sys::IdbObjectStore) -> Result<IdbRequest, JsValue>,
) -> Result<JsValue, JsValue> {
    let database = open().await?;
    let transaction = database.transaction_with_str_and_mode(STORE, mode)?;
    let request = request(&transaction.object_store(STORE)?)?;
    settled(|resolve, reject| {
        transaction.set_oncomplete(Some(resolve));
        transaction.set_onerror(Some(reject));
        transaction.set_onabort(Some(reject));
    })
    .await
    .map_err(|_| JsValue::from("the transaction failed"))?;
    database.close();
    request.result()
}

async fn open() -> Result<IdbDatabase, JsValue> {
    let factory = web_sys::window()
        .ok_or("no window")?
        .indexed_db()?
        .ok_or("IndexedDB is not available")?;
    let request = factory.open_with_u32(DATABASE, 1)?;
    let upgrade = request.clone();
    let create = Closure::once_into_js(move || {
        if let Ok(database) = upgrade
            .result()
            .and_then(wasm_bindgen::JsCast::dyn_into::<IdbDatabase>)
        {
            let _ = database.create_object_store(STORE);
        }
    });
    request.set_onupgradeneeded(Some(create.unchecked_ref()));
    settled(|resolve, reject| {
        request.set_onsuccess(Some(resolve));
        request.set_onerror(Some(reject));
    })
    .await
    .map_err(|_| JsValue::from("IndexedDB could not be opened"))?;
    request.result()?.dyn_into::<IdbDatabase>()
}

/// Waits for an IndexedDB object's outcome: `arm` hangs the promise's own
/// resolve and reject functions on the events that end it.
async fn settled(
    arm: impl FnOnce(&js_sys::Function, &js_sys::Function),
) -> Result<JsValue, JsValue> {
    let mut arm = Some(arm);
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        if let Some(arm) = arm.take() {
            arm(&resolve, &reject);
        }
    });
    JsFuture::from(promise).await
}
