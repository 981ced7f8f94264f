//! SSH keys against the real OpenSSH and OpenSSL tools, both ways: what we
//! write, `ssh-keygen` accepts (and fingerprints the same); what they write,
//! we import.
#![cfg(not(target_arch = "wasm32"))]

use std::{path::Path, process::Command};

use keyhaven_core::ssh::{self, Imported, KeyKind};
use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
use secrecy::ExposeSecret;

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn write_private(dir: &Path, name: &str, text: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path.to_str().unwrap().to_owned()
}

/// `type base64` of a public key line.
fn key_part(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn fingerprint_by_ssh_keygen(dir: &Path, public_line: &str, md5: bool) -> String {
    let path = dir.join("fp.pub");
    std::fs::write(&path, format!("{public_line}\n")).unwrap();
    let mut args = vec!["-l", "-f", path.to_str().unwrap()];
    if md5 {
        args.extend(["-E", "md5"]);
    }
    run("ssh-keygen", &args)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned()
}

#[test]
fn keys_we_write_are_accepted_by_ssh_keygen() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for kind in [
        KeyKind::Ed25519,
        KeyKind::EcdsaP256,
        KeyKind::EcdsaP384,
        KeyKind::EcdsaP521,
        KeyKind::Rsa(2048),
    ] {
        let key = ssh::generate(kind, "made by keyhaven", &mut rng).unwrap();
        let ours = ssh::public_line(key.public_key());

        let plain = ssh::export_private(&key, None, &mut rng).unwrap();
        let path = write_private(dir.path(), "plain", plain.expose_secret());
        assert_eq!(
            key_part(&run("ssh-keygen", &["-y", "-f", &path])),
            key_part(&ours),
            "{kind:?}"
        );

        let encrypted = ssh::export_private(&key, Some("pass phrase"), &mut rng).unwrap();
        let path = write_private(dir.path(), "encrypted", encrypted.expose_secret());
        assert_eq!(
            key_part(&run(
                "ssh-keygen",
                &["-y", "-P", "pass phrase", "-f", &path]
            )),
            key_part(&ours),
            "{kind:?} encrypted"
        );

        assert_eq!(
            ssh::fingerprint_sha256(key.public_key()),
            fingerprint_by_ssh_keygen(dir.path(), &ours, false)
        );
        assert_eq!(
            ssh::fingerprint_md5(key.public_key()),
            fingerprint_by_ssh_keygen(dir.path(), &ours, true)
        );
    }
}

#[test]
fn keys_ssh_keygen_writes_are_imported() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("ed25519", &["-t", "ed25519"]),
        ("ecdsa256", &["-t", "ecdsa", "-b", "256"]),
        ("ecdsa384", &["-t", "ecdsa", "-b", "384"]),
        ("ecdsa521", &["-t", "ecdsa", "-b", "521"]),
        ("rsa", &["-t", "rsa", "-b", "2048"]),
        // PEM forms ssh-keygen can write: PKCS#1 and SEC1, and PKCS#8.
        ("rsa-pem", &["-t", "rsa", "-b", "2048", "-m", "PEM"]),
        ("ecdsa-pem", &["-t", "ecdsa", "-b", "256", "-m", "PEM"]),
        ("rsa-pkcs8", &["-t", "rsa", "-b", "2048", "-m", "PKCS8"]),
        ("ecdsa-pkcs8", &["-t", "ecdsa", "-b", "384", "-m", "PKCS8"]),
        // P-384/P-521 PEM are read without curve arithmetic (ssh/ec_der.rs).
        ("ecdsa384-pem", &["-t", "ecdsa", "-b", "384", "-m", "PEM"]),
        ("ecdsa521-pem", &["-t", "ecdsa", "-b", "521", "-m", "PEM"]),
        (
            "ecdsa521-pkcs8",
            &["-t", "ecdsa", "-b", "521", "-m", "PKCS8"],
        ),
    ];
    for (name, args) in cases {
        for passphrase in ["", "s3cret pass"] {
            if passphrase.is_empty() || !args.contains(&"-m") {
                let path = dir.path().join(format!("{name}-{}", passphrase.len()));
                let path = path.to_str().unwrap();
                let mut all = args.to_vec();
                all.extend(["-q", "-N", passphrase, "-C", "from ssh-keygen", "-f", path]);
                run("ssh-keygen", &all);
                let text = std::fs::read_to_string(path).unwrap();
                let expected = std::fs::read_to_string(format!("{path}.pub")).unwrap();

                let imported = ssh::import_private_key(&text)
                    .unwrap_or_else(|e| panic!("{name} {passphrase:?}: {e}"));
                let key = if passphrase.is_empty() {
                    assert!(matches!(imported, Imported::Plain(_)), "{name}");
                    imported.decrypt("").unwrap()
                } else {
                    assert!(matches!(imported, Imported::Encrypted(_)), "{name}");
                    let again = ssh::import_private_key(&text).unwrap();
                    assert!(
                        again.decrypt("wrong").is_err(),
                        "{name}: wrong passphrase accepted"
                    );
                    imported
                        .decrypt(passphrase)
                        .unwrap_or_else(|e| panic!("{name} {passphrase:?}: {e}"))
                };
                assert_eq!(
                    key_part(&ssh::public_line(key.public_key())),
                    key_part(&expected),
                    "{name} {passphrase:?}"
                );
                // The derived public key passes the pair check with theirs.
                assert!(
                    ssh::check_pair(Some(&key), Some(&expected)).is_ok(),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn pkcs8_from_openssl_and_webcrypto_style_der_are_imported() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("ed.pem");
    run(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "ED25519",
            "-out",
            pem.to_str().unwrap(),
        ],
    );
    let key = ssh::import_private_key(&std::fs::read_to_string(&pem).unwrap())
        .unwrap()
        .decrypt("")
        .unwrap();
    // OpenSSL's public key DER ends with the 32 raw key bytes.
    let der = Command::new("openssl")
        .args([
            "pkey",
            "-in",
            pem.to_str().unwrap(),
            "-pubout",
            "-outform",
            "DER",
        ])
        .output()
        .unwrap()
        .stdout;
    let ssh::ssh_key::public::KeyData::Ed25519(public) = key.public_key().key_data() else {
        panic!("not Ed25519");
    };
    assert_eq!(&der[der.len() - 32..], public.0.as_slice());

    // RSA as WebCrypto exports it: PKCS#8 DER.
    let pem_path = dir.path().join("rsa.pem");
    let der_path = dir.path().join("rsa.der");
    let (pem_path, der_path) = (pem_path.to_str().unwrap(), der_path.to_str().unwrap());
    run(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:3072",
            "-out",
            pem_path,
        ],
    );
    run(
        "openssl",
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", pem_path, "-outform", "DER", "-out", der_path,
        ],
    );
    let key = ssh::from_pkcs8_der(&std::fs::read(der_path).unwrap(), "webcrypto").unwrap();
    assert_eq!(ssh::describe(key.public_key()), "RSA 3072");
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let text = ssh::export_private(&key, None, &mut rng).unwrap();
    let path = write_private(dir.path(), "converted", text.expose_secret());
    assert_eq!(
        key_part(&run("ssh-keygen", &["-y", "-f", &path])),
        key_part(&ssh::public_line(key.public_key()))
    );
    assert!(ssh::from_pkcs8_der(b"not der", "x").is_err());
}

#[test]
fn keyscan_output_parses_into_the_same_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for kind in ["ed25519", "ecdsa", "rsa"] {
        let path = dir.path().join(kind);
        run(
            "ssh-keygen",
            &["-q", "-t", kind, "-N", "", "-f", path.to_str().unwrap()],
        );
        let public = std::fs::read_to_string(format!("{}.pub", path.display())).unwrap();
        lines.push(format!("10.0.0.5 {}", key_part(&public)));
    }
    let text = format!("# 10.0.0.5:22 SSH-2.0-OpenSSH_9.2\n{}\n", lines.join("\n"));
    let keys = ssh::parse_host_keys(&text).unwrap();
    assert_eq!(keys.len(), 3);
    for (key, line) in keys.iter().zip(&lines) {
        assert_eq!(
            key_part(&ssh::public_line(key)),
            key_part(line.split_once(' ').unwrap().1)
        );
    }
}

/// OpenSSH writes a P-521 scalar without leading zeros, so about half of
/// its keys carry a 65-byte scalar (ssh-key 0.6 alone refuses those). With
/// a dozen keys, both lengths are all but certain to occur.
#[test]
fn every_p521_key_from_ssh_keygen_imports() {
    let dir = tempfile::tempdir().unwrap();
    for n in 0..12 {
        for passphrase in ["", "pw"] {
            let path = dir.path().join(format!("p521-{n}-{}", passphrase.len()));
            let path = path.to_str().unwrap();
            run(
                "ssh-keygen",
                &[
                    "-q", "-t", "ecdsa", "-b", "521", "-N", passphrase, "-f", path,
                ],
            );
            let text = std::fs::read_to_string(path).unwrap();
            let expected = std::fs::read_to_string(format!("{path}.pub")).unwrap();
            let key = ssh::import_private_key(&text)
                .and_then(|imported| imported.decrypt(passphrase))
                .unwrap_or_else(|e| panic!("key {n} {passphrase:?}: {e}"));
            assert_eq!(
                key_part(&ssh::public_line(key.public_key())),
                key_part(&expected)
            );
            if !passphrase.is_empty() {
                let again = ssh::import_private_key(&text).unwrap();
                assert!(again.decrypt("wrong").is_err());
            }
        }
    }
}

/// The app runs bcrypt-pbkdf in its worker and decrypts with the output:
/// that path gives the same key as decrypting with the passphrase, for
/// every key type ssh-keygen encrypts (P-521 with a short scalar
/// included), and a wrong passphrase's output is refused.
#[test]
fn decrypting_with_the_kdf_output_equals_decrypting_with_the_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("ed25519", &["-t", "ed25519"]),
        ("ecdsa256", &["-t", "ecdsa", "-b", "256"]),
        ("ecdsa384", &["-t", "ecdsa", "-b", "384"]),
        ("rsa", &["-t", "rsa", "-b", "2048"]),
    ];
    let p521 = (0..8).map(|n| (format!("ecdsa521-{n}"), vec!["-t", "ecdsa", "-b", "521"]));
    let cases = cases
        .iter()
        .map(|(n, a)| (n.to_string(), a.to_vec()))
        .chain(p521);
    for (name, args) in cases {
        let path = dir.path().join(&name);
        let path = path.to_str().unwrap();
        let mut all = args.clone();
        all.extend(["-q", "-N", "worker pass", "-f", path]);
        run("ssh-keygen", &all);
        let text = std::fs::read_to_string(path).unwrap();

        let expected = ssh::import_private_key(&text)
            .unwrap()
            .decrypt("worker pass")
            .unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        let imported = ssh::import_private_key(&text).unwrap();
        let (salt, rounds, length) = imported.kdf_request().expect("bcrypt-pbkdf key");
        assert_eq!(rounds, 16, "{name}: ssh-keygen's default rounds");
        let okm = ssh::bcrypt_kdf(b"worker pass", &salt, rounds, length).unwrap();
        let key = imported
            .decrypt_with_kdf_output(&okm)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key.public_key(), expected.public_key(), "{name}");
        assert_eq!(key.key_data(), expected.key_data(), "{name}");
        assert!(!key.is_encrypted(), "{name}");

        let wrong = ssh::bcrypt_kdf(b"not it", &salt, rounds, length).unwrap();
        let error = ssh::import_private_key(&text)
            .unwrap()
            .decrypt_with_kdf_output(&wrong)
            .unwrap_err()
            .to_string();
        assert!(error.contains("Wrong passphrase"), "{name}: {error}");
    }
    // Plain keys need no KDF.
    let plain = ssh::export_private(
        &ssh::generate(KeyKind::Ed25519, "", &mut ChaCha20Rng::seed_from_u64(1)).unwrap(),
        None,
        &mut ChaCha20Rng::seed_from_u64(2),
    )
    .unwrap();
    assert!(
        ssh::import_private_key(plain.expose_secret())
            .unwrap()
            .kdf_request()
            .is_none()
    );
    assert!(ssh::bcrypt_kdf(b"x", b"salt", 0, 48).is_err());
}
