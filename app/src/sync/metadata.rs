//! The metadata's replica: this browser's document, its tag and pending
//! state, the items written while locked (sealed at the next unlock), and
//! the highest manifest revision proven for the account. The server's
//! document is merged item by item (core's `sync::metadata::pull`): what
//! remains only here stays pending, items a well-behaved Keyhaven could
//! not have written are refused, and with the keyring unlocked, nothing is
//! taken as the user's beyond what the document's manifest proves
//! (checked again at unlock for what came in while locked).

use std::collections::BTreeSet;

use keyhaven_core::{
    api::{BlobName, Tag},
    keyring::Unlocked,
    model::{Kind, LockedEdit, Metadata},
    sync::{self as decide, metadata::Proof},
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
    /// The highest manifest revision proven for the account (any keyring):
    /// an older manifest is a rollback.
    pub proven: u64,
    /// The manifest this browser sealed last, and its revision: proven
    /// once the server stores it.
    sealed: Option<(String, u64)>,
    /// Items taken in from the server while locked (no manifest could be
    /// checked), to check at unlock ...
    pub taken: BTreeSet<(Kind, String)>,
    /// ... and this browser's own versions they replaced, as they were:
    /// its last verified copy, for Restore mine.
    pub superseded: Metadata,
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

    /// Lists the document in a manifest sealed under `keyring` (unless
    /// the one it has lists it already).
    pub(crate) fn seal_manifest(&mut self, keyring: &Unlocked) {
        if let Some(revision) =
            decide::metadata::seal_manifest(&mut self.metadata, keyring, self.proven, &mut OsRng)
            && let Some(manifest) = &self.metadata.manifest
        {
            self.sealed = Some((manifest.clone(), revision));
        }
    }

    /// At unlock: what came in while locked, checked against the document's
    /// manifest, beside the versions of this browser's own it replaced
    /// (what this browser wrote itself is its own, whatever the manifest
    /// it carries). Returns whether the document changed.
    pub(crate) fn prove_at_unlock(
        &mut self,
        keyring: &Unlocked,
        notices: &mut Vec<Notice>,
    ) -> bool {
        let taken = std::mem::take(&mut self.taken);
        let ours = std::mem::take(&mut self.superseded);
        if taken.is_empty() {
            return false;
        }
        let mut proof = decide::metadata::prove(&self.metadata, keyring, self.proven);
        proof.distrusted.retain(|item| taken.contains(item));
        // (Listed items the server withheld were told of, if any, when
        // this browser could check; the merge kept its own.)
        proof.withheld.clear();
        let before = self.metadata.clone();
        decide::metadata::distrust(&mut self.metadata, &proof, &ours, keyring);
        if proof.unproven.is_none() || !proof.distrusted.is_empty() {
            Self::heed(&mut self.proven, &proof, &before, notices);
        }
        let distrusted = |kind: Kind, id: &str| proof.distrusted.contains(&(kind, id.to_owned()));
        for orphaned in decide::metadata::orphaned(&ours, &self.metadata, |_| false, distrusted) {
            let told = notices
                .iter()
                .any(|n| matches!(n, Notice::Deleted(o) if o.id == orphaned.id));
            if !told {
                notices.push(Notice::Deleted(orphaned));
            }
        }
        let changed = self.metadata != before;
        self.pending |= changed || proof.stale();
        changed
    }

    /// Remembers what a take-in while locked replaced (`taken`, as the
    /// merge reports it), for [`Self::prove_at_unlock`].
    fn remember_taken(&mut self, taken: &[(Kind, String)]) {
        for (kind, id) in taken.iter().cloned() {
            if !self.superseded.knows(kind, &id)
                && let Some(ours) = self.metadata.snapshot(kind, &id)
            {
                self.superseded.insert(&id, &ours);
            }
            self.taken.insert((kind, id));
        }
    }

    /// What a manifest's proof means here: a higher proven revision, or
    /// notices of what it doesn't prove.
    /// (`ours`: this browser's copy, for what the server withheld.)
    fn heed(proven: &mut u64, proof: &Proof, ours: &Metadata, notices: &mut Vec<Notice>) {
        if let Some(revision) = proof.revision {
            *proven = (*proven).max(revision);
        }
        if let Some(why) = proof.unproven {
            notices.push(Notice::Unproven(why));
        }
        let withheld = proof
            .withheld
            .iter()
            .filter(|(kind, id)| ours.name(*kind, id).is_none())
            .count();
        if withheld > 0 {
            notices.push(Notice::Withheld(withheld));
        }
    }

    /// At unlock: seals the items written while locked, if they are still
    /// what was written, as a new write of each (stamped `now` by `by`), so
    /// the sealed version wins every merge with a copy of the unsealed one
    /// (which another browser may hold with a seal of its own beside it).
    /// Returns whether the document changed.
    pub(crate) fn seal_written_while_locked(
        &mut self,
        keyring: &Unlocked,
        now: u64,
        by: &str,
    ) -> bool {
        if self.unsealed.is_empty() {
            return false;
        }
        let written = std::mem::take(&mut self.unsealed);
        // What is left (changed meanwhile, or made over values nobody
        // confirmed) stays unsealed: the notice asks the user to confirm it.
        let left = self
            .metadata
            .seal_locked_edits(&written, keyring, &mut OsRng);
        let sealed: Vec<_> = written
            .into_iter()
            .map(|edit| (edit.kind, edit.id))
            .filter(|item| !left.contains(item))
            .collect();
        self.metadata.reseal(&sealed, keyring, now, by, &mut OsRng);
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
        if let Some((manifest, revision)) = &self.sealed
            && sent.manifest.as_ref() == Some(manifest)
        {
            self.proven = self.proven.max(*revision);
        }
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
        let unlocked = ctx.unlocked.map(|keyring| (keyring, self.proven));
        let pulled = decide::metadata::pull(&self.metadata, &bytes, ctx.device, ctx.now, unlocked);
        match &pulled.proof {
            Some(proof) => Self::heed(&mut self.proven, proof, &self.metadata, notices),
            None => self.remember_taken(&pulled.taken),
        }
        notices.extend(pulled.refused.into_iter().map(|(kind, id, why)| {
            let name = self.metadata.name(kind, &id).unwrap_or(&id).to_owned();
            Notice::Refused { kind, name, why }
        }));
        // (An unproven deletion is told below, with Restore.)
        let replaced = pulled.replaced.into_iter();
        notices.extend(
            replaced
                .filter(|r| r.proven || !r.deleted)
                .map(Notice::Replaced),
        );
        // A system or keypair deleted while its key is still in the keyring:
        // not Keyhaven's own deletion (it removes the key first). Asked.
        let holds = |entry: &str| ctx.keyring.is_some_and(|k| k.contains(entry));
        let distrusted = |kind: Kind, id: &str| {
            pulled
                .proof
                .as_ref()
                .is_some_and(|p| p.distrusted.contains(&(kind, id.to_owned())))
        };
        let orphaned =
            decide::metadata::orphaned(&self.metadata, &pulled.merged, holds, distrusted);
        notices.extend(orphaned.into_iter().map(Notice::Deleted));
        self.pending = pulled.pending;
        self.metadata = pulled.merged;
        Ok(())
    }
}
