//! SSH connections: the semi-automatic setup with a remote TrueNAS, done
//! from the browser as TrueNAS's middleware does it
//! (`remote_ssh_semiautomatic_setup`), and host-key discovery through the
//! Keyhaven server. The admin password and one-time password are used for
//! one login and dropped. The SSH Connections form's logic is in `form`.

mod form;

pub use form::{ConnectionInput, Discovery, Found, discover_for_form, save_form};

use keyhaven_core::{
    api::HostKey,
    model::{host_from_input, secret_transport_allowed},
    ssh::{self, FittedHostKeys},
    truenas::{
        calls,
        pairing::{PairingRefused, RemoteSsh, RemoteUser},
        refusal_hint,
    },
};
use secrecy::SecretString;

use crate::{
    error::AppError,
    net::{
        api::{self, ApiError},
        truenas::{Login, RpcError, TrueNasError, TrueNasSession, login_outcome},
    },
};

/// Calls after the login may make the remote write files.
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
    /// The remote's host keys, fitted to TrueNAS's 1024 characters (the
    /// connection may be installed on a system later).
    pub host_keys: FittedHostKeys,
}

/// Logs in to the remote as its admin, has it authorize `public_key` for
/// the user through public methods (its authorized keys gain the key, every
/// other line kept; shell and sudo as TrueNAS sets them), and returns the
/// connection's host, port and host keys, read from the remote's own SSH
/// settings over the same TLS session.
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
    // Not a system of the keyring: its release is unknown, so `current`.
    let remote = TrueNasSession::open(&setup.url, None, timeout_ms)
        .await
        .map_err(at)?;
    let login = remote
        .call(
            calls::login_password(&setup.admin_username, &setup.admin_password),
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
                .call(calls::login_otp(otp), CALL_TIMEOUT_MS)
                .await
                .map_err(at)?;
            if login_outcome(&second) != Login::Success {
                return Err(AppError::OtpRejected);
            }
        }
    }
    drop(setup.admin_password);
    let remote_ssh = authorize_on_remote(&remote, &setup.username, public_key, setup.sudo, true)
        .await
        .map_err(|failure| match failure {
            RemoteFailure::Refused(refused) => remote_refusal(&setup.url, &refused),
            RemoteFailure::Call(error) => remote_refused(&setup.url, &error),
        })?;
    let reported = remote_ssh
        .reported()
        .map_err(|refused| remote_refusal(&setup.url, &refused))?;
    Ok(Paired {
        host,
        port: remote_ssh.port,
        host_keys: ssh::fit_host_keys(&reported),
    })
}

/// Why authorizing a key on a remote stopped.
pub(crate) enum RemoteFailure {
    /// Refused before anything was written (no such user, no home, no SSH).
    Refused(keyhaven_core::truenas::pairing::PairingRefused),
    Call(TrueNasError),
}

/// On a remote logged in as an admin: reads its SSH service's port and
/// host keys, then authorizes `public_key` for `username` (public methods
/// only, every other authorized key kept). With `need_host_keys`, a remote
/// that reports none is refused before anything is written.
pub(crate) async fn authorize_on_remote(
    remote: &TrueNasSession,
    username: &str,
    public_key: &str,
    sudo: bool,
    need_host_keys: bool,
) -> Result<RemoteSsh, RemoteFailure> {
    let users = remote
        .call(calls::user_query(username), CALL_TIMEOUT_MS)
        .await
        .map_err(RemoteFailure::Call)?;
    let user = RemoteUser::from_query(&users, username).map_err(RemoteFailure::Refused)?;
    let config = remote
        .call(calls::ssh_config(), CALL_TIMEOUT_MS)
        .await
        .map_err(RemoteFailure::Call)?;
    let remote_ssh = RemoteSsh::from_config(&config).map_err(RemoteFailure::Refused)?;
    if need_host_keys {
        remote_ssh.reported().map_err(RemoteFailure::Refused)?;
    }
    if let Some(update) = user
        .authorize(public_key, sudo)
        .map_err(RemoteFailure::Refused)?
    {
        remote
            .call(update, CALL_TIMEOUT_MS)
            .await
            .map_err(RemoteFailure::Call)?;
    }
    Ok(remote_ssh)
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

/// A remote that can't be paired (no such user, no home, no SSH host
/// keys), said as the remote would say it, with what to do.
pub(crate) fn remote_refusal(remote: &str, refused: &PairingRefused) -> AppError {
    remote_refused(remote, &TrueNasError::refused(refused.to_string()))
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
