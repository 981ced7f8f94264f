//! What a system's keychain answers mean, and what installing would do.

use super::*;

const ED: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlw2Y+hKsEBzQ2P4Y5oS6yEfT9eYbcwnRz6Ps2HLtTG";

fn query() -> Value {
    json!([
        {"id": 1, "name": "repl", "type": "SSH_KEY_PAIR", "attributes": {
            "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\n…\n-----END OPENSSH PRIVATE KEY-----\n",
            "public_key": format!("{ED} root@nas1")}},
        {"id": 2, "name": "nas2", "type": "SSH_CREDENTIALS", "attributes": {
            "host": "10.0.0.2", "port": 22, "username": "root", "private_key": 1,
            "remote_host_key": ED, "connect_timeout": 10}},
        {"id": 3, "name": "cloud", "type": "CLOUD_SOMETHING", "attributes": {}},
        {"id": 4, "name": "broken", "type": "SSH_CREDENTIALS", "attributes": {"host": "x"}},
        {"name": "no id", "type": "SSH_KEY_PAIR", "attributes": {}},
    ])
}

fn keypair(name: &str, public: &str) -> Keypair {
    Keypair {
        name: name.into(),
        key_type: "ssh-ed25519".into(),
        public_key: public.into(),
        fingerprint: String::new(),
    }
}

fn connection(name: &str) -> Connection {
    Connection {
        name: name.into(),
        host: "10.0.0.2".into(),
        port: 22,
        username: "root".into(),
        keypair_id: "k".into(),
        remote_host_keys: format!("{ED} comment"),
        connect_timeout: 10,
    }
}

#[test]
fn a_query_reads_keypairs_and_connections_and_skips_the_rest() {
    let keychain = Keychain::from_query(&query());
    assert_eq!(keychain.keypairs.len(), 1);
    assert!(keychain.keypairs[0].private_key.held().is_some());
    assert_eq!(keychain.connections.len(), 1);
    assert_eq!(keychain.connections[0].keypair, 1);
    assert!(keychain.name_taken("repl") && keychain.name_taken("nas2"));
    assert!(!keychain.name_taken("cloud"));
    // The comment doesn't matter; the key does.
    assert_eq!(
        keychain
            .keypair_with_public(&format!("{ED} other"))
            .map(|k| k.id),
        Some(1)
    );
    assert!(
        keychain
            .keypair_with_public("ssh-ed25519 AAAAother")
            .is_none()
    );
    // A redacted private key is hidden, not absent; a null one is absent.
    let redacted = json!([{"id": 1, "name": "r", "type": "SSH_KEY_PAIR",
        "attributes": {"private_key": "********", "public_key": ED}},
        {"id": 2, "name": "p", "type": "SSH_KEY_PAIR",
        "attributes": {"private_key": null, "public_key": ED}}]);
    let keychain = Keychain::from_query(&redacted);
    assert!(matches!(
        keychain.keypair(1).unwrap().private_key,
        HeldPrivateKey::Hidden
    ));
    assert!(matches!(
        keychain.keypair(2).unwrap().private_key,
        HeldPrivateKey::Absent
    ));
}

const PRIVATE: &str =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nheld\n-----END OPENSSH PRIVATE KEY-----\n";
const OTHER: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherOtherOtherOtherOtherOtherOtherOtherOth";

fn stored(private_key: HeldPrivateKey) -> SystemKeypair {
    SystemKeypair {
        id: 9,
        name: "repl".into(),
        private_key,
        public_key: format!("{ED} root@nas1"),
    }
}

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

#[test]
fn a_keypair_update_never_loses_the_private_key_the_system_holds() {
    let held = || HeldPrivateKey::Held(secret(PRIVATE));
    // A rename (keys as they were, or the private field left empty): the
    // name alone, no attributes to replace.
    for (private, public) in [
        (None, ""),
        (None, ED),
        (Some(secret(PRIVATE)), ""),
        (Some(secret("  ")), &format!("{ED} other comment")[..]),
    ] {
        let call = update_keypair(&stored(held()), "renamed", private.as_ref(), public).unwrap();
        assert_eq!(call.params(), &json!([9, {"name": "renamed"}]));
    }
    // Only the public key changed: the held private key goes with it (the
    // system then says whether they match).
    let call = update_keypair(&stored(held()), "repl", None, OTHER).unwrap();
    assert_eq!(
        call.params()[1]["attributes"],
        json!({"private_key": PRIVATE, "public_key": OTHER})
    );
    // A new private key: sent, with its public key or without (derived).
    let call = update_keypair(&stored(held()), "repl", Some(&secret("NEW")), "").unwrap();
    assert_eq!(
        call.params()[1]["attributes"],
        json!({"private_key": "NEW"})
    );
    // A keypair of a public key only: a new public key, nothing to lose.
    let call = update_keypair(&stored(HeldPrivateKey::Absent), "repl", None, OTHER).unwrap();
    assert_eq!(call.params()[1]["attributes"], json!({"public_key": OTHER}));
    // Hidden from this API key: renames only.
    let hidden = stored(HeldPrivateKey::Hidden);
    assert!(update_keypair(&hidden, "renamed", None, "").is_ok());
    assert_eq!(
        update_keypair(&hidden, "repl", None, OTHER).unwrap_err(),
        KeypairEditRefused::PrivateKeyHidden
    );
}

#[test]
fn host_keys_over_truenas_limit_are_fitted_and_the_plan_says_so() {
    let keys = include_str!("../../../tests/vectors/host-keys-1058.txt");
    let mut c = connection("wide");
    c.remote_host_keys = keys.to_owned();
    let call = create_connection(&c, 7);
    let sent = call.params()[0]["attributes"]["remote_host_key"]
        .as_str()
        .unwrap();
    assert!(sent.len() <= 1024);
    assert_eq!(sent.lines().count(), 2);
    assert!(!sent.contains("ssh-rsa"));
    let keychain = Keychain::from_query(&query());
    let plan = InstallPlan::new(&keychain, &keypair("repl", ED), Some(&c));
    assert_eq!(plan.host_keys_left_out.len(), 1);
    let last = plan.describe().pop().unwrap();
    assert!(
        last.starts_with(
            "Remote Host Key: left out to fit TrueNAS's 1024 characters: RSA 4096 SHA256:"
        ),
        "{last}"
    );
    // A system that stores the fitted keys already holds the same keys.
    let system = SystemConnection {
        id: 2,
        name: "wide".into(),
        host: c.host.clone(),
        port: c.port,
        username: c.username.clone(),
        keypair: 1,
        remote_host_key: sent.to_owned(),
        connect_timeout: c.connect_timeout,
    };
    assert!(differences(&c, &system).is_empty());
}

#[test]
fn installing_reuses_the_same_key_and_reports_taken_names() {
    let keychain = Keychain::from_query(&query());
    // Same key under another name: used as it is; the connection's
    // name is taken by one that matches it: nothing to do.
    let plan = InstallPlan::new(&keychain, &keypair("mine", ED), Some(&connection("nas2")));
    assert_eq!(
        plan.keypair,
        KeypairStep::Present {
            id: 1,
            name: "repl".into()
        }
    );
    assert_eq!(
        plan.connection,
        Some(ConnectionStep::Present {
            name: "nas2".into()
        })
    );
    assert!(!plan.blocked());
    // A new key whose name another credential has: blocked, reported.
    let other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0kVAw0aNEV2tq7tqpuOf8wHIC5TC0o+UmuI5pFvqAa";
    let plan = InstallPlan::new(&keychain, &keypair("nas2", other), None);
    assert_eq!(
        plan.keypair,
        KeypairStep::NameTaken {
            name: "nas2".into()
        }
    );
    assert!(plan.blocked());
    // The same connection (name and key) with another port there: it is
    // brought in line.
    let mut changed = connection("nas2");
    changed.port = 2222;
    let plan = InstallPlan::new(&keychain, &keypair("mine", ED), Some(&changed));
    assert_eq!(
        plan.connection,
        Some(ConnectionStep::Update {
            id: 2,
            name: "nas2".into(),
            fields: vec!["Port"]
        })
    );
    assert!(!plan.blocked());
    // A connection named like one that uses another key: blocked.
    let plan = InstallPlan::new(&keychain, &keypair("fresh", other), Some(&changed));
    assert_eq!(
        plan.connection,
        Some(ConnectionStep::NameTaken {
            name: "nas2".into()
        })
    );
    assert!(plan.blocked());
    // Fresh names: both created.
    let plan = InstallPlan::new(
        &keychain,
        &keypair("new", other),
        Some(&connection("new-conn")),
    );
    assert_eq!(plan.keypair, KeypairStep::Create { name: "new".into() });
    assert_eq!(
        plan.connection,
        Some(ConnectionStep::Create {
            name: "new-conn".into()
        })
    );
    assert_eq!(plan.describe().len(), 2);
}

#[test]
fn differences_name_the_form_fields() {
    let system = Keychain::from_query(&query()).connections.remove(0);
    assert!(differences(&connection("x"), &system).is_empty());
    let mut moved = connection("x");
    moved.port = 2222;
    moved.remote_host_keys =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0kVAw0aNEV2tq7tqpuOf8wHIC5TC0o+UmuI5pFvqAa".into();
    assert_eq!(
        differences(&moved, &system),
        vec!["Port", "Remote Host Key"]
    );
}

#[test]
fn call_arguments_have_truenas_shapes() {
    let call = create_connection(&connection("c"), 7);
    let args = call.params();
    assert_eq!(args[0]["type"], "SSH_CREDENTIALS");
    assert_eq!(args[0]["attributes"]["private_key"], 7);
    // Stored as TrueNAS stores host keys: one `type key` a line.
    assert_eq!(args[0]["attributes"]["remote_host_key"], ED);
    let call = create_keypair("k", &SecretString::from("PRIVATE".to_owned()), ED);
    let args = call.params();
    assert_eq!(args[0]["attributes"]["private_key"], "PRIVATE");
    assert_eq!(args[0]["type"], "SSH_KEY_PAIR");
}
