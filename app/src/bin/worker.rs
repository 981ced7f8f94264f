//! The key-derivation worker: the slow KDFs off the page's thread, so the
//! page stays responsive while a passphrase is stretched — Argon2id for the
//! keyring (64 MiB, 3 passes), bcrypt-pbkdf for encrypted SSH keys.
//!
//! Protocol: it posts `"ready"` once its wasm is running; then each message
//! `{id, kind: "argon2id", secret, salt, memory, passes, lanes}` or
//! `{id, kind: "bcrypt-pbkdf", secret, salt, rounds, length}` (byte fields
//! as `Uint8Array`) is answered with `{id, key: Uint8Array}` or
//! `{id, error: string}`.

use js_sys::{Object, Reflect, Uint8Array};
use keyhaven_core::{
    keyring::{KdfParams, derive_kek},
    ssh::bcrypt_kdf,
};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};
use zeroize::Zeroizing;

fn main() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let answer = derive(&event.data());
        let _ = reply_to.post_message(&answer);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str("ready"));
}

fn derive(request: &JsValue) -> JsValue {
    let field =
        |name: &str| Reflect::get(request, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    let number = |name: &str| field(name).as_f64().unwrap_or(0.0) as u32;
    let answer = Object::new();
    let _ = Reflect::set(&answer, &"id".into(), &field("id"));
    let secret = Zeroizing::new(Uint8Array::new(&field("secret")).to_vec());
    let salt = Uint8Array::new(&field("salt")).to_vec();
    let outcome: Result<Zeroizing<Vec<u8>>, String> = match field("kind").as_string().as_deref() {
        Some("bcrypt-pbkdf") => {
            bcrypt_kdf(&secret, &salt, number("rounds"), number("length") as usize)
                .map_err(|e| e.to_string())
        }
        _ => {
            let params = KdfParams {
                memory_kib: number("memory"),
                passes: number("passes"),
                lanes: number("lanes"),
            };
            match <[u8; 16]>::try_from(salt.as_slice()) {
                Ok(salt) => derive_kek(&secret, &salt, params)
                    .map(|key| Zeroizing::new(key.expose().to_vec()))
                    .map_err(|e| e.to_string()),
                Err(_) => Err("The salt must be 16 bytes.".to_owned()),
            }
        }
    };
    match outcome {
        Ok(key) => {
            let _ = Reflect::set(&answer, &"key".into(), &Uint8Array::from(&key[..]));
        }
        Err(message) => {
            let _ = Reflect::set(&answer, &"error".into(), &JsValue::from_str(&message));
        }
    }
    answer.into()
}
