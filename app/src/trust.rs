//! What this browser trusts of the server's metadata. Fields that decide
//! where a secret goes are sealed under the keyring's data key (core's
//! `model::seal`): an item is sealed as this browser writes it (or at the
//! next unlock, for items written while locked), and checked before any
//! secret leaves for it. The user decides on every item that changed
//! outside the keyring: restore theirs, or accept the change.

use keyhaven_core::model::{Connection, Finding, Keypair, Kind, Metadata, System};
use leptos::prelude::*;
use rand_core::OsRng;

use crate::{error::AppError, state::AppState, sync::SyncKind, untrusted::Untrusted};

impl AppState {
    /// The keypair, if the keyring is unlocked and its public key is what
    /// this keyring sealed (for one whose private key is not in the
    /// keyring: its public key is then handed out as stored).
    pub fn trusted_keypair(&self, id: &str) -> Result<Keypair, AppError> {
        self.trusted(Kind::Keypair, id, |m| m.keypair(id).cloned())
    }

    /// The system, if the keyring is unlocked and its URL, API user and key
    /// id are what this keyring sealed. Nothing secret goes anywhere else.
    pub fn trusted_system(&self, id: &str) -> Result<System, AppError> {
        self.trusted(Kind::System, id, |m| m.system(id).cloned())
    }

    /// The connection, if the keyring is unlocked and its host, port, user
    /// and host keys are what this keyring sealed (before a system is told
    /// to replicate there).
    pub fn trusted_connection(&self, id: &str) -> Result<Connection, AppError> {
        self.trusted(Kind::Connection, id, |m| m.connection(id).cloned())
    }

    fn trusted<T>(
        &self,
        kind: Kind,
        id: &str,
        item: impl FnOnce(&Metadata) -> Option<T>,
    ) -> Result<T, AppError> {
        let engine = self.engine();
        let replicas = engine.replicas();
        let metadata = &replicas.metadata.metadata;
        let item = item(metadata).ok_or(AppError::Gone)?;
        let keyring = replicas.keyring.unlocked.as_ref().ok_or(AppError::Locked)?;
        match Untrusted::of(kind, metadata.trust(kind, id, keyring)) {
            None => Ok(item),
            Some(untrusted) => Err(AppError::Untrusted(untrusted)),
        }
    }

    /// Items that are not verified, for the notices (tracks the metadata
    /// and the lock state; computed once per change).
    pub fn findings(&self) -> Vec<Finding> {
        self.findings.get()
    }

    /// Whether any item is not verified.
    pub fn has_findings(&self) -> bool {
        self.findings.with(|f| !f.is_empty())
    }

    /// Accepts an item as it is now: seals it.
    pub async fn accept_item(&self, kind: Kind, id: String) -> Result<(), AppError> {
        self.reseal_metadata(|m, keyring, _, _| {
            m.seal(kind, &id, keyring, &mut OsRng);
            Ok(())
        })
        .await
    }

    /// Puts back the values this keyring sealed for a changed item.
    pub async fn restore_item(&self, kind: Kind, id: String) -> Result<(), AppError> {
        self.reseal_metadata(|m, keyring, now, by| {
            m.restore(kind, &id, keyring, now, by, &mut OsRng)
        })
        .await
    }

    async fn reseal_metadata(
        &self,
        change: impl FnOnce(
            &mut Metadata,
            &keyhaven_core::keyring::Unlocked,
            u64,
            &str,
        ) -> Result<(), keyhaven_core::Error>,
    ) -> Result<(), AppError> {
        let resealed = self.engine().reseal_metadata(change).await;
        self.refresh();
        resealed?;
        self.sync(SyncKind::Push).await
    }
}
