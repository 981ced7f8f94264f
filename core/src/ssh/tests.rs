use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
use secrecy::ExposeSecret;

use super::*;

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(42)
}

#[test]
fn generated_keys_round_trip_through_openssh_text() {
    let mut rng = rng();
    for kind in [
        KeyKind::Ed25519,
        KeyKind::EcdsaP256,
        KeyKind::EcdsaP384,
        KeyKind::EcdsaP521,
    ] {
        let key = generate(kind, "nas1 Key", &mut rng).unwrap();
        let text = export_private(&key, None, &mut rng).unwrap();
        let Imported::Plain(back) = import_private_key(text.expose_secret()).unwrap() else {
            panic!("{kind:?}: a plain key imported as encrypted");
        };
        assert_eq!(
            back.public_key().key_data(),
            key.public_key().key_data(),
            "{kind:?}"
        );
        assert_eq!(back.comment(), "nas1 Key");
        assert!(public_line(key.public_key()).ends_with(" nas1 Key"));
    }
}

#[test]
fn encrypted_export_needs_the_passphrase() {
    let mut rng = rng();
    let key = generate(KeyKind::Ed25519, "", &mut rng).unwrap();
    let text = export_private(&key, Some("open sesame"), &mut rng).unwrap();
    let imported = import_private_key(text.expose_secret()).unwrap();
    assert!(matches!(imported, Imported::Encrypted(_)));
    let Imported::Encrypted(encrypted) = imported else {
        unreachable!()
    };
    let wrong = Imported::Encrypted(encrypted.clone())
        .decrypt("open sesam")
        .unwrap_err();
    assert!(wrong.to_string().contains("Wrong passphrase"), "{wrong}");
    let right = Imported::Encrypted(encrypted)
        .decrypt("open sesame")
        .unwrap();
    assert_eq!(right.public_key().key_data(), key.public_key().key_data());
}

#[test]
fn pairs_are_checked_with_truenas_messages() {
    let mut rng = rng();
    let a = generate(KeyKind::Ed25519, "a", &mut rng).unwrap();
    let b = generate(KeyKind::Ed25519, "b", &mut rng).unwrap();
    let a_public = public_line(a.public_key());
    let message = |r: Result<ssh_key::PublicKey, Error>| r.unwrap_err().to_string();

    assert_eq!(message(check_pair(None, None)), "You must specify a key");
    assert_eq!(
        message(check_pair(Some(&b), Some(&a_public))),
        "Private key and public key do not match"
    );
    assert_eq!(
        message(check_pair(Some(&a), Some("ssh-ed25519 garbage"))),
        "Invalid public key"
    );
    // The comment doesn't matter; an empty public key is derived.
    let other_comment = a_public.replace(" a", " something else");
    assert!(check_pair(Some(&a), Some(&other_comment)).is_ok());
    assert_eq!(
        check_pair(Some(&a), Some("  ")).unwrap().key_data(),
        a.public_key().key_data()
    );
}

#[test]
fn imports_tolerate_crlf_blanks_and_rewrapping() {
    let mut rng = rng();
    let key = generate(KeyKind::EcdsaP256, "c", &mut rng).unwrap();
    let text = export_private(&key, None, &mut rng).unwrap();
    let body: String = text
        .expose_secret()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let rewrapped: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| format!("   {}  ", std::str::from_utf8(c).unwrap()))
        .collect();
    let messy = format!(
        "\r\n\r\n  -----BEGIN OPENSSH PRIVATE KEY-----\r\n{}\r\n-----END OPENSSH PRIVATE KEY-----\r\n\r\n",
        rewrapped.join("\r\n")
    );
    let Imported::Plain(back) = import_private_key(&messy).unwrap() else {
        panic!()
    };
    assert_eq!(back.public_key().key_data(), key.public_key().key_data());
}

#[test]
fn garbage_gets_a_clear_message() {
    for text in [
        "",
        "hello",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nnot base64!\n-----END OPENSSH PRIVATE KEY-----",
    ] {
        let error = import_private_key(text).unwrap_err().to_string();
        assert!(!error.is_empty(), "{text:?}");
    }
    assert_eq!(
        import_private_key("  ").unwrap_err().to_string(),
        "You must specify a key"
    );
    let public = import_private_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
        .unwrap_err();
    assert!(public.to_string().contains("public key"), "{public}");
    let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----";
    assert!(
        import_private_key(legacy)
            .unwrap_err()
            .to_string()
            .contains("ssh-keygen -p")
    );
}

#[test]
fn file_types_and_descriptions_follow_truenas() {
    let mut rng = rng();
    let ed = generate(KeyKind::Ed25519, "", &mut rng).unwrap();
    let ec = generate(KeyKind::EcdsaP384, "", &mut rng).unwrap();
    assert_eq!(file_type(ed.public_key()), "ed25519");
    assert_eq!(file_type(ec.public_key()), "ecdsa");
    assert_eq!(describe(ec.public_key()), "ECDSA P-384");
    assert!(matches!(
        generate(KeyKind::Rsa(1024), "", &mut rng),
        Err(Error::Key(_))
    ));
}

#[test]
fn host_keys_are_read_from_every_usual_form() {
    let mut rng = rng();
    let a = public_line(
        generate(KeyKind::Ed25519, "", &mut rng)
            .unwrap()
            .public_key(),
    );
    let b = public_line(
        generate(KeyKind::EcdsaP256, "", &mut rng)
            .unwrap()
            .public_key(),
    );
    let forms = [
        // TrueNAS's stored form.
        format!("{a}\n{b}"),
        // ssh-keyscan output, with its comment lines.
        format!("# 10.0.0.5:22 SSH-2.0-OpenSSH_9.2\n10.0.0.5 {a}\n# x\n10.0.0.5 {b}\n"),
        // known_hosts: patterns, ports, hashed hosts, trailing comments.
        format!("nas2,10.0.0.5 {a} root@nas2\n|1|abc=|def= {b}\n"),
        // Duplicates collapse.
        format!("{a}\n{b}\n{a}"),
    ];
    for text in forms {
        let keys = parse_host_keys(&text).unwrap();
        assert_eq!(keys.len(), 2, "{text}");
        assert_eq!(format_host_keys(&keys), format!("{a}\n{b}"));
    }
    let error = parse_host_keys(&format!("{a}\nnot a key\n"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("Line 2"), "{error}");
    assert!(parse_host_keys("# only comments\n").is_err());
    assert!(parse_host_keys(&format!("@revoked * {a}")).is_err());

    // Discover Remote Host Key: the same keys in another order or form are
    // taken; one key more, fewer or other is a change the user decides on.
    assert_eq!(judge_discovered("", &a), Discovered::Take);
    assert_eq!(
        judge_discovered(&format!("{a}\n{b}"), &format!("10.0.0.5 {b}\n10.0.0.5 {a}")),
        Discovered::Take
    );
    assert_eq!(
        judge_discovered(&a, &format!("{a}\n{b}")),
        Discovered::Changed
    );
    assert_eq!(
        judge_discovered(&format!("{a}\n{b}"), &a),
        Discovered::Changed
    );
    assert_eq!(judge_discovered(&a, &b), Discovered::Changed);
}

// Native only: the wasm build has no RSA key generation.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn rsa_from_der_refuses_small_and_foreign_keys() {
    use rsa::pkcs8::EncodePrivateKey;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let small = rsa::RsaPrivateKey::new(&mut rng, 768).unwrap();
    let der = small.to_pkcs8_der().unwrap();
    let error = from_pkcs8_der(der.as_bytes(), "").unwrap_err().to_string();
    assert!(error.contains("768 bits"), "{error}");
    // An Ed25519 key in PKCS#8 is not an RSA key.
    let ed = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&ed).unwrap();
    let error = from_pkcs8_der(der.as_bytes(), "").unwrap_err().to_string();
    assert!(error.contains("not an RSA private key"), "{error}");
    assert!(from_pkcs8_der(b"garbage", "").is_err());
}

/// Ed25519, ECDSA P-521 and RSA 4096 host keys: 1058 characters as TrueNAS
/// stores them, over its 1024-character limit.
const HOST_KEYS_1058: &str = include_str!("../../tests/vectors/host-keys-1058.txt");

#[test]
fn host_keys_are_fitted_to_truenas_field_strongest_kind_first() {
    let keys = parse_host_keys(HOST_KEYS_1058).unwrap();
    assert_eq!(format_host_keys(&keys).len(), 1058);
    // Given in any order, Ed25519 and ECDSA are kept and RSA left out.
    let mut reversed = keys.clone();
    reversed.reverse();
    for given in [keys.clone(), reversed] {
        let fitted = fit_host_keys(&given);
        assert_eq!(fitted.kept, vec![keys[0].clone(), keys[1].clone()]);
        assert_eq!(fitted.left_out, vec![keys[2].clone()]);
        assert!(fitted.text().len() <= TRUENAS_HOST_KEY_LIMIT);
        let described = fitted.left_out_described();
        assert_eq!(described.len(), 1);
        assert!(
            described[0].starts_with("RSA 4096 SHA256:"),
            "{described:?}"
        );
    }
    // What fits is kept whole, in the preferred order.
    let usual = [keys[2].clone(), keys[0].clone()];
    let fitted = fit_host_keys(&usual);
    assert_eq!(fitted.kept, vec![keys[0].clone(), keys[2].clone()]);
    assert!(fitted.left_out.is_empty());
    // Both ECDSA keys come before RSA, the longer curve first.
    let mut rng = rng();
    let p256 = generate(KeyKind::EcdsaP256, "", &mut rng).unwrap();
    let fitted = fit_host_keys(&[keys[2].clone(), p256.public_key().clone(), keys[1].clone()]);
    assert_eq!(
        fitted.kept,
        vec![keys[1].clone(), p256.public_key().clone()]
    );
    assert_eq!(fitted.left_out, vec![keys[2].clone()]);
}
