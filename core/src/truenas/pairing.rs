//! Pairing with a remote TrueNAS through public methods only, as the
//! semi-automatic setup does it, without the private `ssh_pair`
//! (`reference/truenas.md`, "The real API's contract"): the remote user's
//! authorized keys gain the key through `user.update` (every other line
//! kept), its shell and zfs sudo are set as TrueNAS sets them, and the
//! remote's SSH port and host keys come from its `ssh.config`.

use base64ct::{Base64, Encoding};
use serde_json::{Value, json};
use ssh_key::PublicKey;

use super::{
    calls::{self, Call},
    keychain::key_data,
};
use crate::ssh;

/// Why a remote can't be paired; worded as TrueNAS words them where it
/// has words (so `refusal_hint` gives the same advice).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairingRefused {
    /// No user of this name on the remote.
    #[error("User {0} does not exist")]
    NoSuchUser(String),
    /// TrueNAS gives users without a home `/var/empty` (or `/nonexistent`):
    /// there is nowhere to keep authorized keys.
    #[error("Home directory {0} does not exist")]
    NoHome(String),
    /// `ssh.config` has no port.
    #[error("the remote's SSH service reports no port")]
    NoPort,
    /// `ssh.config` has no host keys: the SSH service never ran there.
    #[error(
        "the remote has no SSH host keys yet: start its SSH service (System › Services › SSH), then Save again"
    )]
    NoHostKeys,
    /// The host keys scanned from the source are none of the ones the
    /// remote reports for itself: someone may be in between.
    #[error(
        "the host keys seen from the system are not the ones the remote reports for itself: someone may be in between. Nothing was stored"
    )]
    HostKeysDiffer,
}

/// The remote user as `user.query` returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUser {
    /// The user's id (for `user.update`).
    pub id: u64,
    /// The user's name.
    pub username: String,
    home: String,
    shell: String,
    sudo_nopasswd: Vec<Value>,
    sshpubkey: String,
}

impl RemoteUser {
    /// The first entry of a `user.query [[["username","=",U]]]` result.
    pub fn from_query(result: &Value, username: &str) -> Result<Self, PairingRefused> {
        let entry = result
            .as_array()
            .and_then(|users| users.first())
            .filter(|u| u["id"].is_u64())
            .ok_or_else(|| PairingRefused::NoSuchUser(username.to_owned()))?;
        let text = |field: &str| entry[field].as_str().unwrap_or_default().to_owned();
        Ok(Self {
            id: entry["id"].as_u64().unwrap_or_default(),
            username: username.to_owned(),
            home: text("home"),
            shell: text("shell"),
            sudo_nopasswd: entry["sudo_commands_nopasswd"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
            sshpubkey: text("sshpubkey"),
        })
    }

    /// `user.update` that authorizes `public_key` for this user: appended
    /// to the authorized keys (each other line kept as it is; nothing added
    /// when the key is there already), bash for a `nologin` shell, and
    /// `/usr/sbin/zfs` among the passwordless sudo commands when asked.
    /// `None` when nothing needs to change.
    pub fn authorize(&self, public_key: &str, sudo: bool) -> Result<Option<Call>, PairingRefused> {
        if self.home.is_empty()
            || self.home == "/var/empty"
            || self.home.starts_with("/nonexistent")
        {
            return Err(PairingRefused::NoHome(self.home.clone()));
        }
        let mut changes = serde_json::Map::new();
        let wanted = key_data(public_key);
        let present = self
            .sshpubkey
            .lines()
            .any(|line| wanted.is_some() && key_data(line) == wanted);
        if !present {
            let mut keys = self.sshpubkey.clone();
            if !keys.is_empty() && !keys.ends_with('\n') {
                keys.push('\n');
            }
            keys.push_str(public_key.trim());
            keys.push('\n');
            changes.insert("sshpubkey".into(), json!(keys));
        }
        if self.shell == "/usr/sbin/nologin" {
            changes.insert("shell".into(), json!("/usr/bin/bash"));
        }
        if sudo
            && !self
                .sudo_nopasswd
                .iter()
                .any(|c| c == "/usr/sbin/zfs" || c == "ALL")
        {
            let mut commands = self.sudo_nopasswd.clone();
            commands.push(json!("/usr/sbin/zfs"));
            changes.insert("sudo_commands_nopasswd".into(), Value::Array(commands));
        }
        Ok((!changes.is_empty()).then(|| calls::user_update(self.id, Value::Object(changes))))
    }
}

/// The remote's SSH service as its `ssh.config` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSsh {
    /// The SSH service's port.
    pub port: u16,
    /// Its public host keys (TrueNAS keeps each base64-encoded), in the
    /// order `ssh_pair` reported them: RSA, ECDSA, Ed25519.
    pub host_keys: Vec<PublicKey>,
}

impl RemoteSsh {
    /// Reads `ssh.config`'s answer: the port and the host keys it reports.
    pub fn from_config(config: &Value) -> Result<Self, PairingRefused> {
        let port = config["tcpport"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p != 0)
            .ok_or(PairingRefused::NoPort)?;
        let host_keys = [
            "host_rsa_key_pub",
            "host_ecdsa_key_pub",
            "host_ed25519_key_pub",
        ]
        .iter()
        .filter_map(|field| config[*field].as_str())
        .filter_map(|encoded| Base64::decode_vec(encoded.trim()).ok())
        .filter_map(|text| String::from_utf8(text).ok())
        .filter_map(|text| ssh::parse_host_keys(&text).ok())
        .flatten()
        .collect();
        Ok(Self { port, host_keys })
    }

    /// The host keys to trust when the remote's own report is all there is
    /// (the browser's semi-automatic setup: read over the remote's API,
    /// after logging in to it over TLS).
    pub fn reported(&self) -> Result<Vec<PublicKey>, PairingRefused> {
        if self.host_keys.is_empty() {
            return Err(PairingRefused::NoHostKeys);
        }
        Ok(self.host_keys.clone())
    }

    /// The host keys a source system scanned (`remote_ssh_host_key_scan`:
    /// what its replication will see), kept only where the remote reports
    /// them too. A remote that reports none is taken at the scan's word.
    pub fn confirm_scan(&self, scanned: &str) -> Result<Vec<PublicKey>, PairingRefused> {
        let scanned = ssh::parse_host_keys(scanned).map_err(|_| PairingRefused::NoHostKeys)?;
        if self.host_keys.is_empty() {
            return Ok(scanned);
        }
        let confirmed: Vec<PublicKey> = scanned
            .into_iter()
            .filter(|k| self.host_keys.iter().any(|r| r.key_data() == k.key_data()))
            .collect();
        if confirmed.is_empty() {
            Err(PairingRefused::HostKeysDiffer)
        } else {
            Ok(confirmed)
        }
    }
}

#[cfg(test)]
mod tests;
