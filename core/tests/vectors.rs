//! Known answers, natively (the same checks run in Chromium: tests/wasm.rs).
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn argon2_matches_the_reference() {
    common::argon2_matches_the_reference();
}

#[test]
fn keyring_v1_vector_opens() {
    common::keyring_v1_vector_opens();
}

#[test]
fn ssh_keys_match_ssh_keygen() {
    common::ssh_keys_match_ssh_keygen();
}
