//! Install on systems: a Keyhaven keypair (and a connection using it) put
//! into a system's own keychain. The private key comes from the unlocked
//! keyring and goes straight to the system's sealed URL; the connection's
//! host and host keys must verify under the keyring first, so a rewritten
//! metadata document can't point a system's replication elsewhere.

use keyhaven_core::{
    model::{Connection, Keypair},
    truenas::keychain::{ConnectionStep, InstallPlan, KeypairStep},
};
use leptos::prelude::WithUntracked;
use secrecy::SecretString;

use super::OnSystem;
use crate::{error::AppError, keypairs, state::AppState};

/// What an install did on one system, in words for the progress list.
pub struct Installed {
    pub lines: Vec<String>,
}

/// The keypair and connection to install, from Keyhaven: the public key
/// derived from the private key in the keyring (not read from the
/// metadata), the connection verified under the keyring.
struct Source {
    keypair: Keypair,
    private_key: SecretString,
    connection: Option<Connection>,
}

fn source(
    state: AppState,
    keypair_id: &str,
    connection_id: Option<&str>,
) -> Result<Source, AppError> {
    let mut keypair = state
        .metadata
        .with_untracked(|m| m.keypair(keypair_id).cloned())
        .ok_or(AppError::Gone)?;
    let private_key = keypairs::private_key(state, keypair_id)?;
    keypair.public_key = keypairs::public_key_of(state, keypair_id)?;
    let connection = connection_id
        .map(|id| state.trusted_connection(id))
        .transpose()?;
    Ok(Source {
        keypair,
        private_key,
        connection,
    })
}

/// What installing would do on a system, shown before anything is sent.
pub async fn plan(
    state: AppState,
    system_id: &str,
    keypair_id: &str,
    connection_id: Option<&str>,
) -> Result<InstallPlan, AppError> {
    let source = source(state, keypair_id, connection_id)?;
    let system = OnSystem::open(state, system_id).await?;
    let keychain = system.keychain().await?;
    Ok(InstallPlan::new(
        &keychain,
        &source.keypair,
        source.connection.as_ref(),
    ))
}

/// Installs on one system: the keypair first (unless the system holds the
/// same key already), then the connection pointing at the keypair's id
/// there. A name taken on the system stops it before anything is written.
pub async fn install(
    state: AppState,
    system_id: &str,
    keypair_id: &str,
    connection_id: Option<&str>,
) -> Result<Installed, AppError> {
    let source = source(state, keypair_id, connection_id)?;
    let system = OnSystem::open(state, system_id).await?;
    let keychain = system.keychain().await?;
    let plan = InstallPlan::new(&keychain, &source.keypair, source.connection.as_ref());
    let taken = || AppError::NameTakenOnSystem {
        system: system.name.clone(),
        plan: plan.describe().join("; "),
    };
    if plan.blocked() {
        return Err(taken());
    }
    let keypair = match &plan.keypair {
        KeypairStep::Present { id, .. } => *id,
        KeypairStep::Create { name } => {
            system
                .create_keypair(name, &source.private_key, &source.keypair.public_key)
                .await?
        }
        KeypairStep::NameTaken { .. } => return Err(taken()),
    };
    match (&plan.connection, &source.connection) {
        (Some(ConnectionStep::Create { .. }), Some(connection)) => {
            system.create_connection(connection, keypair).await?;
        }
        (Some(ConnectionStep::Update { id, .. }), Some(connection)) => {
            system.update_connection(*id, connection, keypair).await?;
        }
        _ => {}
    }
    Ok(Installed {
        lines: plan.describe(),
    })
}
