//! Untrusted keyring bytes: parsing never panics, and whatever parses
//! serializes back to exactly the same bytes. Each input is tried as it is
//! and with a correct checksum appended, so the fuzzer gets past the
//! checksum into the structure (as a hostile server could).
#![no_main]

use keyhaven_core::keyring::{Keyring, SlotKind};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fn check(bytes: &[u8]) {
    if let Ok(keyring) = Keyring::parse(bytes) {
        assert_eq!(keyring.to_bytes(), bytes);
        let _ = keyring.entry_ids().count();
        let _ = keyring.check_revision(u64::MAX);
        let _ = keyring.kdf_input(SlotKind::Passphrase);
        let _ = keyring.kdf_input(SlotKind::RecoveryCode);
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut with_checksum = data.to_vec();
    with_checksum.extend_from_slice(&Sha256::digest(data));
    check(&with_checksum);
});
