//! SSH connections: the semi-automatic setup with a remote TrueNAS, done
//! from the browser as TrueNAS's middleware does it
//! (`remote_ssh_semiautomatic_setup`), and host-key discovery through the
//! Keyhaven server. The admin password and one-time password are used for
//! one login and dropped. The SSH Connections form's logic is in `form`.

mod form;

pub use form::{ConnectionInput, Discovery, discover_for_form, save_form};

use keyhaven_core::{
    api::HostKey,
    model::{host_from_input, secret_transport_allowed},
    ssh::{format_host_keys, parse_host_keys},
    truenas::refusal_hint,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::{
    error::AppError,
    net::{
        api::{self, ApiError},
        truenas::{Login, RpcError, TrueNasError, TrueNasSession, login_outcome},
    },
};

/// Calls after the login; `keychaincredential.ssh_pair` may start the
/// remote's SSH service first, which takes a moment.
const CALL_TIMEOUT_MS: i32 = 30_000;

/// What the Semi-automatic (TrueNAS only) fields hold.
pub struct SemiAutomatic {
    /// Normalized TrueNAS URL.
    pub url: String,
    pub admin_username: String,
    pub admin_password: SecretString,
    pub otp: String,
    /// The user that logs in over SSH.
    pub username: String,
    pub sudo: bool,
    pub connect_timeout: u32,
}

/// What the remote answered: where its SSH service listens and its keys.
pub struct Paired {
    pub host: String,
    pub port: u16,
    /// One key per line, as TrueNAS stores them.
    pub host_keys: String,
}

/// Logs in to the remote, has it authorize `public_key` for the user, fixes
/// the user's shell (and sudo, when asked), and returns the connection's
/// host, port and host keys.
pub async fn pair(setup: SemiAutomatic, public_key: &str) -> Result<Paired, AppError> {
    let host = host_from_input(&setup.url)?;
    let at = |error: TrueNasError| AppError::AtRemote {
        url: setup.url.clone(),
        error,
        hint: None,
    };
    if !secret_transport_allowed(&setup.url) {
        // The admin password would cross the network in plain text.
        return Err(at(TrueNasError::Insecure));
    }
    let timeout_ms = i32::try_from(setup.connect_timeout.saturating_mul(1000)).unwrap_or(i32::MAX);
    let remote = TrueNasSession::open(&setup.url, timeout_ms)
        .await
        .map_err(at)?;
    let login = remote
        .call(
            "auth.login_ex",
            json!([{"mechanism": "PASSWORD_PLAIN", "username": setup.admin_username,
                    "password": setup.admin_password.expose_secret()}]),
            CALL_TIMEOUT_MS,
        )
        .await
        .map_err(at)?;
    match login_outcome(&login) {
        Login::Success => {}
        Login::Rejected => return Err(AppError::WrongAdminPassword),
        Login::OtpRequired => {
            let otp = setup.otp.trim();
            if otp.is_empty() {
                return Err(AppError::OtpNeeded);
            }
            let second = remote
                .call(
                    "auth.login_ex_continue",
                    json!([{"mechanism": "OTP_TOKEN", "otp_token": otp}]),
                    CALL_TIMEOUT_MS,
                )
                .await
                .map_err(at)?;
            if login_outcome(&second) != Login::Success {
                return Err(AppError::OtpRejected);
            }
        }
    }
    drop(setup.admin_password);
    let paired = remote
        .call(
            "keychaincredential.ssh_pair",
            json!([{"remote_hostname": "any-host", "username": setup.username,
                    "public_key": public_key}]),
            CALL_TIMEOUT_MS,
        )
        .await
        .map_err(|e| remote_refused(&setup.url, &e))?;
    fix_remote_user(&remote, &setup.username, setup.sudo)
        .await
        .map_err(|e| remote_refused(&setup.url, &e))?;
    let port = paired["port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p != 0)
        .ok_or_else(|| AppError::NoSshPort {
            url: setup.url.clone(),
        })?;
    let keys = parse_host_keys(paired["host_key"].as_str().unwrap_or_default()).map_err(|_| {
        AppError::NoUsableHostKey {
            url: setup.url.clone(),
        }
    })?;
    Ok(Paired {
        host,
        port,
        host_keys: format_host_keys(&keys),
    })
}

/// A remote error, with what to do where it helps.
fn remote_refused(url: &str, error: &TrueNasError) -> AppError {
    let hint = match error {
        TrueNasError::Call(RpcError::Call { reason, .. }) => refusal_hint(reason),
        _ => None,
    };
    AppError::AtRemote {
        url: url.to_owned(),
        error: error.clone(),
        hint,
    }
}

/// As TrueNAS does: a user whose shell is `nologin` gets bash (SSH
/// replication runs commands), and "Enable passwordless sudo for zfs
/// commands" adds `/usr/sbin/zfs` to the user's passwordless sudo commands.
pub(crate) async fn fix_remote_user(
    remote: &TrueNasSession,
    username: &str,
    sudo: bool,
) -> Result<(), TrueNasError> {
    let users = remote
        .call(
            "user.query",
            json!([[["username", "=", username]]]),
            CALL_TIMEOUT_MS,
        )
        .await?;
    let Some(user) = users.as_array().and_then(|u| u.first()) else {
        return Err(TrueNasError::refused(format!(
            "User {username} does not exist"
        )));
    };
    let mut changes = serde_json::Map::new();
    if user["shell"].as_str() == Some("/usr/sbin/nologin") {
        changes.insert("shell".into(), json!("/usr/bin/bash"));
    }
    if sudo {
        let mut commands: Vec<Value> = user["sudo_commands_nopasswd"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !commands.iter().any(|c| c == "/usr/sbin/zfs") {
            commands.push(json!("/usr/sbin/zfs"));
            changes.insert("sudo_commands_nopasswd".into(), Value::Array(commands));
        }
    }
    if changes.is_empty() {
        return Ok(());
    }
    remote
        .call(
            "user.update",
            json!([user["id"], Value::Object(changes)]),
            CALL_TIMEOUT_MS,
        )
        .await
        .map(drop)
}

/// Discover Remote Host Key: the keys the SSH server offers, asked of the
/// Keyhaven server.
pub async fn discover(host: &str, port: u16, timeout_secs: u32) -> Result<Vec<HostKey>, AppError> {
    let host = host_from_input(host)?;
    match api::scan_host_keys(&host, port, u64::from(timeout_secs.clamp(1, 60))).await {
        Ok(result) if result.keys.is_empty() => Err(AppError::NoHostKeyOffered { host, port }),
        Ok(result) => Ok(result.keys),
        Err(ApiError::Offline) => Err(AppError::DiscoverOffline),
        Err(e) => Err(e.into()),
    }
}
