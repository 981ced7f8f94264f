//! Untrusted key text (pasted or imported by the user, or stored host
//! keys): every reader answers with a key or an error, never a panic.
#![no_main]

use keyhaven_core::{keyring::Keyring, model::Metadata, ssh};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        let _ = Metadata::from_json(data);
        return;
    };
    if let Ok(imported) = ssh::import_private_key(text) {
        // Decrypting runs bcrypt-pbkdf with the file's own rounds; a plain
        // key returns at once.
        if let ssh::Imported::Plain(key) = imported {
            let _ = ssh::check_pair(Some(&key), Some(text));
            let _ = ssh::fingerprint_md5(key.public_key());
        }
    }
    if let Ok(keys) = ssh::parse_host_keys(text) {
        assert!(!keys.is_empty());
        let _ = ssh::format_host_keys(&keys);
    }
    let _ = ssh::parse_public_key(text);
    let _ = Keyring::recovery_code_secret(text);
    let _ = Metadata::from_json(data);
    let _ = keyhaven_core::model::normalize_truenas_url(text, "https");
    let _ = keyhaven_core::model::host_from_input(text);
});
