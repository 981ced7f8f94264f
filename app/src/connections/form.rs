//! What the SSH Connections form does on Save and on Discover Remote Host
//! Key; the component only renders and dispatches.

use keyhaven_core::{
    api::HostKey,
    model::{CheckedConnection, ConnectionForm, KeyringState, check_port},
    ssh::{self, Discovered},
};
use leptos::prelude::*;
use secrecy::{ExposeSecret, SecretString};

use super::{SemiAutomatic, discover, pair};
use crate::{
    error::AppError,
    keypairs::{self, KeyChoice},
    state::{AppState, new_id, page_scheme},
};

/// The form's fields, as typed.
pub struct ConnectionInput {
    /// The connection edited; none for a new one.
    pub id: Option<String>,
    pub name: String,
    /// Setup Method: Semi-automatic (TrueNAS only) rather than Manual.
    pub semi_automatic: bool,
    pub url: String,
    pub admin_username: String,
    pub admin_password: SecretString,
    /// One-Time Password (if necessary): empty is not sent.
    pub otp: String,
    pub username: String,
    pub sudo: bool,
    /// The Private Key choice; none for Generate New.
    pub keypair: Option<String>,
    pub host: String,
    pub port: String,
    pub host_keys: String,
    pub timeout: String,
}

/// Save: the form checked as TrueNAS checks it, then Generate New first (as
/// TrueNAS does), then the semi-automatic exchange, then the connection. A
/// keypair generated here is removed again when anything after it fails.
/// Returns the host keys left out to fit TrueNAS's field, described.
pub async fn save_form(state: AppState, input: ConnectionInput) -> Result<Vec<String>, AppError> {
    let generate_new = input.keypair.is_none();
    let checked = check(state, &input).inspect_err(|_| {
        // The likely fix is unlocking: Generate New stores a private key.
        if generate_new && !state.is_unlocked() {
            state.prompts.unlock_dismissed.set(false);
        }
    })?;
    let id = input.id.unwrap_or_else(new_id);
    let mut connection = checked.connection;
    let semi = input.semi_automatic.then(|| SemiAutomatic {
        url: checked.url.unwrap_or_default(),
        admin_username: input.admin_username.trim().to_owned(),
        admin_password: input.admin_password,
        otp: input.otp,
        username: connection.username.clone(),
        sudo: input.sudo && connection.username != "root",
        connect_timeout: connection.connect_timeout,
    });
    if checked.generate {
        connection.keypair_id = new_id();
        let name = format!("{} Key", connection.name);
        let key = keypairs::generate(KeyChoice::Ed25519, &name).await?;
        keypairs::save(
            state,
            &connection.keypair_id,
            &name,
            Some(&key),
            key.public_key(),
        )
        .await?;
    }
    let keypair_id = connection.keypair_id.clone();
    let mut left_out = checked.host_keys_left_out;
    let result = async {
        if let Some(semi) = semi {
            // Derived from the private key, never read from the metadata:
            // the remote authorizes exactly the key this keyring holds.
            let public = keypairs::public_key_of(state, &keypair_id)?;
            let paired = pair(semi, &public).await?;
            connection.host = paired.host;
            connection.port = paired.port;
            connection.remote_host_keys = paired.host_keys.text();
            left_out = paired.host_keys.left_out_described();
        }
        state
            .update_metadata(move |m, now, by| m.put_connection(&id, connection.clone(), now, by))
            .await
    }
    .await;
    if result.is_err() && checked.generate {
        // Best effort: the error that matters is the one above.
        let _ = keypairs::remove(state, &keypair_id, Vec::new()).await;
    }
    result.map(|()| left_out)
}

fn check(state: AppState, input: &ConnectionInput) -> Result<CheckedConnection, AppError> {
    let values = ConnectionForm {
        name: input.name.clone(),
        semi_automatic: input.semi_automatic,
        url: input.url.clone(),
        admin_username: input.admin_username.clone(),
        admin_password_given: !input.admin_password.expose_secret().is_empty(),
        username: input.username.clone(),
        keypair: input.keypair.clone(),
        host: input.host.clone(),
        port: input.port.clone(),
        host_keys: input.host_keys.clone(),
        timeout: input.timeout.clone(),
    };
    let keyring = KeyringState {
        exists: state.vault.keyring.with_untracked(Option::is_some),
        unlocked: state.is_unlocked(),
    };
    Ok(state.metadata.with_untracked(|m| {
        m.check_connection_form(&values, input.id.as_deref(), keyring, &page_scheme())
    })?)
}

/// What Discover Remote Host Key found, against what the field holds.
pub struct Discovery {
    pub found: Found,
    /// Keys the host offers that don't fit TrueNAS's field, described.
    pub left_out: Vec<String>,
}

pub enum Found {
    /// The field was empty or holds the same keys: take these lines.
    Take(String),
    /// The host offers other keys than the field's: the user decides.
    Changed(Vec<HostKey>),
}

/// Discover Remote Host Key, for the form's Host, Port, Connect Timeout
/// and the keys it holds now. The keys offered are fitted to TrueNAS's
/// 1024 characters, as a system would store them.
pub async fn discover_for_form(
    host: &str,
    port: &str,
    timeout: &str,
    current: &str,
) -> Result<Discovery, AppError> {
    let port = check_port(port)?;
    let timeout = timeout.trim().parse::<u32>().unwrap_or(10);
    let offered = discover(host, port, timeout).await?;
    let parsed: Vec<ssh::PublicKey> = offered
        .iter()
        .filter_map(|k| ssh::parse_public_key(&k.public_key).ok())
        .collect();
    let fitted = ssh::fit_host_keys(&parsed);
    // The kept ones, in the order they are stored (strongest kind first).
    let keys: Vec<HostKey> = fitted
        .kept
        .iter()
        .filter_map(|kept| {
            offered
                .iter()
                .find(|k| {
                    ssh::parse_public_key(&k.public_key)
                        .is_ok_and(|p| p.key_data() == kept.key_data())
                })
                .cloned()
        })
        .collect();
    let lines = keys
        .iter()
        .map(|k| k.public_key.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let found = match ssh::judge_discovered(current, &lines) {
        Discovered::Take => Found::Take(lines),
        Discovered::Changed => Found::Changed(keys),
    };
    Ok(Discovery {
        found,
        left_out: fitted.left_out_described(),
    })
}
