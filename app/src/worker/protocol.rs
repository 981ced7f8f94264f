//! The messages between the page, the key worker and its lane helpers: one
//! type per direction, turned into and read from JavaScript objects here
//! and nowhere else (`argon2-lane.js` reads the lane job's field names
//! listed on [`LaneJob`]). Secrets cross as `Uint8Array`s, which are
//! wiped once copied out or posted (postMessage sends a copy).

use std::fmt;

use js_sys::{Object, Reflect, Uint8Array};
use keyhaven_core::keyring::KdfParams;
use wasm_bindgen::JsValue;
use web_sys::Worker;
use zeroize::Zeroizing;

/// Page → key worker. (`Debug` leaves the secret out.)
#[derive(Clone, PartialEq, Eq)]
pub enum Request {
    /// Argon2id of `secret` (a passphrase or a recovery code's secret).
    Argon2id {
        id: u32,
        secret: Zeroizing<Vec<u8>>,
        salt: [u8; 16],
        params: KdfParams,
    },
    /// bcrypt-pbkdf (an encrypted OpenSSH key's KDF): `length` bytes.
    Bcrypt {
        id: u32,
        secret: Zeroizing<Vec<u8>>,
        salt: Vec<u8>,
        rounds: u32,
        length: u32,
    },
}

/// Key worker → page. (`Debug` leaves the key out.)
#[derive(Clone, PartialEq, Eq)]
pub enum Reply {
    /// The worker's wasm runs: requests can be posted.
    Ready,
    /// The derived key; for Argon2id also how many threads filled its lanes.
    Key {
        id: u32,
        key: Zeroizing<Vec<u8>>,
        threads: Option<u32>,
    },
    Failed {
        id: u32,
        message: String,
    },
}

/// Key worker → one lane helper: addresses in the shared memory and the
/// lanes it fills (`blocks`, `scratch`, `barrier`, `lanes`, `laneLength`,
/// `passes`, `firstLane`, `laneCount`, `threads`), sent with the lanes
/// module and the memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneJob {
    pub blocks: u32,
    pub scratch: u32,
    pub barrier: u32,
    pub lanes: u32,
    pub lane_length: u32,
    pub passes: u32,
    pub first_lane: u32,
    pub lane_count: u32,
    pub threads: u32,
}

/// Lane helper → key worker: `{done: true}` or `{error: "…"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaneReply {
    Done,
    Failed(String),
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Argon2id { id, params, .. } => f
                .debug_struct("Argon2id")
                .field("id", id)
                .field("params", params)
                .finish_non_exhaustive(),
            Self::Bcrypt { id, rounds, .. } => f
                .debug_struct("Bcrypt")
                .field("id", id)
                .field("rounds", rounds)
                .finish_non_exhaustive(),
        }
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ready => f.write_str("Ready"),
            Self::Key { id, threads, .. } => f
                .debug_struct("Key")
                .field("id", id)
                .field("threads", threads)
                .finish_non_exhaustive(),
            Self::Failed { id, message } => f
                .debug_struct("Failed")
                .field("id", id)
                .field("message", message)
                .finish(),
        }
    }
}

impl Request {
    /// Posts the request, wiping the JavaScript copy of the secret after.
    pub fn post(&self, worker: &Worker) -> Result<(), JsValue> {
        let (object, secret) = self.to_js();
        let posted = worker.post_message(&object);
        wipe(&secret);
        posted
    }

    /// The object to post, and its secret's array (to wipe once posted).
    pub fn to_js(&self) -> (JsValue, Uint8Array) {
        let object = Object::new();
        let secret = match self {
            Self::Argon2id {
                id,
                secret,
                salt,
                params,
            } => {
                set(&object, "id", (*id).into());
                set(&object, "kind", "argon2id".into());
                set(&object, "salt", Uint8Array::from(&salt[..]).into());
                set(&object, "memory", params.memory_kib.into());
                set(&object, "passes", params.passes.into());
                set(&object, "lanes", params.lanes.into());
                Uint8Array::from(&secret[..])
            }
            Self::Bcrypt {
                id,
                secret,
                salt,
                rounds,
                length,
            } => {
                set(&object, "id", (*id).into());
                set(&object, "kind", "bcrypt-pbkdf".into());
                set(&object, "salt", Uint8Array::from(&salt[..]).into());
                set(&object, "rounds", (*rounds).into());
                set(&object, "length", (*length).into());
                Uint8Array::from(&secret[..])
            }
        };
        set(&object, "secret", secret.clone().into());
        (object.into(), secret)
    }

    /// Reads a posted request, wiping its secret's array; `None` when it
    /// isn't one (the id, when it has one, to answer with).
    pub fn from_js(value: &JsValue) -> Result<Self, Option<u32>> {
        let id = number(value, "id");
        let secret_array = bytes_array(value, "secret").ok_or(id)?;
        let secret = Zeroizing::new(secret_array.to_vec());
        wipe(&secret_array);
        let id = id.ok_or(None)?;
        let salt = bytes_array(value, "salt").ok_or(Some(id))?.to_vec();
        let field = |name| number(value, name).ok_or(Some(id));
        match get(value, "kind").as_string().as_deref() {
            Some("argon2id") => Ok(Self::Argon2id {
                id,
                secret,
                salt: salt.try_into().map_err(|_| Some(id))?,
                params: KdfParams {
                    memory_kib: field("memory")?,
                    passes: field("passes")?,
                    lanes: field("lanes")?,
                },
            }),
            Some("bcrypt-pbkdf") => Ok(Self::Bcrypt {
                id,
                secret,
                salt,
                rounds: field("rounds")?,
                length: field("length")?,
            }),
            _ => Err(Some(id)),
        }
    }
}

impl Reply {
    pub fn to_js(&self) -> JsValue {
        let object = Object::new();
        match self {
            Self::Ready => return JsValue::from_str("ready"),
            Self::Key { id, key, threads } => {
                set(&object, "id", (*id).into());
                set(&object, "key", Uint8Array::from(&key[..]).into());
                if let Some(threads) = threads {
                    set(&object, "threads", (*threads).into());
                }
            }
            Self::Failed { id, message } => {
                set(&object, "id", (*id).into());
                set(&object, "error", message.as_str().into());
            }
        }
        object.into()
    }

    /// Reads the worker's message (the key's array is wiped once copied);
    /// `None` when it isn't one.
    pub fn from_js(value: &JsValue) -> Option<Self> {
        if value.as_string().as_deref() == Some("ready") {
            return Some(Self::Ready);
        }
        let id = number(value, "id")?;
        if let Some(message) = get(value, "error").as_string() {
            return Some(Self::Failed { id, message });
        }
        let array = bytes_array(value, "key")?;
        let key = Zeroizing::new(array.to_vec());
        wipe(&array);
        Some(Self::Key {
            id,
            key,
            threads: number(value, "threads"),
        })
    }
}

impl LaneJob {
    pub fn to_js(&self) -> JsValue {
        let object = Object::new();
        for (name, value) in [
            ("blocks", self.blocks),
            ("scratch", self.scratch),
            ("barrier", self.barrier),
            ("lanes", self.lanes),
            ("laneLength", self.lane_length),
            ("passes", self.passes),
            ("firstLane", self.first_lane),
            ("laneCount", self.lane_count),
            ("threads", self.threads),
        ] {
            set(&object, name, value.into());
        }
        object.into()
    }
}

impl LaneReply {
    pub fn from_js(value: &JsValue) -> Self {
        match get(value, "error").as_string() {
            Some(error) => Self::Failed(error),
            None if get(value, "done").is_truthy() => Self::Done,
            None => Self::Failed("an answer it didn't understand".into()),
        }
    }
}

fn get(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn set(object: &Object, name: &str, value: JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(name), &value);
}

/// A whole number that fits a `u32`.
fn number(value: &JsValue, name: &str) -> Option<u32> {
    let n = get(value, name).as_f64()?;
    (n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n)).then_some(n as u32)
}

fn bytes_array(value: &JsValue, name: &str) -> Option<Uint8Array> {
    use wasm_bindgen::JsCast;
    get(value, name).dyn_into::<Uint8Array>().ok()
}

fn wipe(array: &Uint8Array) {
    array.fill(0, 0, array.length());
}
