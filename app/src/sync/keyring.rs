//! The keyring's replica: this browser's copy, its tag and pending state,
//! the data key while unlocked, and the server's copy when it was not
//! taken (held until unlock, or in conflict). What to do with the server's
//! copy is core's decision (`keyhaven_core::sync::decide`); this carries
//! it out.

use keyhaven_core::{
    api::{BlobName, Tag},
    keyring::{Keyring, Unlocked},
    sync::{self as decide, Conflict, KeyringConflict, Local, Server, ServerCopy, Step},
};
use rand_core::OsRng;

use super::{
    Notice,
    ports::{Blobs, Fetched},
    replica::{Ctx, Outgoing, Replica},
};
use crate::{error::AppError, net::api::ApiError};

pub(crate) struct KeyringReplica {
    /// The stored keyring (ids and name readable; values encrypted).
    pub keyring: Option<Keyring>,
    pub tag: Option<Tag>,
    /// It holds sealed changes the server hasn't acknowledged.
    pub pending: bool,
    /// The data key, in this tab's memory only (zeroized when dropped: on
    /// lock, sign-out or close).
    pub unlocked: Option<Unlocked>,
    /// A newer server copy set aside while locked, until unlock proves it.
    pub held: Option<ServerCopy>,
    /// The server's keyring was not taken; the user decides.
    pub conflict: Option<KeyringConflict>,
    /// The highest revision proven for this account (any keyring id).
    pub highest: u64,
    /// This tab reset (or knowingly dropped) the keyring: another tab's
    /// saved copy of it is not taken back in.
    pub reset_here: bool,
}

impl KeyringReplica {
    pub(crate) fn new(highest: u64) -> Self {
        Self {
            keyring: None,
            tag: None,
            pending: false,
            unlocked: None,
            held: None,
            conflict: None,
            highest,
            reset_here: false,
        }
    }

    /// Remembers a revision proven for this account (written by this
    /// browser and accepted, verified by a merge, or unlocked).
    pub(crate) fn saw_revision(&mut self, revision: u64) {
        self.highest = self.highest.max(revision);
    }

    /// This browser's copy becomes `keyring` (with the server's `tag` for
    /// it, and whether it holds changes the server lacks); whatever
    /// differed on the server is settled by it.
    pub(crate) fn replace(&mut self, keyring: Option<Keyring>, tag: Option<Tag>, pending: bool) {
        self.reset_here = keyring.is_none();
        self.keyring = keyring;
        self.tag = tag;
        self.pending = pending;
        self.held = None;
        self.conflict = None;
    }

    /// Seals the unlocked keyring into this browser's copy, to push.
    pub(crate) fn seal(&mut self) -> Result<(), AppError> {
        let unlocked = self.unlocked.as_mut().ok_or(AppError::Locked)?;
        unlocked.seal(&mut OsRng);
        self.keyring = Some(unlocked.keyring().clone());
        self.pending = true;
        Ok(())
    }

    /// Keeps this browser's copy and tells the user what the server has.
    fn refuse(&mut self, conflict: KeyringConflict) -> AppError {
        if conflict.conflict == Conflict::Replaced
            && let (Some(keyring), Some(tag)) = (&conflict.server, &conflict.server_tag)
        {
            // Unlocking it with its passphrase proves it (see `unlock`).
            self.held = Some(ServerCopy {
                keyring: keyring.clone(),
                tag: tag.clone(),
            });
        }
        let error = AppError::KeyringConflict(conflict.conflict);
        self.conflict = Some(conflict);
        error
    }

    /// Folds the server's copy into the unlocked keyring, verifying it.
    fn merge(&mut self, server: ServerCopy) -> Result<(), AppError> {
        let unlocked = self.unlocked.as_mut().ok_or(AppError::Locked)?;
        let Ok(report) = unlocked.merge(&server.keyring) else {
            let conflict = KeyringConflict::over(Conflict::Replaced, Some(server));
            return Err(self.refuse(conflict));
        };
        // Something of ours the server lacks (an edit not pushed yet, or one
        // it acknowledged and then dropped by serving another browser's
        // fork): the verified merge is kept and pushed over its tag.
        if self.pending || report.kept_ours {
            unlocked.seal(&mut OsRng);
            self.keyring = Some(unlocked.keyring().clone());
            self.pending = true;
        } else {
            self.keyring = Some(server.keyring.clone());
        }
        self.saw_revision(server.keyring.revision());
        self.held = None;
        self.conflict = None;
        self.tag = Some(server.tag);
        Ok(())
    }
}

impl Replica for KeyringReplica {
    const NAME: BlobName = BlobName::Keyring;
    type Sent = u64;
    type Incoming = Fetched;
    type Known = ();

    fn known(&self) {}

    async fn fetch(blobs: &impl Blobs, (): ()) -> Result<Option<Fetched>, ApiError> {
        blobs.get(BlobName::Keyring.as_str()).await
    }

    fn tag(&self) -> Option<&Tag> {
        self.tag.as_ref()
    }

    fn outgoing(&mut self) -> Result<Option<Outgoing<u64>>, AppError> {
        if !self.pending {
            return Ok(None);
        }
        let Some(keyring) = &self.keyring else {
            self.pending = false;
            return Ok(None);
        };
        if let Some(conflict) = &self.conflict {
            // The user settles it first (Restore writes over it).
            return Err(AppError::KeyringConflict(conflict.conflict));
        }
        Ok(Some(Outgoing {
            bytes: keyring.to_bytes(),
            sent: keyring.revision(),
            first: Vec::new(),
        }))
    }

    fn stored(&mut self, revision: u64, tag: Tag) {
        self.tag = Some(tag);
        self.saw_revision(revision);
        // An edit made while this write was on its way stays pending.
        if self.keyring.as_ref().map(Keyring::revision) == Some(revision) {
            self.pending = false;
        }
    }

    fn take_in(
        &mut self,
        server: Option<Fetched>,
        _: Ctx<'_>,
        _: &mut Vec<Notice>,
    ) -> Result<(), AppError> {
        let server = match server {
            None => Server::Missing,
            Some(Fetched { bytes, tag }) => match Keyring::parse(&bytes) {
                Ok(keyring) => Server::Present(ServerCopy { keyring, tag }),
                Err(_) => Server::Unreadable(tag),
            },
        };
        let local = Local {
            keyring: self.keyring.as_ref(),
            stored: self.tag.is_some(),
            pending: self.pending,
            unlocked: self.unlocked.is_some(),
            highest: self.highest,
        };
        match decide::decide(local, server) {
            Step::Keep => {
                self.tag = None;
                Ok(())
            }
            Step::Create => {
                self.tag = None;
                self.pending = true;
                Ok(())
            }
            Step::Take(server) => {
                self.replace(Some(server.keyring), Some(server.tag), false);
                Ok(())
            }
            Step::Hold(server) => {
                self.held = Some(server);
                if self.pending {
                    return Err(AppError::HeldUntilUnlock);
                }
                Ok(())
            }
            Step::Merge(server) => self.merge(server),
            Step::Conflict(conflict) => Err(self.refuse(conflict)),
        }
    }
}
