//! The simulator's keychain (`keychaincredential.*`) over its real wire:
//! TrueNAS's validation (real `ssh-keygen`), unique names, connections by
//! keypair id, `used_by`, and deletes refused in use unless cascading.

mod common;

use std::process::Command;

use common::{Socket, call, logged_in_at};
use serde_json::{Value, json};

fn start() -> common::Sim {
    common::start(&["--user", "root:rootpw"])
}

async fn logged_in(sim: &common::Sim) -> Socket {
    logged_in_at(&sim.url).await
}

/// A fresh key from the real ssh-keygen: (private, public), with a
/// passphrase when given.
fn keygen(passphrase: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-C", "test", "-N", passphrase, "-f"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    (
        std::fs::read_to_string(&path).unwrap(),
        std::fs::read_to_string(path.with_extension("pub")).unwrap(),
    )
}

/// The validation error's attribute and message.
fn invalid(error: &Value) -> (String, String) {
    assert_eq!(error["code"], -32602, "{error}");
    let extra = &error["data"]["extra"][0];
    (
        extra[0].as_str().unwrap().to_owned(),
        extra[1].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn keypairs_are_checked_as_truenas_checks_them() {
    let sim = start();
    let mut c = logged_in(&sim).await;
    let (private, public) = keygen("");
    // The public key is derived when omitted.
    let created = call(
        &mut c,
        "keychaincredential.create",
        json!([{"name": "repl", "type": "SSH_KEY_PAIR", "attributes": {"private_key": private}}]),
    )
    .await
    .unwrap();
    assert_eq!(
        created["attributes"]["public_key"]
            .as_str()
            .unwrap()
            .split(' ')
            .nth(1),
        public.split(' ').nth(1)
    );
    // Names are unique among all credentials.
    let taken = call(
        &mut c,
        "keychaincredential.create",
        json!([{"name": "repl", "type": "SSH_KEY_PAIR", "attributes": {"public_key": public}}]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        invalid(&taken),
        (
            "keychain_credential_create.name".into(),
            "Object with this name already exists".into()
        )
    );
    // A pair that doesn't match, an encrypted key, no key at all.
    let (_, other_public) = keygen("");
    let mismatch = call(&mut c, "keychaincredential.create",
        json!([{"name": "m", "type": "SSH_KEY_PAIR", "attributes": {"private_key": private, "public_key": other_public}}]))
        .await
        .unwrap_err();
    assert_eq!(
        invalid(&mismatch).1,
        "Private key and public key do not match"
    );
    let (encrypted, _) = keygen("secret passphrase");
    let refused = call(
        &mut c,
        "keychaincredential.create",
        json!([{"name": "e", "type": "SSH_KEY_PAIR", "attributes": {"private_key": encrypted}}]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        invalid(&refused),
        (
            "keychain_credential_create.attributes.private_key".into(),
            "Encrypted private keys are not allowed".into()
        )
    );
    let empty = call(
        &mut c,
        "keychaincredential.create",
        json!([{"name": "n", "type": "SSH_KEY_PAIR", "attributes": {}}]),
    )
    .await
    .unwrap_err();
    assert_eq!(invalid(&empty).1, "You must specify a key");
    let all = call(&mut c, "keychaincredential.query", json!([[]]))
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_keypair_in_use_is_deleted_only_with_cascade() {
    let sim = start();
    let mut c = logged_in(&sim).await;
    let (private, _) = keygen("");
    let keypair = call(
        &mut c,
        "keychaincredential.create",
        json!([{"name": "k", "type": "SSH_KEY_PAIR", "attributes": {"private_key": private}}]),
    )
    .await
    .unwrap()["id"]
        .as_u64()
        .unwrap();
    let missing_host = call(&mut c, "keychaincredential.create",
        json!([{"name": "c", "type": "SSH_CREDENTIALS", "attributes": {"private_key": keypair, "remote_host_key": "ssh-ed25519 AAAA"}}]))
        .await
        .unwrap_err();
    // The schema's check, before the plugin's: under the union member it
    // failed in, as Pydantic reports it.
    assert_eq!(missing_host["code"], -32602);
    assert!(
        missing_host["data"]["extra"]
            .as_array()
            .unwrap()
            .contains(&json!([
                "keychain_credential_create.KeychainCredentialCreateSSHCredentialsEntry.attributes.host",
                "Field required",
                22
            ])),
        "{missing_host}"
    );
    let connection = call(&mut c, "keychaincredential.create",
        json!([{"name": "c", "type": "SSH_CREDENTIALS", "attributes": {"host": "10.0.0.2", "port": 22,
            "username": "root", "private_key": keypair, "remote_host_key": "ssh-ed25519 AAAA", "connect_timeout": 10}}]))
        .await
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    call(
        &mut c,
        "replication.create",
        json!([{"name": "tank/data", "ssh_credentials": connection}]),
    )
    .await
    .unwrap();
    let used = call(&mut c, "keychaincredential.used_by", json!([keypair]))
        .await
        .unwrap();
    assert_eq!(
        used,
        json!([{"title": "SSH credentials c", "unbind_method": "delete"},
               {"title": "Replication task tank/data", "unbind_method": "disable"}])
    );
    let refused = call(
        &mut c,
        "keychaincredential.delete",
        json!([keypair, {"cascade": false}]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        invalid(&refused).1,
        "This credential is used and no cascade option is specified"
    );
    call(
        &mut c,
        "keychaincredential.delete",
        json!([keypair, {"cascade": true}]),
    )
    .await
    .unwrap();
    assert_eq!(
        call(&mut c, "keychaincredential.query", json!([[]]))
            .await
            .unwrap(),
        json!([])
    );
    let tasks = call(&mut c, "replication.query", json!([])).await.unwrap();
    assert_eq!(tasks[0]["enabled"], false);
    assert_eq!(tasks[0]["ssh_credentials"], Value::Null);
}
