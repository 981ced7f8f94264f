//! The key worker: the slow KDFs off the page's thread, so the page stays
//! responsive while a passphrase is stretched — Argon2id for the keyring
//! (64 MiB, 3 passes, 4 lanes), bcrypt-pbkdf for encrypted SSH keys. The
//! page's side is `kdf.rs`; the messages are `protocol.rs`.
//!
//! Argon2id's lanes are filled by a pool of helper workers sharing one
//! memory (`lanes.rs`) when the page is cross-origin isolated and has
//! cores to spare; otherwise, or if a helper fails, right here on one
//! thread. Both give the same key. `bin/worker.rs` only calls [`main`];
//! the code lives here so the wasm tests can reach the lanes.

pub mod lanes;
pub mod protocol;

use std::{cell::RefCell, rc::Rc};

use keyhaven_core::{
    keyring::{KdfParams, argon2id::Inputs, derive_kek},
    ssh::bcrypt_kdf,
};
use wasm_bindgen::{JsCast, prelude::Closure};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
use zeroize::Zeroizing;

use self::{
    lanes::Lanes,
    protocol::{Reply, Request},
};
use crate::error::AppError;

/// The helper workers' script, next to this worker's.
const LANE_SCRIPT: &str = "/argon2-lane.js";

thread_local! {
    /// The pool, when there is one (it takes one derivation at a time).
    static LANES: RefCell<Option<Rc<Lanes>>> = const { RefCell::new(None) };
}

/// Runs the worker: starts the helpers, answers every request, and says
/// [`Reply::Ready`] once its wasm is running.
pub fn main() {
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
        let request = Request::from_js(&event.data());
        wasm_bindgen_futures::spawn_local(async move {
            let reply = match request {
                Ok(request) => answer(request).await,
                Err(id) => Reply::Failed {
                    id: id.unwrap_or(0),
                    message: "The key worker was sent a request it doesn't know.".into(),
                },
            };
            let _ = reply_to.post_message(&reply.to_js());
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&Reply::Ready.to_js());
}

async fn answer(request: Request) -> Reply {
    match request {
        Request::Bcrypt {
            id,
            secret,
            salt,
            rounds,
            length,
        } => match bcrypt_kdf(&secret, &salt, rounds, length as usize) {
            Ok(key) => Reply::Key {
                id,
                key,
                threads: None,
            },
            Err(error) => Reply::Failed {
                id,
                message: error.to_string(),
            },
        },
        Request::Argon2id {
            id,
            secret,
            salt,
            params,
        } => match argon2id(&secret, &salt, params).await {
            Ok((key, threads)) => Reply::Key {
                id,
                key,
                threads: Some(threads as u32),
            },
            Err(message) => Reply::Failed { id, message },
        },
    }
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
                    AppError::Browser(why) => why.to_string(),
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
