//! The same core code, run as wasm32 inside headless Chromium
//! (`cargo xtask test` runs it with wasm-bindgen-test-runner): the known
//! answers must come out the same as natively.
#![cfg(target_arch = "wasm32")]

mod common;

use keyhaven_core::{
    api::ErrorBody,
    keyring::{EntryValue, KdfParams, Keyring},
    ssh::{self, KeyKind},
};
use rand_core::OsRng;
use secrecy::{ExposeSecret, SecretString};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn wire_types_round_trip_in_the_browser() {
    let body = ErrorBody::new("conflict", "Someone else changed this.");
    let text = serde_json::to_string(&body).unwrap();
    assert_eq!(
        text,
        r#"{"error":{"code":"conflict","message":"Someone else changed this."}}"#
    );
    assert_eq!(serde_json::from_str::<ErrorBody>(&text).unwrap(), body);
}

#[wasm_bindgen_test]
fn argon2_matches_the_reference() {
    common::argon2_matches_the_reference();
}

#[wasm_bindgen_test]
fn keyring_v1_vector_opens() {
    common::keyring_v1_vector_opens();
}

#[wasm_bindgen_test]
fn ssh_keys_match_ssh_keygen() {
    common::ssh_keys_match_ssh_keygen();
}

/// The browser's random source works: a new keyring round-trips.
#[wasm_bindgen_test]
fn a_keyring_made_in_the_browser_round_trips() {
    let fast = KdfParams {
        memory_kib: 64,
        passes: 1,
        lanes: 1,
    };
    let passphrase = SecretString::from("p".to_owned());
    let mut keyring =
        Keyring::create_with_passphrase("browser", &passphrase, fast, 1, &mut OsRng).unwrap();
    let value = EntryValue::SshPrivateKey {
        openssh: SecretString::from("key".to_owned()),
    };
    keyring.set("ssh-private/k", &value, 1, &mut OsRng).unwrap();
    let bytes = keyring.seal(&mut OsRng);
    let reopened = Keyring::parse(&bytes)
        .unwrap()
        .unlock_with_passphrase(&passphrase)
        .unwrap();
    match reopened.get("ssh-private/k").unwrap() {
        Some(EntryValue::SshPrivateKey { openssh }) => assert_eq!(openssh.expose_secret(), "key"),
        other => panic!("{other:?}"),
    }
    let key = ssh::generate(KeyKind::Ed25519, "browser", &mut OsRng).unwrap();
    assert!(ssh::fingerprint_sha256(key.public_key()).starts_with("SHA256:"));
}
