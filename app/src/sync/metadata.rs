//! The metadata's replica: this browser's document, its tag and pending
//! state, and the items written while locked (sealed at the next unlock).
//! The server's document is merged item by item (core's
//! `sync::metadata::pull`): what remains only here stays pending, and
//! items a well-behaved Keyhaven could not have written are refused.

use keyhaven_core::{
    api::{BlobName, Tag},
    keyring::Unlocked,
    model::{LockedEdit, Metadata},
    sync as decide,
};
use rand_core::OsRng;

use super::{
    Notice,
    ports::Fetched,
    replica::{Ctx, Outgoing, Replica},
};
use crate::error::AppError;

#[derive(Default)]
pub(crate) struct MetadataReplica {
    pub metadata: Metadata,
    pub tag: Option<Tag>,
    /// This browser has edits the server hasn't acknowledged.
    pub pending: bool,
    /// Items written here while locked, to seal at the next unlock if they
    /// are still what was written, over the user's own values.
    pub unsealed: Vec<LockedEdit>,
}

impl MetadataReplica {
    /// Makes `after` this browser's document, sealing what the edit wrote
    /// (`before` → `after`) over verified values when `unlocked`; otherwise
    /// remembering it, with what it was written over.
    pub(crate) fn write(&mut self, mut after: Metadata, unlocked: Option<&Unlocked>) {
        match unlocked {
            Some(keyring) => after.seal_edit(&self.metadata, keyring, &mut OsRng),
            None => {
                for (kind, id) in after.changed_since(&self.metadata) {
                    let Some(mut edit) = after.locked_edit(&self.metadata, kind, &id) else {
                        continue;
                    };
                    // A second locked edit is made over the first: what
                    // that one was made over still decides.
                    if let Some(first) = self
                        .unsealed
                        .iter()
                        .position(|e| (e.kind, &e.id) == (kind, &id))
                    {
                        edit.over = self.unsealed.remove(first).over;
                    }
                    self.unsealed.push(edit);
                }
            }
        }
        self.metadata = after;
        self.pending = true;
    }

    /// At unlock: seals the items written while locked, if they are still
    /// what was written. Returns whether the document changed.
    pub(crate) fn seal_written_while_locked(&mut self, keyring: &Unlocked) -> bool {
        if self.unsealed.is_empty() {
            return false;
        }
        let written = std::mem::take(&mut self.unsealed);
        // What is left (changed meanwhile, or made over values nobody
        // confirmed) stays unsealed: the notice asks the user to confirm it.
        self.metadata
            .seal_locked_edits(&written, keyring, &mut OsRng);
        self.pending = true;
        true
    }
}

impl Replica for MetadataReplica {
    const NAME: BlobName = BlobName::Metadata;
    type Sent = Metadata;
    // Which deletions the keyring contradicts (`orphaned`).
    const READS_KEYRING: bool = true;

    fn tag(&self) -> Option<&Tag> {
        self.tag.as_ref()
    }

    fn outgoing(&mut self) -> Result<Option<Outgoing<Metadata>>, AppError> {
        Ok(self.pending.then(|| Outgoing {
            bytes: self.metadata.to_json(),
            sent: self.metadata.clone(),
        }))
    }

    fn stored(&mut self, sent: Metadata, tag: Tag) {
        self.tag = Some(tag);
        // An edit made while this write was on its way stays pending.
        if self.metadata == sent {
            self.pending = false;
        }
    }

    fn take_in(
        &mut self,
        server: Option<Fetched>,
        ctx: Ctx<'_>,
        notices: &mut Vec<Notice>,
    ) -> Result<(), AppError> {
        let Some(Fetched { bytes, tag }) = server else {
            // Gone from the server (dropped, or never written): this
            // browser's copy, if it has anything, is written anew, so a
            // fresh browser of the account finds it again.
            self.tag = None;
            self.pending |= self.metadata != Metadata::default();
            return Ok(());
        };
        self.tag = Some(tag);
        let pulled = decide::metadata::pull(&self.metadata, &bytes, ctx.device, ctx.now);
        notices.extend(pulled.refused.into_iter().map(|(kind, id, why)| {
            let name = self.metadata.name(kind, &id).unwrap_or(&id).to_owned();
            Notice::Refused { kind, name, why }
        }));
        notices.extend(pulled.replaced.into_iter().map(Notice::Replaced));
        // A system or keypair deleted while its key is still in the keyring:
        // not Keyhaven's own deletion (it removes the key first). Asked.
        let holds = |entry: &str| ctx.keyring.is_some_and(|k| k.contains(entry));
        let orphaned = decide::metadata::orphaned(&self.metadata, &pulled.merged, holds);
        notices.extend(orphaned.into_iter().map(Notice::Deleted));
        self.pending = pulled.pending;
        self.metadata = pulled.merged;
        Ok(())
    }
}
