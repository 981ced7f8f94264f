//! A system's own Backup Credentials, managed through the API key the
//! keyring holds for it (`keychaincredential.*`, straight from the
//! browser to the system's sealed URL: nothing passes Keyhaven's server).
//! Each operation logs in afresh; nothing is queued against a system.

mod import;
mod install;

pub use import::{import_connection, import_keypair};
pub use install::{install, plan};

use keyhaven_core::{
    model::{Connection, host_from_input},
    truenas::{
        RpcError,
        keychain::{self as calls, Keychain, field_label},
    },
};
use leptos::prelude::WithUntracked;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::{
    error::AppError,
    net::truenas::{TrueNasError, TrueNasSession},
    state::AppState,
    systems,
};

/// Keychain calls can make the system write files and start services.
const CALL_TIMEOUT_MS: i32 = 30_000;

/// A logged-in session to one system of the keyring, and its name for
/// messages.
pub struct OnSystem {
    session: TrueNasSession,
    pub name: String,
}

impl OnSystem {
    /// Logs in to the system with its stored key (its URL verified under
    /// the keyring first); the error names the system and why not.
    pub async fn open(state: AppState, system_id: &str) -> Result<Self, AppError> {
        let name = state
            .metadata
            .with_untracked(|m| m.system(system_id).map(|s| s.name.clone()))
            .ok_or(AppError::Gone)?;
        let session = systems::login_with_stored_key(state, system_id)
            .await
            .map_err(|reason| AppError::SystemUnavailable {
                system: name.clone(),
                reason: Box::new(reason),
            })?;
        Ok(Self { session, name })
    }

    /// One call; a validation error names the form's fields (`Name: …`).
    async fn call(&self, method: &str, params: Value) -> Result<Value, AppError> {
        self.session
            .call(method, params, CALL_TIMEOUT_MS)
            .await
            .map_err(|error| match error {
                TrueNasError::Call(RpcError::Invalid(fields)) => AppError::InvalidOnSystem {
                    system: self.name.clone(),
                    fields: fields
                        .iter()
                        .map(|f| (field_label(f.field()).to_owned(), f.message.clone()))
                        .collect(),
                },
                error => AppError::AtSystem {
                    system: self.name.clone(),
                    error,
                },
            })
    }

    /// The system's SSH keypairs and connections.
    pub async fn keychain(&self) -> Result<Keychain, AppError> {
        let result = self.call("keychaincredential.query", json!([[]])).await?;
        Ok(Keychain::from_query(&result))
    }

    /// Creates a keypair; returns its id there.
    pub async fn create_keypair(
        &self,
        name: &str,
        private_key: &SecretString,
        public_key: &str,
    ) -> Result<u64, AppError> {
        let created = self
            .call(
                "keychaincredential.create",
                calls::create_keypair(name, private_key, public_key),
            )
            .await?;
        created_id(&created)
    }

    pub async fn update_keypair(
        &self,
        id: u64,
        name: &str,
        private_key: Option<&SecretString>,
        public_key: &str,
    ) -> Result<(), AppError> {
        let private = private_key.map(|k| k.expose_secret().to_owned());
        self.call(
            "keychaincredential.update",
            json!([id, {"name": name, "attributes": {"private_key": private, "public_key": public_key}}]),
        )
        .await
        .map(drop)
    }

    /// Creates an SSH connection using the keypair `keypair` (its id there).
    pub async fn create_connection(
        &self,
        connection: &Connection,
        keypair: u64,
    ) -> Result<u64, AppError> {
        let created = self
            .call(
                "keychaincredential.create",
                calls::create_connection(connection, keypair),
            )
            .await?;
        created_id(&created)
    }

    pub async fn update_connection(
        &self,
        id: u64,
        connection: &Connection,
        keypair: u64,
    ) -> Result<(), AppError> {
        self.call(
            "keychaincredential.update",
            json!([id, {"name": connection.name,
                        "attributes": calls::connection_attributes(connection, keypair)}]),
        )
        .await
        .map(drop)
    }

    /// What uses a credential there (connections, replication tasks…).
    pub async fn used_by(&self, id: u64) -> Result<Vec<String>, AppError> {
        let used = self.call("keychaincredential.used_by", json!([id])).await?;
        Ok(used
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u["title"].as_str().map(str::to_owned))
            .collect())
    }

    pub async fn delete(&self, id: u64, cascade: bool) -> Result<(), AppError> {
        self.call(
            "keychaincredential.delete",
            json!([id, {"cascade": cascade}]),
        )
        .await
        .map(drop)
    }

    /// Discover Remote Host Key, run by the system from its own network
    /// (what its replication will see).
    pub async fn scan(&self, host: &str, port: u16, timeout: u32) -> Result<String, AppError> {
        let keys = self
            .call(
                "keychaincredential.remote_ssh_host_key_scan",
                json!([{"host": host, "port": port, "connect_timeout": timeout}]),
            )
            .await?;
        Ok(keys.as_str().unwrap_or_default().to_owned())
    }

    /// The semi-automatic setup, run by the system: it logs in to the
    /// remote itself and stores the connection.
    pub async fn semiautomatic(&self, setup: SystemSemiAutomatic) -> Result<(), AppError> {
        let mut args = json!({
            "name": setup.name, "url": setup.url, "verify_ssl": true,
            "admin_username": setup.admin_username,
            "password": setup.admin_password.expose_secret(),
            "username": setup.username, "private_key": setup.keypair,
            "connect_timeout": setup.connect_timeout, "sudo": setup.sudo,
        });
        // An empty one-time password is simply not sent.
        if !setup.otp.trim().is_empty() {
            args["otp_token"] = json!(setup.otp.trim());
        }
        self.call(
            "keychaincredential.remote_ssh_semiautomatic_setup",
            json!([args]),
        )
        .await
        .map(drop)
    }

    /// `keychaincredential.ssh_pair` on this system (as the remote end):
    /// authorizes `public_key` for `username`; returns the port and host
    /// keys (`type key` lines).
    pub async fn ssh_pair(
        &self,
        username: &str,
        public_key: &str,
    ) -> Result<(u16, String), AppError> {
        let paired = self
            .call(
                "keychaincredential.ssh_pair",
                json!([{"remote_hostname": "any-host", "username": username, "public_key": public_key}]),
            )
            .await?;
        let port = paired["port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| self.unexpected("no port in ssh_pair's answer"))?;
        let keys =
            keyhaven_core::ssh::parse_host_keys(paired["host_key"].as_str().unwrap_or_default())
                .map_err(|_| self.unexpected("no host key in ssh_pair's answer"))?;
        Ok((port, keyhaven_core::ssh::format_host_keys(&keys)))
    }

    fn unexpected(&self, what: &'static str) -> AppError {
        AppError::AtSystem {
            system: self.name.clone(),
            error: TrueNasError::Unexpected(what),
        }
    }
}

/// Semi-automatic between two systems of the keyring: what the source's
/// connection needs besides the remote.
pub struct Pairing {
    pub name: String,
    pub username: String,
    /// The keypair's id on the source system.
    pub keypair: u64,
    pub sudo: bool,
    pub connect_timeout: u32,
}

/// Semi-automatic when the remote is itself a system of the keyring: no
/// admin password. The remote, logged in with its stored key, authorizes
/// the source keypair's public key (`keychaincredential.ssh_pair`) and
/// fixes the user's shell and sudo as TrueNAS does; the connection is then
/// created on the source with the remote's port and host keys, its host
/// taken from the remote's sealed URL.
pub async fn pair_systems(
    state: AppState,
    source_id: &str,
    remote_id: &str,
    pairing: Pairing,
) -> Result<(), AppError> {
    let source = OnSystem::open(state, source_id).await?;
    let keychain = source.keychain().await?;
    let public_key = keychain
        .keypair(pairing.keypair)
        .map(|k| k.public_key.clone())
        .ok_or(AppError::ChooseKeypair)?;
    let remote_url = state.trusted_system(remote_id)?.url;
    let remote = OnSystem::open(state, remote_id).await?;
    let (port, host_keys) = remote.ssh_pair(&pairing.username, &public_key).await?;
    crate::connections::fix_remote_user(&remote.session, &pairing.username, pairing.sudo)
        .await
        .map_err(|error| AppError::AtSystem {
            system: remote.name.clone(),
            error,
        })?;
    let connection = Connection {
        name: pairing.name,
        host: host_from_input(&remote_url)?,
        port,
        username: pairing.username,
        keypair_id: String::new(),
        remote_host_keys: host_keys,
        connect_timeout: pairing.connect_timeout,
    };
    source
        .create_connection(&connection, pairing.keypair)
        .await
        .map(drop)
}

/// The Semi-automatic fields, for a setup the system runs.
pub struct SystemSemiAutomatic {
    pub name: String,
    pub url: String,
    pub admin_username: String,
    pub admin_password: SecretString,
    pub otp: String,
    pub username: String,
    /// The keypair's id on the system.
    pub keypair: u64,
    pub connect_timeout: u32,
    pub sudo: bool,
}

fn created_id(created: &Value) -> Result<u64, AppError> {
    created["id"]
        .as_u64()
        .ok_or(AppError::TrueNas(TrueNasError::Unexpected(
            "no id in keychaincredential.create's answer",
        )))
}
