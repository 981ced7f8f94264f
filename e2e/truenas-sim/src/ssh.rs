//! The system's SSH side: its service's configuration (`ssh.config`: port
//! and public host keys, as TrueNAS keeps them base64-encoded), and
//! `replication.list_datasets ["SSH", id]`, which logs in to the remote
//! over real SSH with a stored connection, as replication would.

use std::{os::unix::fs::PermissionsExt, process::Stdio};

use data_encoding::BASE64;
use serde_json::{Value, json};

use crate::{
    errors::{call_error, validation},
    keychain::{KEY_PAIR, SSH_CREDENTIALS},
    state::Sim,
};

/// `ssh.config []`.
pub fn config(sim: &Sim) -> Value {
    let public = |prefix: &str| {
        sim.host_keys
            .iter()
            .find(|k| k.starts_with(prefix))
            .map(|k| BASE64.encode(format!("{k}\n").as_bytes()))
    };
    json!({
        "id": 1, "bindiface": [], "tcpport": sim.ssh_port, "password_login_groups": [],
        "passwordauth": false, "kerberosauth": false, "tcpfwd": false, "compression": false,
        "sftp_log_level": "", "sftp_log_facility": "", "weak_ciphers": [], "options": "",
        "host_rsa_key_pub": public("ssh-rsa "),
        "host_ecdsa_key_pub": public("ecdsa-"),
        "host_ed25519_key_pub": public("ssh-ed25519 "),
    })
}

/// What the simulated remote answers once logged in: the sshd's host has
/// no ZFS, so the login runs a command that prints a pool's names.
const LIST_COMMAND: &str = "printf 'tank\\ntank/replica\\n'";

/// `replication.list_datasets [transport, ssh_credentials]`.
pub async fn list_datasets(sim: &Sim, params: &[Value]) -> Result<Value, Value> {
    if params.first().and_then(Value::as_str) != Some("SSH") {
        return Err(call_error(22, "EINVAL", "Only SSH transport is simulated"));
    }
    let id = params
        .get(1)
        .and_then(Value::as_u64)
        .ok_or_else(|| validation("ssh_credentials", "SSH transport requires SSH credentials"))?;
    let (connection, private_key) = {
        let credentials = sim.credentials();
        let connection = credentials
            .iter()
            .find(|c| c.id == id && c.kind == SSH_CREDENTIALS)
            .ok_or_else(|| call_error(2, "ENOENT", &format!("SSH credentials {id} do not exist")))?
            .attributes
            .clone();
        let keypair = connection["private_key"].as_u64();
        let private_key = credentials
            .iter()
            .find(|c| Some(c.id) == keypair && c.kind == KEY_PAIR)
            .and_then(|c| c.attributes["private_key"].as_str().map(str::to_owned))
            .ok_or_else(|| {
                call_error(
                    22,
                    "EINVAL",
                    "The SSH connection's keypair has no private key",
                )
            })?;
        (connection, private_key)
    };
    let host = connection["host"].as_str().unwrap_or_default();
    let port = connection["port"].as_u64().unwrap_or(22);
    let dir = tempfile::tempdir().map_err(|e| call_error(5, "EIO", &e.to_string()))?;
    let key = dir.path().join("id");
    let known_hosts = dir.path().join("known_hosts");
    let io = |e: std::io::Error| call_error(5, "EIO", &e.to_string());
    std::fs::write(&key, private_key).map_err(io)?;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    let host_token = if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    };
    let lines: String = connection["remote_host_key"]
        .as_str()
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{host_token} {}\n", l.trim()))
        .collect();
    std::fs::write(&known_hosts, lines).map_err(io)?;
    let output = tokio::process::Command::new("ssh")
        .arg("-F")
        .arg("/dev/null")
        .arg("-i")
        .arg(&key)
        .args(["-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"])
        .args([
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
        ])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .arg("-o")
        .arg(format!(
            "ConnectTimeout={}",
            connection["connect_timeout"].as_u64().unwrap_or(10)
        ))
        .args(["-p", &port.to_string()])
        .arg(format!(
            "{}@{host}",
            connection["username"].as_str().unwrap_or("root")
        ))
        .arg(LIST_COMMAND)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(io)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(call_error(
            13,
            "EACCES",
            &format!("Unable to connect to remote system: {}", stderr.trim()),
        ));
    }
    Ok(Value::Array(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|l| json!(l.trim()))
            .collect(),
    ))
}
