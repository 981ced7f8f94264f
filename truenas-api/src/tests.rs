use serde_json::{Value, json};

use super::*;

fn refused(version: Version, method: &str, params: Value) -> Vec<(String, String)> {
    match validate(version, method, params.as_array().expect("params")) {
        Ok(()) => panic!("{method} {params} was accepted"),
        Err(Refusal::UnknownMethod) => panic!("{method} is unknown"),
        Err(Refusal::Invalid(v)) => v.into_iter().map(|v| (v.attribute, v.message)).collect(),
    }
}

fn accepted(method: &str, params: Value) {
    for version in Version::ALL {
        assert_eq!(
            validate(version, method, params.as_array().expect("params")),
            Ok(()),
            "{method} in {version:?}"
        );
    }
}

const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMt2Xmf3SGi1gTxbZFz1QTWbN3ObzMZl6wU2VKqJJX0F";

#[test]
fn every_version_has_every_method_keyhaven_calls() {
    for version in Version::ALL {
        for method in [
            "auth.login_ex",
            "auth.login_ex_continue",
            "system.info",
            "api_key.create",
            "api_key.delete",
            "api_key.my_keys",
            "keychaincredential.query",
            "keychaincredential.create",
            "keychaincredential.update",
            "keychaincredential.delete",
            "keychaincredential.used_by",
            "keychaincredential.remote_ssh_host_key_scan",
            "keychaincredential.remote_ssh_semiautomatic_setup",
            "user.query",
            "user.update",
            "ssh.config",
            "replication.list_datasets",
        ] {
            assert!(schema(version, method).is_some(), "{method} in {version:?}");
            assert!(methods(version).contains(&method));
        }
    }
    assert_eq!(
        validate(Version::V26_0_0, "system.reboot", &[]),
        Err(Refusal::UnknownMethod)
    );
}

#[test]
fn versions_by_name() {
    assert_eq!(Version::from_name("25.04.2"), Some(Version::V25_04_2));
    assert_eq!(Version::from_name("v25.10.2"), Some(Version::V25_10_2));
    assert_eq!(Version::from_name("26.0"), Some(Version::V26_0_0));
    assert_eq!(Version::from_name("26.0.0"), Some(Version::V26_0_0));
    assert_eq!(Version::from_name("24.10"), None);
    assert!(Version::V25_04_2 < Version::V26_0_0);
}

#[test]
fn ssh_pair_is_private_everywhere_and_nothing_else_is() {
    for version in Version::ALL {
        assert!(is_private(version, "keychaincredential.ssh_pair"));
        assert!(!is_private(version, "user.update"));
        assert!(!is_private(version, "keychaincredential.update"));
    }
}

#[test]
fn a_rename_without_attributes_and_a_full_update_are_valid() {
    accepted("keychaincredential.update", json!([3, {"name": "renamed"}]));
    accepted(
        "keychaincredential.update",
        json!([3, {"name": "k", "attributes": {"private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\n".repeat(60), "public_key": ED25519}}]),
    );
    accepted(
        "keychaincredential.create",
        json!([{"name": "c", "type": "SSH_CREDENTIALS", "attributes": {"host": "nas", "port": 22,
            "username": "root", "private_key": 1, "remote_host_key": ED25519, "connect_timeout": 10}}]),
    );
}

#[test]
fn unknown_fields_are_refused_under_each_union_member() {
    let errors = refused(
        Version::V26_0_0,
        "keychaincredential.update",
        json!([3, {"attributes": {"public_key": ED25519, "comment": "mine"}}]),
    );
    assert!(
        errors.contains(&(
            "keychain_credential_update.KeychainCredentialUpdateSSHKeyPairEntry.attributes.comment"
                .into(),
            "Extra inputs are not permitted".into()
        ))
    );
    // The other member of the union fails too, for its own reasons.
    assert!(errors.iter().any(|(a, _)| a.starts_with(
        "keychain_credential_update.KeychainCredentialUpdateSSHCredentialsEntry.attributes"
    )));
}

#[test]
fn plain_strings_stop_at_1024_characters_and_keys_do_not() {
    let long = "x".repeat(1025);
    let errors = refused(
        Version::V25_10_2,
        "keychaincredential.create",
        json!([{"name": "c", "type": "SSH_CREDENTIALS", "attributes": {"host": "nas",
            "private_key": 1, "remote_host_key": long}}]),
    );
    assert!(errors.contains(&(
        "keychain_credential_create.KeychainCredentialCreateSSHCredentialsEntry.attributes.remote_host_key".into(),
        "String should have at most 1024 characters".into()
    )));
    let exactly = "x".repeat(1024);
    accepted(
        "keychaincredential.create",
        json!([{"name": "c", "type": "SSH_CREDENTIALS", "attributes": {"host": "nas",
            "private_key": 1, "remote_host_key": exactly}}]),
    );
    accepted(
        "user.update",
        json!([1, {"sshpubkey": format!("{ED25519}\n").repeat(40)}]),
    );
    // A name has no LongString exemption.
    assert_eq!(
        refused(
            Version::V25_04_2,
            "keychaincredential.update",
            json!([1, {"name": "n".repeat(1025)}])
        )[0]
        .1,
        "String should have at most 1024 characters"
    );
}

#[test]
fn strict_types() {
    for port in [json!("22"), json!(22.0), json!(true)] {
        let errors = refused(
            Version::V26_0_0,
            "keychaincredential.remote_ssh_host_key_scan",
            json!([{"host": "nas", "port": port}]),
        );
        assert_eq!(
            errors,
            vec![(
                "keychain_remote_ssh_host_key_scan.port".to_owned(),
                "Input should be a valid integer".to_owned()
            )]
        );
    }
    assert_eq!(
        refused(Version::V26_0_0, "keychaincredential.used_by", json!(["3"])),
        vec![(
            "id".to_owned(),
            "Input should be a valid integer".to_owned()
        )]
    );
    assert_eq!(
        refused(
            Version::V26_0_0,
            "keychaincredential.delete",
            json!([3, {"cascade": "yes"}])
        ),
        vec![(
            "options.cascade".to_owned(),
            "Input should be a valid boolean".to_owned()
        )]
    );
}

#[test]
fn parameters_are_positional_in_the_models_order() {
    accepted("replication.list_datasets", json!(["SSH", 4]));
    accepted("replication.list_datasets", json!(["LOCAL"]));
    let errors = refused(
        Version::V26_0_0,
        "replication.list_datasets",
        json!([4, "SSH"]),
    );
    assert!(errors.contains(&(
        "transport".into(),
        "Input should be 'SSH', 'SSH+NETCAT' or 'LOCAL'".into()
    )));
    accepted("api_key.update", json!([7, {"reset": true}]));
    assert_eq!(
        refused(Version::V26_0_0, "system.info", json!([1])),
        vec![(
            String::new(),
            "Too many arguments (expected 0, found 1)".to_owned()
        )]
    );
    assert_eq!(
        refused(Version::V26_0_0, "keychaincredential.update", json!([3])),
        vec![(
            "keychain_credential_update".to_owned(),
            "Field required".to_owned()
        )]
    );
}

#[test]
fn logins_are_a_tagged_union() {
    accepted(
        "auth.login_ex",
        json!([{"mechanism": "API_KEY_PLAIN", "username": "root", "api_key": "1-abc"}]),
    );
    accepted(
        "auth.login_ex",
        json!([{"mechanism": "PASSWORD_PLAIN", "username": "root", "password": "p"}]),
    );
    accepted(
        "auth.login_ex_continue",
        json!([{"mechanism": "OTP_TOKEN", "otp_token": "123456"}]),
    );
    let errors = refused(
        Version::V26_0_0,
        "auth.login_ex",
        json!([{"mechanism": "PASSWORD_PLAIN", "username": "root"}]),
    );
    assert_eq!(
        errors,
        vec![(
            "login_data.PASSWORD_PLAIN.password".to_owned(),
            "Field required".to_owned()
        )]
    );
    let errors = refused(
        Version::V26_0_0,
        "auth.login_ex",
        json!([{"username": "root"}]),
    );
    assert_eq!(
        errors,
        vec![(
            "login_data.mechanism".to_owned(),
            "Field required".to_owned()
        )]
    );
    let errors = refused(
        Version::V26_0_0,
        "auth.login_ex",
        json!([{"mechanism": "KERBEROS", "username": "root"}]),
    );
    assert!(
        errors[0]
            .1
            .starts_with("Input tag 'KERBEROS' found using 'mechanism'")
    );
}

#[test]
fn query_filters_and_options() {
    accepted(
        "keychaincredential.query",
        json!([[["type", "=", "SSH_KEY_PAIR"]]]),
    );
    accepted(
        "user.query",
        json!([[["username", "=", "root"]], {"get": true}]),
    );
    accepted("keychaincredential.query", json!([]));
    let errors = refused(Version::V26_0_0, "user.query", json!([[], {"got": true}]));
    assert_eq!(
        errors,
        vec![(
            "options.got".to_owned(),
            "Extra inputs are not permitted".to_owned()
        )]
    );
}
