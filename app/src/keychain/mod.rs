//! A system's own Backup Credentials, managed through the API key the
//! keyring holds for it (`keychaincredential.*`, straight from the
//! browser to the system's sealed URL: nothing passes Keyhaven's server).
//! Each operation logs in afresh; nothing is queued against a system.

mod import;
mod install;

pub use import::{import_connection, import_keypair};
pub use install::{install, plan};

use keyhaven_core::{
    model::{Connection, Field, host_from_input},
    ssh::{self, FittedHostKeys},
    truenas::{
        RpcError,
        calls::{self, Call, SemiAutomaticSetup},
        keychain::{self as system_calls, Keychain, SystemKeypair},
    },
};
use leptos::prelude::WithUntracked;
use secrecy::SecretString;
use serde_json::Value;

use crate::{
    connections::{RemoteFailure, authorize_on_remote, remote_refusal},
    error::{AppError, RefusedField},
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

    /// One call; a validation error names the form's fields.
    async fn call(&self, call: Call) -> Result<Value, AppError> {
        self.session
            .call(call, CALL_TIMEOUT_MS)
            .await
            .map_err(|error| self.failed(error))
    }

    fn failed(&self, error: TrueNasError) -> AppError {
        match error {
            TrueNasError::Call(RpcError::Invalid(fields)) => AppError::InvalidOnSystem {
                system: self.name.clone(),
                fields: fields
                    .iter()
                    .map(|f| RefusedField {
                        field: Field::from_truenas(f.field()).ok_or_else(|| f.field().to_owned()),
                        message: f.message.clone(),
                    })
                    .collect(),
            },
            error => AppError::AtSystem {
                system: self.name.clone(),
                error,
            },
        }
    }

    /// The system's SSH keypairs and connections.
    pub async fn keychain(&self) -> Result<Keychain, AppError> {
        let result = self.call(calls::keychain_query()).await?;
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
            .call(system_calls::create_keypair(name, private_key, public_key))
            .await?;
        created_id(&created)
    }

    /// Saves an edited keypair without losing what the system holds
    /// (core's `update_keypair` decides what is sent).
    pub async fn update_keypair(
        &self,
        stored: &SystemKeypair,
        name: &str,
        private_key: Option<&SecretString>,
        public_key: &str,
    ) -> Result<(), AppError> {
        let call = system_calls::update_keypair(stored, name, private_key, public_key)?;
        self.call(call).await.map(drop)
    }

    /// Creates an SSH connection using the keypair `keypair` (its id there).
    pub async fn create_connection(
        &self,
        connection: &Connection,
        keypair: u64,
    ) -> Result<u64, AppError> {
        let created = self
            .call(system_calls::create_connection(connection, keypair))
            .await?;
        created_id(&created)
    }

    pub async fn update_connection(
        &self,
        id: u64,
        connection: &Connection,
        keypair: u64,
    ) -> Result<(), AppError> {
        self.call(system_calls::update_connection(id, connection, keypair))
            .await
            .map(drop)
    }

    /// What uses a credential there (connections, replication tasks…).
    pub async fn used_by(&self, id: u64) -> Result<Vec<String>, AppError> {
        let used = self.call(calls::keychain_used_by(id)).await?;
        Ok(used
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u["title"].as_str().map(str::to_owned))
            .collect())
    }

    pub async fn delete(&self, id: u64, cascade: bool) -> Result<(), AppError> {
        self.call(calls::keychain_delete(id, cascade))
            .await
            .map(drop)
    }

    /// Discover Remote Host Key, run by the system from its own network
    /// (what its replication will see).
    pub async fn scan(&self, host: &str, port: u16, timeout: u32) -> Result<String, AppError> {
        let keys = self.call(calls::host_key_scan(host, port, timeout)).await?;
        Ok(keys.as_str().unwrap_or_default().to_owned())
    }

    /// The semi-automatic setup, run by the system: it logs in to the
    /// remote itself and stores the connection.
    pub async fn semiautomatic(&self, setup: &SemiAutomaticSetup<'_>) -> Result<(), AppError> {
        self.call(calls::semiautomatic_setup(setup)).await.map(drop)
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
/// admin password, and public methods only. The remote, logged in with its
/// stored key, authorizes the source keypair's public key for the user
/// (`user.update` appending to its `sshpubkey`, shell and zfs sudo as
/// TrueNAS sets them) and reports its SSH port (`ssh.config`); the source
/// scans the remote's host keys itself, and those the remote confirms are
/// stored, fitted to TrueNAS's field. The host comes from the remote's
/// sealed URL. Returns the host keys left out to fit.
pub async fn pair_systems(
    state: AppState,
    source_id: &str,
    remote_id: &str,
    pairing: Pairing,
) -> Result<FittedHostKeys, AppError> {
    let source = OnSystem::open(state, source_id).await?;
    let keychain = source.keychain().await?;
    let public_key = keychain
        .keypair(pairing.keypair)
        .map(|k| k.public_key.clone())
        .ok_or(AppError::ChooseKeypair)?;
    let remote_url = state.trusted_system(remote_id)?.url;
    let host = host_from_input(&remote_url)?;
    let remote = OnSystem::open(state, remote_id).await?;
    let remote_ssh = authorize_on_remote(
        &remote.session,
        &pairing.username,
        &public_key,
        pairing.sudo,
        false,
    )
    .await
    .map_err(|error| match error {
        RemoteFailure::Refused(refused) => remote_refusal(&remote.name, &refused),
        RemoteFailure::Call(error) => remote.failed(error),
    })?;
    let scanned = source
        .scan(&host, remote_ssh.port, pairing.connect_timeout)
        .await?;
    let confirmed = remote_ssh
        .confirm_scan(&scanned)
        .map_err(|refused| remote_refusal(&remote.name, &refused))?;
    let fitted = ssh::fit_host_keys(&confirmed);
    let connection = Connection {
        name: pairing.name,
        host,
        port: remote_ssh.port,
        username: pairing.username,
        keypair_id: String::new(),
        remote_host_keys: fitted.text(),
        connect_timeout: pairing.connect_timeout,
    };
    source
        .create_connection(&connection, pairing.keypair)
        .await?;
    Ok(fitted)
}

fn created_id(created: &Value) -> Result<u64, AppError> {
    created["id"]
        .as_u64()
        .ok_or(AppError::TrueNas(TrueNasError::Unexpected(
            "no id in keychaincredential.create's answer",
        )))
}
