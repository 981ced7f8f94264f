//! Known-answer checks run both natively (`tests/vectors.rs`) and as wasm in
//! headless Chromium (`tests/wasm.rs`): the same inputs must give the same
//! answers on both.

use keyhaven_core::{
    keyring::{EntryValue, KdfParams, Keyring, derive_kek},
    ssh,
};
use secrecy::{ExposeSecret, SecretString};

const KEYRING_V1: &str = include_str!("../vectors/keyring-v1.hex");
const ED25519: &str = include_str!("../vectors/ed25519");
const ED25519_FINGERPRINTS: &str = include_str!("../vectors/ed25519.fingerprint");
const ECDSA_ENCRYPTED: &str = include_str!("../vectors/ecdsa384-encrypted");
const ECDSA_FINGERPRINT: &str = include_str!("../vectors/ecdsa384-encrypted.fingerprint");

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Argon2id against the reference C implementation's output.
pub(crate) fn argon2_matches_the_reference() {
    let params = KdfParams {
        memory_kib: 1024,
        passes: 3,
        lanes: 4,
    };
    let kek = derive_kek(b"correct horse", b"0123456789abcdef", params).unwrap();
    assert_eq!(
        hex(kek.expose()),
        "8b98585ada6f12f73c4a46b1dc549fb7e19d75762349343a5ee34712157ea3c7"
    );
}

/// The committed format-v1 keyring opens with its passphrase and recovery
/// code and yields its values.
pub(crate) fn keyring_v1_vector_opens() {
    let mut lines = KEYRING_V1.lines();
    let (bytes, code) = (lines.next().unwrap(), lines.next().unwrap());
    let bytes: Vec<u8> = (0..bytes.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&bytes[i..i + 2], 16).unwrap())
        .collect();
    let keyring = Keyring::parse(&bytes).unwrap();
    let passphrase = SecretString::from("correct horse battery staple".to_owned());
    let unlocked = keyring.unlock_with_passphrase(&passphrase).unwrap();
    match unlocked.get("api-key/nas2").unwrap() {
        Some(EntryValue::ApiKey { username, key }) => {
            assert_eq!(username, "admin");
            assert_eq!(key.expose_secret(), "2-bbbb");
        }
        other => panic!("{other:?}"),
    }
    assert!(keyring.unlock_with_recovery_code(code).is_ok());
    let wrong = SecretString::from("wrong".to_owned());
    assert_eq!(
        keyring.unlock_with_passphrase(&wrong).unwrap_err(),
        keyhaven_core::Error::WrongPassphrase
    );
}

/// Keys written by ssh-keygen import and fingerprint exactly as ssh-keygen
/// printed them.
pub(crate) fn ssh_keys_match_ssh_keygen() {
    let key = ssh::import_private_key(ED25519)
        .unwrap()
        .decrypt("")
        .unwrap();
    let mut expected = ED25519_FINGERPRINTS.lines();
    assert_eq!(
        ssh::fingerprint_sha256(key.public_key()),
        expected.next().unwrap()
    );
    assert_eq!(
        ssh::fingerprint_md5(key.public_key()),
        expected.next().unwrap()
    );

    let encrypted = ssh::import_private_key(ECDSA_ENCRYPTED).unwrap();
    let key = encrypted.decrypt("vector pass").unwrap();
    assert_eq!(
        ssh::fingerprint_sha256(key.public_key()),
        ECDSA_FINGERPRINT.trim()
    );
    assert!(
        ssh::import_private_key(ECDSA_ENCRYPTED)
            .unwrap()
            .decrypt("wrong")
            .is_err()
    );
}
