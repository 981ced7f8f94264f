//! Pairing through public methods: what `user.update` gets, what
//! `ssh.config` means, which scanned host keys are kept.

use base64ct::{Base64, Encoding};
use serde_json::{Value, json};

use super::*;

const HOST_KEYS_1058: &str = include_str!("../../../tests/vectors/host-keys-1058.txt");
const NEW: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlw2Y+hKsEBzQ2P4Y5oS6yEfT9eYbcwnRz6Ps2HLtTG repl";

fn user(fields: Value) -> RemoteUser {
    let mut entry = json!({"id": 7, "username": "backup", "home": "/mnt/tank/home/backup",
        "shell": "/usr/bin/bash", "sudo_commands_nopasswd": [], "sshpubkey": null});
    for (k, v) in fields.as_object().unwrap() {
        entry[k] = v.clone();
    }
    RemoteUser::from_query(&json!([entry]), "backup").unwrap()
}

fn changes(call: &Call) -> &Value {
    assert_eq!(call.method().name(), "user.update");
    assert_eq!(call.params()[0], 7);
    &call.params()[1]
}

#[test]
fn the_key_is_appended_and_every_other_line_kept() {
    let existing = "# keys of the backup team\nssh-rsa AAAAB3NzaC1yc2E old@laptop\n\nrestrict,command=\"/bin/true\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOther other";
    let call = user(json!({"sshpubkey": existing}))
        .authorize(NEW, false)
        .unwrap()
        .unwrap();
    assert_eq!(
        changes(&call),
        &json!({"sshpubkey": format!("{existing}\n{NEW}\n")})
    );
    // No keys yet: just the new one.
    let call = user(json!({})).authorize(NEW, false).unwrap().unwrap();
    assert_eq!(changes(&call), &json!({"sshpubkey": format!("{NEW}\n")}));
}

#[test]
fn a_key_already_authorized_is_not_added_twice() {
    let existing = format!("{} other-comment\n", NEW.rsplit_once(' ').unwrap().0);
    assert!(
        user(json!({"sshpubkey": existing}))
            .authorize(NEW, false)
            .unwrap()
            .is_none()
    );
}

#[test]
fn shell_and_sudo_as_truenas_sets_them() {
    let call =
        user(json!({"shell": "/usr/sbin/nologin", "sudo_commands_nopasswd": ["/usr/bin/ls"]}))
            .authorize(NEW, true)
            .unwrap()
            .unwrap();
    let changes = changes(&call);
    assert_eq!(changes["shell"], "/usr/bin/bash");
    assert_eq!(
        changes["sudo_commands_nopasswd"],
        json!(["/usr/bin/ls", "/usr/sbin/zfs"])
    );
    // zfs already allowed (or everything): sudo is left alone.
    for allowed in ["/usr/sbin/zfs", "ALL"] {
        let call = user(json!({"sudo_commands_nopasswd": [allowed]}))
            .authorize(NEW, true)
            .unwrap()
            .unwrap();
        assert!(changes_without_key(&call));
    }
}

fn changes_without_key(call: &Call) -> bool {
    let changes = changes(call).as_object().unwrap();
    changes.len() == 1 && changes.contains_key("sshpubkey")
}

#[test]
fn missing_users_and_homes_are_refused_in_truenas_words() {
    assert_eq!(
        RemoteUser::from_query(&json!([]), "ghost")
            .unwrap_err()
            .to_string(),
        "User ghost does not exist"
    );
    for home in ["/var/empty", "/nonexistent", ""] {
        let refused = user(json!({"home": home}))
            .authorize(NEW, false)
            .unwrap_err();
        assert_eq!(refused, PairingRefused::NoHome(home.into()));
        assert!(super::super::refusal_hint(&refused.to_string()).is_some() || home.is_empty());
    }
}

fn config(port: u16, keys: &[&str]) -> Value {
    let encoded = |prefix: &str| {
        keys.iter()
            .find(|k| k.starts_with(prefix))
            .map(|k| Base64::encode_string(format!("{k} root@nas\n").as_bytes()))
    };
    json!({"id": 1, "tcpport": port,
        "host_rsa_key_pub": encoded("ssh-rsa"), "host_ecdsa_key_pub": encoded("ecdsa-"),
        "host_ed25519_key_pub": encoded("ssh-ed25519"), "host_dsa_key_pub": null})
}

#[test]
fn ssh_config_gives_port_and_host_keys() {
    let keys: Vec<&str> = HOST_KEYS_1058.lines().collect();
    let remote = RemoteSsh::from_config(&config(2222, &keys)).unwrap();
    assert_eq!(remote.port, 2222);
    assert_eq!(remote.host_keys.len(), 3);
    assert_eq!(remote.reported().unwrap().len(), 3);
    assert_eq!(
        RemoteSsh::from_config(&config(0, &keys)).unwrap_err(),
        PairingRefused::NoPort
    );
    let fresh = RemoteSsh::from_config(&config(22, &[])).unwrap();
    assert_eq!(fresh.reported().unwrap_err(), PairingRefused::NoHostKeys);
}

#[test]
fn a_scan_from_the_source_is_kept_only_where_the_remote_confirms_it() {
    let keys: Vec<&str> = HOST_KEYS_1058.lines().collect();
    let remote = RemoteSsh::from_config(&config(22, &keys[..2])).unwrap();
    // The scan saw all three; the remote reports two of them.
    let kept = remote.confirm_scan(HOST_KEYS_1058).unwrap();
    assert_eq!(
        crate::ssh::format_host_keys(&kept),
        format!("{}\n{}", keys[0], keys[1])
    );
    // Someone else's keys: refused.
    let other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlw2Y+hKsEBzQ2P4Y5oS6yEfT9eYbcwnRz6Ps2HLtTG";
    assert_eq!(
        remote.confirm_scan(other).unwrap_err(),
        PairingRefused::HostKeysDiffer
    );
    // A remote that reports none: the scan stands.
    let silent = RemoteSsh::from_config(&config(22, &[])).unwrap();
    assert_eq!(silent.confirm_scan(other).unwrap().len(), 1);
}
