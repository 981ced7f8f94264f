//! The server's keyring, taken in as core decides (`keyhaven_core::sync::
//! decide`), and the user's way out of a conflict: Restore from this
//! browser, or knowingly take the server's copy.

use keyhaven_core::{
    keyring::Keyring,
    sync::{self as decide, Conflict, Local, Server, Step},
};
use leptos::prelude::*;

use crate::{
    error::AppError,
    net::api::{self, ApiError, KEYRING},
    saved,
    state::{AfterMerge, AppState, KeyringConflict},
    sync::SyncKind,
};

impl AppState {
    /// Takes in the server's keyring (`None`: it has none) as core decides.
    pub(super) fn integrate_keyring(
        &self,
        server: Option<(Vec<u8>, String)>,
    ) -> Result<(), AppError> {
        let (remote, tag) = match server {
            Some((bytes, tag)) => (Some(Keyring::parse(&bytes)), Some(tag)),
            None => (None, None),
        };
        let local = self.vault.keyring.get_untracked();
        let server = match &remote {
            None => Server::Missing,
            Some(Err(_)) => Server::Unreadable,
            Some(Ok(keyring)) => Server::Present(keyring),
        };
        let step = decide::decide(
            Local {
                keyring: local.as_ref(),
                stored: self.book.keyring_tag.get_untracked().is_some(),
                pending: self.status.keyring_pending.get_untracked(),
                unlocked: self.is_unlocked(),
                highest: self.book.highest.get_value(),
            },
            server,
        );
        let remote = remote.and_then(Result::ok);
        match step {
            Step::Keep => {
                self.book.keyring_tag.set(None);
                Ok(())
            }
            Step::Create => {
                self.book.keyring_tag.set(None);
                self.status.keyring_pending.set(true);
                Ok(())
            }
            Step::Take => {
                let tag = tag.expect("a present keyring has a tag");
                self.replace_keyring(remote, Some(tag), false);
                Ok(())
            }
            Step::Hold => {
                self.book
                    .held
                    .set(Some((remote.expect("present"), tag.expect("present"))));
                if self.status.keyring_pending.get_untracked() {
                    return Err(AppError::HeldUntilUnlock);
                }
                Ok(())
            }
            Step::Merge => {
                let remote = remote.expect("present");
                let tag = tag.expect("present");
                let pending = self.status.keyring_pending.get_untracked();
                let after = if pending {
                    AfterMerge::SealToPush
                } else {
                    AfterMerge::Keep
                };
                match self.merge_unlocked(&remote, after) {
                    Ok(merged) => {
                        self.book.keyring_tag.set(Some(tag));
                        self.saw_revision(&remote);
                        self.book.held.set(None);
                        self.vault.conflict.set(None);
                        match merged {
                            // Something of ours the server lacks: to push.
                            Some(view) if pending => self.vault.keyring.set(Some(view)),
                            _ => {
                                self.status.keyring_pending.set(false);
                                self.vault.keyring.set(Some(remote));
                            }
                        }
                        Ok(())
                    }
                    Err(_) => self.keyring_conflict(Conflict::Replaced, Some(remote), Some(tag)),
                }
            }
            Step::Conflict(conflict) => self.keyring_conflict(conflict, remote, tag),
        }
    }

    /// Keeps this browser's copy and tells the user what the server has.
    pub(super) fn keyring_conflict(
        &self,
        conflict: Conflict,
        server: Option<Keyring>,
        server_tag: Option<String>,
    ) -> Result<(), AppError> {
        if conflict == Conflict::Replaced
            && let (Some(keyring), Some(tag)) = (&server, &server_tag)
        {
            // Unlocking it with its passphrase proves it (see `unlock`).
            self.book.held.set(Some((keyring.clone(), tag.clone())));
        }
        let message = conflict.message();
        self.vault.conflict.set(Some(KeyringConflict {
            conflict,
            server,
            server_tag,
        }));
        Err(AppError::KeyringConflict(message))
    }

    /// "Restore from this browser": writes this browser's copy over what
    /// the server has (or in its place, when it has none).
    pub async fn restore_keyring(&self) -> Result<(), AppError> {
        let Some(conflict) = self.vault.conflict.get_untracked() else {
            return Ok(());
        };
        let Some(local) = self.vault.keyring.get_untracked() else {
            return Err(AppError::NothingToRestore);
        };
        {
            let lock = self.book.sync_lock.get_value();
            let _one_at_a_time = lock.lock().await;
            let tag =
                api::put_blob(KEYRING, &local.to_bytes(), conflict.server_tag.as_deref()).await;
            match tag {
                Ok(tag) => {
                    self.book.keyring_tag.set(Some(tag));
                    self.status.keyring_pending.set(false);
                    self.saw_revision(&local);
                    self.book.held.set(None);
                    self.vault.conflict.set(None);
                    self.status.sync_problem.set(None);
                }
                // Changed again meanwhile: look again (below).
                Err(ApiError::Conflict { .. }) => {}
                Err(other) => return Err(other.into()),
            }
            // Saved before the lock is let go: a sign-out waiting for it
            // must find this done, not racing its clearing of the copy.
            self.persist().await;
        }
        self.sync(SyncKind::PullThenPush).await
    }

    /// Knowingly takes what the server has: no keyring (it was reset), or
    /// an older copy. (A replaced keyring is adopted by unlocking it.)
    pub async fn adopt_server_keyring(&self) {
        let Some(conflict) = self.vault.conflict.get_untracked() else {
            return;
        };
        if !conflict.conflict.can_adopt() {
            return;
        }
        self.lock();
        match (conflict.server, conflict.server_tag) {
            (Some(keyring), Some(tag)) => {
                // The user chose this revision: it is the new baseline.
                self.book.highest.set_value(keyring.revision());
                if let Some(user) = self.user() {
                    saved::remember_highest_revision(&user, keyring.revision());
                }
                self.replace_keyring(Some(keyring), Some(tag), false);
            }
            _ => self.replace_keyring(None, None, false),
        }
        self.status.sync_problem.set(None);
        self.persist().await;
    }

    /// Remembers a revision proven for this account (written by this
    /// browser and accepted, verified by a merge, or unlocked), across
    /// sign-out and keyring ids.
    pub(crate) fn saw_revision(&self, keyring: &Keyring) {
        let highest = self.book.highest.get_value().max(keyring.revision());
        self.book.highest.set_value(highest);
        if let Some(user) = self.user() {
            saved::remember_highest_revision(&user, highest);
        }
    }
}
