//! What this browser trusts of the server's metadata. Fields that decide
//! where a secret goes are sealed under the keyring's data key (core's
//! `model::seal`): an item is sealed as this browser writes it (or at the
//! next unlock, for items written while locked), and checked before any
//! secret leaves for it. The user decides on every item that changed
//! outside the keyring: restore theirs, or accept the change.

use keyhaven_core::model::{Connection, Finding, Kind, Metadata, PinDigest, System, Trust};
use leptos::prelude::*;
use rand_core::OsRng;

use crate::{
    error::AppError,
    state::{AppState, now_ms},
    sync::SyncKind,
};

/// Why a secret was not sent for an item.
fn refusal(kind: Kind, trust: Option<Trust>) -> Option<String> {
    let what = match kind {
        Kind::System => "this system's URL",
        Kind::Keypair => "this keypair's public key",
        Kind::Connection => "this connection",
    };
    match trust? {
        Trust::Verified => None,
        Trust::Unsealed => Some(format!(
            "{what} is not confirmed with your keyring yet: confirm it in the notice above"
        )),
        Trust::Changed { .. } | Trust::Foreign => Some(format!(
            "{what} was changed outside your keyring: restore yours or accept the change in the notice above"
        )),
    }
}

impl AppState {
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
        let item = self.metadata.with_untracked(item).ok_or(AppError::Gone)?;
        let trust = self
            .with_unlocked(|keyring| self.metadata.with_untracked(|m| m.trust(kind, id, keyring)))
            .ok_or(AppError::Locked)?;
        match refusal(kind, trust) {
            None => Ok(item),
            Some(reason) => Err(AppError::Untrusted(reason)),
        }
    }

    /// Items that are not verified, for the notices (tracks the metadata
    /// and the lock state).
    pub fn findings(&self) -> Vec<Finding> {
        if !self.vault.unlocked.get() {
            return Vec::new();
        }
        self.metadata
            .with(|m| self.with_unlocked(|keyring| m.findings(keyring)))
            .unwrap_or_default()
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
        let device = self.device();
        let mut metadata = self.metadata.get_untracked();
        self.with_unlocked(|keyring| change(&mut metadata, keyring, now_ms(), &device))
            .ok_or(AppError::Locked)??;
        self.save_then_show_metadata(metadata).await;
        self.sync(SyncKind::Push).await
    }

    /// Seals what an edit wrote (`before` → `after`) when the keyring is
    /// unlocked; otherwise remembers it, to seal at the next unlock if it
    /// is still what was written.
    pub(crate) fn seal_written(&self, before: &Metadata, after: &mut Metadata) {
        let written = after.changed_since(before);
        let sealed = self.with_unlocked(|keyring| {
            for (kind, id) in &written {
                after.seal(*kind, id, keyring, &mut OsRng);
            }
        });
        if sealed.is_none() {
            let digests: Vec<(Kind, String, PinDigest)> = written
                .into_iter()
                .filter_map(|(kind, id)| after.pin_digest(kind, &id).map(|d| (kind, id, d)))
                .collect();
            self.book.unsealed.update_value(|list| {
                list.retain(|(k, i, _)| !digests.iter().any(|(dk, di, _)| dk == k && di == i));
                list.extend(digests);
            });
        }
    }

    /// At unlock: seals the items this browser wrote while locked, if they
    /// are still what it wrote. Returns whether the metadata changed.
    pub(crate) fn seal_written_while_locked(&self) -> bool {
        let written = self.book.unsealed.get_value();
        if written.is_empty() {
            return false;
        }
        let mut metadata = self.metadata.get_untracked();
        let done = self.with_unlocked(|keyring| {
            metadata.seal_if_unchanged(&written, keyring, &mut OsRng);
        });
        if done.is_none() {
            return false;
        }
        self.book.unsealed.set_value(Vec::new());
        self.metadata.set(metadata);
        self.status.metadata_pending.set(true);
        true
    }
}

/// "System “nas1”" and the like, for notices.
pub fn describe(kind: Kind, name: &str) -> String {
    let what = match kind {
        Kind::System => "TrueNAS system",
        Kind::Keypair => "SSH Keypair",
        Kind::Connection => "SSH Connection",
    };
    format!("{what} “{name}”")
}
