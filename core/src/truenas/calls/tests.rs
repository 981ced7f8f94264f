//! Every call Keyhaven can build, checked against TrueNAS's own schemas for
//! every known version. The match in `samples` names every [`Method`]: a
//! new method doesn't compile until it has a sample here.

use secrecy::SecretString;
use serde_json::json;
use truenas_api::{Refusal, Version};

use super::*;
use crate::{
    model::Connection,
    truenas::{
        keychain::{self, HeldPrivateKey, SystemKeypair},
        pairing::RemoteUser,
    },
};

const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlw2Y+hKsEBzQ2P4Y5oS6yEfT9eYbcwnRz6Ps2HLtTG";
const HOST_KEYS_1058: &str = include_str!("../../../tests/vectors/host-keys-1058.txt");

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

fn connection(host_keys: &str) -> Connection {
    Connection {
        name: "to-nas2".into(),
        host: "nas2.example".into(),
        port: 22,
        username: "root".into(),
        keypair_id: "k".into(),
        remote_host_keys: host_keys.into(),
        connect_timeout: 10,
    }
}

fn keypair(private_key: HeldPrivateKey) -> SystemKeypair {
    SystemKeypair {
        id: 4,
        name: "repl".into(),
        private_key,
        public_key: format!("{ED25519} root@nas1"),
    }
}

/// Every shape of call each method is sent with.
fn samples(method: Method) -> Vec<Call> {
    let private =
        secret("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn…\n-----END OPENSSH PRIVATE KEY-----\n");
    match method {
        Method::LoginEx => vec![
            login_password("root", &secret("p")),
            login_api_key("root", &secret("1-abc")),
        ],
        Method::LoginExContinue => vec![login_otp(" 123456 ")],
        Method::SystemInfo => vec![system_info()],
        Method::ApiKeyCreate => vec![api_key_create("Keyhaven 2026-12-07T03:00:00.000Z", "root")],
        Method::ApiKeyDelete => vec![api_key_delete(12)],
        Method::ApiKeyMyKeys => vec![api_key_my_keys()],
        Method::KeychainQuery => vec![keychain_query()],
        Method::KeychainCreate => vec![
            keychain::create_keypair("repl", &private, ED25519),
            keychain::create_keypair("repl", &private, ""),
            keychain::create_connection(&connection(ED25519), 4),
            keychain::create_connection(&connection(HOST_KEYS_1058), 4),
        ],
        Method::KeychainUpdate => vec![
            keychain::update_keypair(
                &keypair(HeldPrivateKey::Held(private.clone())),
                "renamed",
                None,
                "",
            )
            .unwrap(),
            keychain::update_keypair(&keypair(HeldPrivateKey::Absent), "k", None, ED25519).unwrap(),
            keychain::update_keypair(&keypair(HeldPrivateKey::Hidden), "k", Some(&private), "")
                .unwrap(),
            keychain::update_connection(2, &connection(HOST_KEYS_1058), 4),
        ],
        Method::KeychainDelete => vec![keychain_delete(3, false), keychain_delete(3, true)],
        Method::KeychainUsedBy => vec![keychain_used_by(3)],
        Method::HostKeyScan => vec![host_key_scan("nas2.example", 22, 10)],
        Method::SemiautomaticSetup => {
            let password = secret("admin");
            let setup = |otp| SemiAutomaticSetup {
                name: "to-nas2",
                url: "https://nas2.example",
                admin_username: "root",
                admin_password: &password,
                otp,
                username: "root",
                keypair: 4,
                connect_timeout: 10,
                sudo: false,
            };
            vec![
                semiautomatic_setup(&setup("")),
                semiautomatic_setup(&setup("123456")),
            ]
        }
        Method::UserQuery => vec![user_query("backup")],
        Method::UserUpdate => {
            let user = RemoteUser::from_query(
                &json!([{"id": 7, "username": "backup", "home": "/mnt/tank/home/backup",
                         "shell": "/usr/sbin/nologin", "sudo_commands_nopasswd": [],
                         "sshpubkey": format!("{ED25519} old\n")}]),
                "backup",
            )
            .unwrap();
            let long_key = format!("ssh-rsa {} new", "A".repeat(2000));
            vec![
                user.authorize(&long_key, true).unwrap().expect("changes"),
                user.authorize(&long_key, false).unwrap().expect("changes"),
            ]
        }
        Method::SshConfig => vec![ssh_config()],
        Method::ListDatasets => vec![list_datasets(2)],
    }
}

#[test]
fn every_call_is_valid_for_every_known_truenas_version() {
    for method in Method::ALL {
        let calls = samples(method);
        assert!(!calls.is_empty(), "{method:?} has no sample");
        for call in calls {
            assert_eq!(call.method(), method);
            let params = call.params().as_array().expect("params are an array");
            for version in Version::ALL {
                assert!(
                    !truenas_api::is_private(version, method.name()),
                    "{} is private",
                    method.name()
                );
                match truenas_api::validate(version, method.name(), params) {
                    Ok(()) => {}
                    Err(Refusal::UnknownMethod) => {
                        panic!("{} does not exist in {version:?}", method.name())
                    }
                    Err(Refusal::Invalid(violations)) => panic!(
                        "{} would be refused by {version:?}: {violations:?}",
                        method.name()
                    ),
                }
            }
        }
    }
}

#[test]
fn a_request_is_json_rpc_and_never_prints_its_secrets() {
    let call = login_password("root", &secret("hunter2"));
    let request: serde_json::Value = serde_json::from_str(&call.request(5)).unwrap();
    assert_eq!(request["jsonrpc"], "2.0");
    assert_eq!(request["id"], 5);
    assert_eq!(request["method"], "auth.login_ex");
    assert_eq!(request["params"][0]["password"], "hunter2");
    assert_eq!(format!("{call:?}"), "Call(auth.login_ex)");
}
