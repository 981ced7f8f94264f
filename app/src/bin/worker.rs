//! The key-derivation worker: the slow KDFs off the page's thread, so the
//! page stays responsive while a passphrase is stretched — Argon2id for the
//! keyring (64 MiB, 3 passes, 4 lanes), bcrypt-pbkdf for encrypted SSH keys.
//!
//! Argon2id's lanes are filled by a pool of helper workers sharing one
//! memory (`keyhaven_app::lanes`) when the page is cross-origin isolated
//! and has cores to spare; otherwise, or if a helper fails, right here on
//! one thread. Both give the same key.
//!
//! Protocol: it posts `"ready"` once its wasm is running; then each message
//! `{id, kind: "argon2id", secret, salt, memory, passes, lanes}` or
//! `{id, kind: "bcrypt-pbkdf", secret, salt, rounds, length}` (byte fields
//! as `Uint8Array`) is answered with `{id, key: Uint8Array}` (for Argon2id
//! also `threads`, how many filled its lanes) or `{id, error: string}`.

use std::{cell::RefCell, rc::Rc};

use js_sys::{Object, Reflect, Uint8Array};
use keyhaven_app::{AppError, lanes::Lanes};
use keyhaven_core::{
    keyring::{KdfParams, argon2id::Inputs, derive_kek},
    ssh::bcrypt_kdf,
};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
use zeroize::Zeroizing;

/// The helper workers' script, next to this worker's.
const LANE_SCRIPT: &str = "/argon2-lane.js";

thread_local! {
    /// The pool, when there is one (it takes one derivation at a time).
    static LANES: RefCell<Option<Rc<Lanes>>> = const { RefCell::new(None) };
}

fn main() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    // The helpers start now, ahead of the first unlock, and warm up.
    if let Some(pool) = Lanes::start(LANE_SCRIPT).map(Rc::new) {
        LANES.with(|lanes| *lanes.borrow_mut() = Some(pool.clone()));
        wasm_bindgen_futures::spawn_local(async move {
            if pool.warm_up().await.is_err() && pool.is_broken() {
                LANES.with(|lanes| lanes.borrow_mut().take());
            }
        });
    }
    let reply_to = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let reply_to = reply_to.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = derive(&event.data()).await;
            let _ = reply_to.post_message(&answer);
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str("ready"));
}

async fn derive(request: &JsValue) -> JsValue {
    let field =
        |name: &str| Reflect::get(request, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    let number = |name: &str| field(name).as_f64().unwrap_or(0.0) as u32;
    let answer = Object::new();
    let _ = Reflect::set(&answer, &"id".into(), &field("id"));
    let secret = Zeroizing::new(Uint8Array::new(&field("secret")).to_vec());
    let salt = Uint8Array::new(&field("salt")).to_vec();
    // The key, and for Argon2id how many threads filled its lanes.
    let outcome: Result<(Zeroizing<Vec<u8>>, Option<usize>), String> =
        match field("kind").as_string().as_deref() {
            Some("bcrypt-pbkdf") => {
                bcrypt_kdf(&secret, &salt, number("rounds"), number("length") as usize)
                    .map(|key| (key, None))
                    .map_err(|e| e.to_string())
            }
            _ => {
                let params = KdfParams {
                    memory_kib: number("memory"),
                    passes: number("passes"),
                    lanes: number("lanes"),
                };
                match <[u8; 16]>::try_from(salt.as_slice()) {
                    Ok(salt) => argon2id(&secret, &salt, params)
                        .await
                        .map(|(key, threads)| (key, Some(threads))),
                    Err(_) => Err("The salt must be 16 bytes.".to_owned()),
                }
            }
        };
    match outcome {
        Ok((key, threads)) => {
            let _ = Reflect::set(&answer, &"key".into(), &Uint8Array::from(&key[..]));
            if let Some(threads) = threads {
                let _ = Reflect::set(&answer, &"threads".into(), &threads.into());
            }
        }
        Err(message) => {
            let _ = Reflect::set(&answer, &"error".into(), &JsValue::from_str(&message));
        }
    }
    answer.into()
}

/// Argon2id on the pool if there is one and the lanes can be shared,
/// else here; with the number of threads that filled the lanes.
async fn argon2id(
    secret: &[u8],
    salt: &[u8; 16],
    params: KdfParams,
) -> Result<(Zeroizing<Vec<u8>>, usize), String> {
    params.validate().map_err(|e| e.to_string())?;
    let pool = LANES.with(|lanes| lanes.borrow().clone());
    if let Some(pool) = pool.filter(|_| params.lanes > 1) {
        let inputs = Inputs::keyring(secret, salt);
        match pool.hash(&inputs, params).await {
            Ok(key) => return Ok((key, pool.threads().min(params.lanes as usize))),
            // Derived here instead. If a helper failed, the pool ends (its
            // workers with it, once the last reference goes) and this
            // worker derives alone from now on.
            Err(error) => {
                if pool.is_broken() {
                    LANES.with(|lanes| lanes.borrow_mut().take());
                }
                // (Its message only: the worker needn't carry every
                // error's text.)
                let why = match error {
                    AppError::Browser(why) => why,
                    _ => "Parallel Argon2 refused its parameters.".to_owned(),
                };
                web_sys::console::warn_1(&why.into());
            }
        }
    }
    derive_kek(secret, salt, params)
        .map(|key| (Zeroizing::new(key.expose().to_vec()), 1))
        .map_err(|e| e.to_string())
}
