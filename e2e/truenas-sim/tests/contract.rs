//! The real API's contract (reference/truenas.md), as the simulator keeps
//! it: versioned endpoints, every request checked against its version's
//! schemas, `ssh_pair` private, `update` replacing `attributes` whole,
//! authorized keys through `user.update`, `ssh.config`, `api_key.my_keys`.

mod common;

use common::{call, logged_in_at, start, violations};
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;

const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBzZjzUIPbaSROu1RbHs6Ze7UcLfBNZq8pAzkTr8nDLp";

fn host_key_file(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("host.pub");
    std::fs::write(&path, format!("{ED25519} root@x\n")).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn each_version_serves_its_own_and_older_endpoints_only() {
    let old = start(&["--api-version", "25.04.2", "--user", "root:rootpw"]);
    let mut current = logged_in_at(&old.url).await;
    let info = call(&mut current, "system.info", json!([])).await.unwrap();
    assert_eq!(info["version"], "25.04.2");
    logged_in_at(&old.endpoint("v25.04.2")).await;
    for missing in ["v25.10.2", "v26.0.0", "v24.10.0", "v25.04"] {
        assert!(
            connect_async(old.endpoint(missing)).await.is_err(),
            "{missing}"
        );
    }
    let new = start(&["--user", "root:rootpw"]);
    let mut current = logged_in_at(&new.url).await;
    let info = call(&mut current, "system.info", json!([])).await.unwrap();
    assert_eq!(info["version"], "26.0.0-BETA.3");
    for version in ["v25.04.2", "v25.10.2", "v26.0.0"] {
        let mut pinned = logged_in_at(&new.endpoint(version)).await;
        assert!(call(&mut pinned, "system.info", json!([])).await.is_ok());
    }
}

#[tokio::test]
async fn ssh_pair_runs_on_current_only() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("authorized_keys");
    let sim = start(&[
        "--user",
        "root:rootpw",
        "--host-key",
        &host_key_file(&dir),
        "--authorized-keys",
        keys.to_str().unwrap(),
    ]);
    let pair = json!([{"remote_hostname": "any-host", "username": "root", "public_key": ED25519}]);
    let mut pinned = logged_in_at(&sim.endpoint("v25.10.2")).await;
    let refused = call(&mut pinned, "keychaincredential.ssh_pair", pair.clone())
        .await
        .unwrap_err();
    assert_eq!(refused["code"], -32601);
    assert_eq!(refused["message"], "Method does not exist");
    assert!(!keys.exists());
    let mut current = logged_in_at(&sim.url).await;
    let paired = call(&mut current, "keychaincredential.ssh_pair", pair)
        .await
        .unwrap();
    assert_eq!(paired["host_key"], format!("any-host {ED25519}\n"));
    assert_eq!(
        std::fs::read_to_string(&keys).unwrap(),
        format!("{ED25519}\n")
    );
}

#[tokio::test]
async fn requests_are_checked_against_the_endpoints_schemas() {
    let sim = start(&["--user", "root:rootpw"]);
    let mut c = logged_in_at(&sim.url).await;
    let long = "x".repeat(1025);
    let error = call(&mut c, "keychaincredential.create",
        json!([{"name": "c", "type": "SSH_CREDENTIALS", "attributes": {"host": "h", "private_key": 1,
            "remote_host_key": long}}]))
        .await
        .unwrap_err();
    assert!(violations(&error).contains(&(
        "keychain_credential_create.KeychainCredentialCreateSSHCredentialsEntry.attributes.remote_host_key".into(),
        "String should have at most 1024 characters".into()
    )));
    assert!(
        error["data"]["reason"]
            .as_str()
            .unwrap()
            .contains("[EINVAL] keychain_credential_create.")
    );
    let error = call(
        &mut c,
        "keychaincredential.create",
        json!([{"name": "k", "type": "SSH_KEY_PAIR", "attributes": {"public_key": ED25519, "comment": "x"}}]),
    )
    .await
    .unwrap_err();
    assert!(
        violations(&error).contains(&(
            "keychain_credential_create.KeychainCredentialCreateSSHKeyPairEntry.attributes.comment"
                .into(),
            "Extra inputs are not permitted".into()
        ))
    );
    let error = call(&mut c, "keychaincredential.used_by", json!(["1"]))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&error),
        vec![(
            "id".to_owned(),
            "Input should be a valid integer".to_owned()
        )]
    );
    // Nothing was stored by the refused calls.
    assert_eq!(
        call(&mut c, "keychaincredential.query", json!([]))
            .await
            .unwrap(),
        json!([])
    );
    let error = call(&mut c, "system.reboot", json!([])).await.unwrap_err();
    assert_eq!(error["code"], -32601);
}

#[tokio::test]
async fn an_update_replaces_the_attributes_whole() {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("id");
    assert!(
        std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&private)
            .status()
            .unwrap()
            .success()
    );
    let private = std::fs::read_to_string(&private).unwrap();
    let sim = start(&["--user", "root:rootpw"]);
    let mut c = logged_in_at(&sim.endpoint("v25.04.2")).await;
    let created = call(
        &mut c,
        "keychaincredential.create",
        json!([{"name": "k", "type": "SSH_KEY_PAIR", "attributes": {"private_key": private}}]),
    )
    .await
    .unwrap();
    let id = created["id"].clone();
    let public = created["attributes"]["public_key"].clone();
    // A rename alone keeps the private key.
    let renamed = call(
        &mut c,
        "keychaincredential.update",
        json!([id, {"name": "k2"}]),
    )
    .await
    .unwrap();
    assert_eq!(renamed["attributes"]["private_key"], json!(private));
    // Attributes without the private key store a keypair without one.
    let stripped = call(
        &mut c,
        "keychaincredential.update",
        json!([id, {"attributes": {"private_key": null, "public_key": public}}]),
    )
    .await
    .unwrap();
    assert_eq!(stripped["name"], "k2");
    assert_eq!(stripped["attributes"]["private_key"], Value::Null);
}

#[tokio::test]
async fn authorized_keys_port_and_host_keys_through_public_methods() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("authorized_keys");
    let sim = start(&[
        "--user",
        "root:rootpw",
        "--ssh-port",
        "2222",
        "--host-key",
        &host_key_file(&dir),
        "--authorized-keys",
        keys.to_str().unwrap(),
    ]);
    let mut c = logged_in_at(&sim.endpoint("v26.0.0")).await;
    let config = call(&mut c, "ssh.config", json!([])).await.unwrap();
    assert_eq!(config["tcpport"], 2222);
    let encoded = config["host_ed25519_key_pub"].as_str().unwrap();
    let decoded = data_encoding::BASE64.decode(encoded.as_bytes()).unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), format!("{ED25519}\n"));
    assert_eq!(config["host_rsa_key_pub"], Value::Null);

    let root = call(&mut c, "user.query", json!([[["username", "=", "root"]]]))
        .await
        .unwrap();
    assert_eq!(root[0]["sshpubkey"], Value::Null);
    let lines = format!("{ED25519} one\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKXq two\n");
    call(
        &mut c,
        "user.update",
        json!([root[0]["id"], {"sshpubkey": lines}]),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read_to_string(&keys).unwrap(), lines);
    let root = call(&mut c, "user.query", json!([[["username", "=", "root"]]]))
        .await
        .unwrap();
    assert_eq!(root[0]["sshpubkey"], json!(lines));
}

#[tokio::test]
async fn my_keys_lists_the_callers_keys_with_their_state() {
    for (version, has_reason) in [("25.04.2", false), ("25.10.2", true)] {
        let sim = start(&["--api-version", version, "--user", "root:rootpw"]);
        let mut c = logged_in_at(&sim.url).await;
        let created = call(
            &mut c,
            "api_key.create",
            json!([{"name": "Keyhaven", "username": "root"}]),
        )
        .await
        .unwrap();
        let mine = call(&mut c, "api_key.my_keys", json!([])).await.unwrap();
        assert_eq!(mine[0]["id"], created["id"]);
        assert_eq!(mine[0]["revoked"], false);
        assert_eq!(mine[0]["expires_at"], Value::Null);
        assert_eq!(mine[0].get("revoked_reason").is_some(), has_reason);
        assert!(mine[0].get("key").is_none());
    }
}
