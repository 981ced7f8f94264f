//! Save to Keyhaven: a system's keypair or connection taken into Keyhaven,
//! the private key into the keyring. A key Keyhaven already holds (same
//! public key) is not stored twice.

use keyhaven_core::{
    model::{Connection, Metadata},
    ssh,
    truenas::keychain::SystemKeypair,
};
use leptos::prelude::*;
use secrecy::ExposeSecret;

use super::OnSystem;
use crate::{
    error::AppError,
    keypairs,
    state::{AppState, new_id},
};

/// Saves the system's keypair `id` to Keyhaven; returns its name.
pub async fn import_keypair(state: AppState, system_id: &str, id: u64) -> Result<String, AppError> {
    let keychain = OnSystem::open(state, system_id).await?.keychain().await?;
    let keypair = keychain.keypair(id).ok_or(AppError::Gone)?;
    if let Some(name) = state
        .metadata
        .with_untracked(|m| keyhaven_keypair(m, &keypair.public_key))
        .map(|(_, n)| n)
    {
        return Err(AppError::AlreadyInKeyhaven { name });
    }
    store_keypair(state, keypair).await?;
    Ok(keypair.name.clone())
}

/// Saves the system's connection `id` to Keyhaven, with its keypair (the
/// Keyhaven keypair holding the same key, or the system's, saved too).
pub async fn import_connection(
    state: AppState,
    system_id: &str,
    id: u64,
) -> Result<String, AppError> {
    let keychain = OnSystem::open(state, system_id).await?.keychain().await?;
    let found = keychain.connection(id).ok_or(AppError::Gone)?;
    let keypair = keychain.keypair(found.keypair).ok_or(AppError::Gone)?;
    let known = state
        .metadata
        .with_untracked(|m| keyhaven_keypair(m, &keypair.public_key));
    // The same connection (name and key) in Keyhaven: updated to the
    // system's values. Another one of that name: refused, as TrueNAS does.
    let same = state.metadata.with_untracked(|m| {
        m.connections()
            .find(|(_, c)| c.name == found.name)
            .map(|(id, c)| (id.to_owned(), c.keypair_id.clone()))
    });
    let id = match (&same, &known) {
        (Some((id, uses)), Some((key, _))) if uses == key => id.clone(),
        _ => {
            state
                .metadata
                .with_untracked(|m| m.check_credential_name(&found.name, None))?;
            new_id()
        }
    };
    let keypair_id = match known {
        Some((id, _)) => id,
        None => store_keypair(state, keypair).await?,
    };
    let connection = Connection {
        name: found.name.clone(),
        host: found.host.clone(),
        port: found.port,
        username: found.username.clone(),
        keypair_id,
        remote_host_keys: found.remote_host_key.clone(),
        connect_timeout: found.connect_timeout,
    };
    state
        .update_metadata(move |m, now, by| m.put_connection(&id, connection.clone(), now, by))
        .await?;
    Ok(found.name.clone())
}

/// The Keyhaven keypair holding this public key: its id and name.
fn keyhaven_keypair(metadata: &Metadata, public: &str) -> Option<(String, String)> {
    let wanted = ssh::parse_public_key(public).ok()?;
    metadata
        .keypairs()
        .find(|(_, k)| {
            ssh::parse_public_key(&k.public_key).is_ok_and(|p| p.key_data() == wanted.key_data())
        })
        .map(|(id, k)| (id.to_owned(), k.name.clone()))
}

/// Stores a system's keypair in Keyhaven (checked as a pair); its new id.
async fn store_keypair(state: AppState, keypair: &SystemKeypair) -> Result<String, AppError> {
    let private = keypair
        .private_key
        .held()
        .ok_or(AppError::PrivateKeyNotShown)?;
    state
        .metadata
        .with_untracked(|m| m.check_credential_name(&keypair.name, None))?;
    let key = keypairs::read_private_key(private.expose_secret(), "").await?;
    let public = ssh::check_pair(Some(&key), Some(&keypair.public_key))?;
    let id = new_id();
    keypairs::save(state, &id, &keypair.name, Some(&key), &public).await?;
    Ok(id)
}
