//! Untrusted keyring bytes: parsing never panics, and whatever parses
//! serializes back to exactly the same bytes.
#![no_main]

use keyhaven_core::keyring::Keyring;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(keyring) = Keyring::parse(data) {
        assert_eq!(keyring.to_bytes(), data);
        let _ = keyring.entry_ids().count();
        let _ = keyring.check_revision(u64::MAX);
        let _ = keyring.kdf_input(keyhaven_core::keyring::SlotKind::Passphrase);
    }
});
