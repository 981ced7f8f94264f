//! The metadata's replica: this browser's document, its tag and pending
//! state, the items written while locked (sealed at the next unlock), and
//! the highest manifest revision proven for the account. The server's
//! document is merged item by item (core's `sync::metadata::pull`): what
//! remains only here stays pending, items a well-behaved Keyhaven could
//! not have written are refused, and with the keyring unlocked, nothing is
//! taken as the user's beyond what the document's manifest proves
//! (checked again at unlock for what came in while locked).
//!
//! On the server the document is a top blob and its parts (core's
//! `sync::stored`): a pull fetches the parts whose names changed since
//! this browser last saw them, and proves and merges only those; a push
//! writes the parts its edits changed, then the top over the tag it holds,
//! then deletes the parts the top no longer names.

use std::{collections::BTreeSet, sync::Arc};

use keyhaven_core::{
    api::{BlobName, Tag},
    keyring::Unlocked,
    model::{ItemDigests, Kind, LockedEdit, Metadata, PartMap, PartSet},
    sync::{
        self as decide,
        metadata::Proof,
        stored::{self, KnownPart, Read},
    },
};
use rand_core::OsRng;

use super::{
    Notice,
    ports::{Blobs, Fetched},
    replica::{Ctx, Outgoing, Replica},
};
use crate::{error::AppError, net::api::ApiError};

/// Parts fetched at once (a fresh browser of a large fleet fetches all).
const FETCHES_AT_ONCE: usize = 8;

/// Times a pull starts over when a part its top named is gone (a newer
/// top replaced it meanwhile) before taking the part as withheld.
const TRIES: usize = 3;

/// The server's document as fetched.
pub(crate) struct Incoming {
    tag: Tag,
    /// `None`: unreadable.
    read: Option<Read>,
    /// The parts fetched (those whose names this browser didn't know):
    /// part, name, tag, and its items and the items of other parts it
    /// held (`None`: unreadable).
    fetched: Vec<(u8, String, Tag, Option<ReadPart>)>,
}

/// A part as read: its items, and the items of other parts it held.
type ReadPart = (Metadata, Vec<(Kind, String)>);

/// What a write of the document sent.
pub(crate) struct Sent {
    doc: Arc<Metadata>,
    parts: PartMap<KnownPart>,
}

#[derive(Default)]
pub(crate) struct MetadataReplica {
    /// Shared with what the page shows (`AppState::metadata`) and with a
    /// write on its way, and copied only when changed: at 1,000 systems
    /// the document is 8 MB, and telling whether it changed was a
    /// comparison of all of it.
    pub metadata: Arc<Metadata>,
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
    /// The parts the server's top named when this browser last took it in
    /// or wrote it.
    pub parts: PartMap<KnownPart>,
    /// Parts written for a write not yet stored, with their tags.
    written: Vec<(String, Tag)>,
    /// Parts no top names any more, to delete.
    unnamed: Vec<(String, Tag)>,
    /// The document's item digests, computed while locked for the proof
    /// at unlock ([`Self::digest_ahead`]).
    ahead: Option<ItemDigests>,
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
        self.metadata = Arc::new(after);
        self.pending = true;
    }

    /// Lists the document in a manifest sealed under `keyring` (unless
    /// the one it has lists it already).
    pub(crate) fn seal_manifest(&mut self, keyring: &Unlocked) {
        if let Some(revision) = decide::metadata::seal_manifest(
            Arc::make_mut(&mut self.metadata),
            keyring,
            self.proven,
            &mut OsRng,
        ) && let Some(manifest) = &self.metadata.manifest
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
        let mut proof = match self.ahead.take() {
            Some(ahead) => {
                decide::metadata::prove_known(&self.metadata, keyring, self.proven, &ahead)
            }
            None => decide::metadata::prove(&self.metadata, keyring, self.proven),
        };
        proof.distrusted.retain(|item| taken.contains(item));
        // (Listed items the server withheld were told of, if any, when
        // this browser could check; the merge kept its own.)
        proof.withheld.clear();
        let before = Arc::clone(&self.metadata);
        // (Only a distrusted item changes: the document is copied only then.)
        if !proof.distrusted.is_empty() {
            let doc = Arc::make_mut(&mut self.metadata);
            decide::metadata::distrust(doc, &proof, &ours, keyring);
        }
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
        let changed = before != self.metadata;
        self.pending |= changed || proof.stale();
        changed
    }

    /// While locked, with items taken in to prove at unlock: their
    /// digests, computed now (they need no key) so unlocking doesn't.
    pub(crate) fn digest_ahead(&mut self) {
        let done = self
            .ahead
            .as_ref()
            .is_some_and(|a| a.are_of(&self.metadata));
        if !self.taken.is_empty() && !done {
            self.ahead = Some(ItemDigests::of(&self.metadata));
        }
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
        let doc = Arc::make_mut(&mut self.metadata);
        let left = doc.seal_locked_edits(&written, keyring, &mut OsRng);
        let sealed: Vec<_> = written
            .into_iter()
            .map(|edit| (edit.kind, edit.id))
            .filter(|item| !left.contains(item))
            .collect();
        doc.reseal(&sealed, keyring, now, by, &mut OsRng);
        self.pending = true;
        true
    }
}

impl Replica for MetadataReplica {
    const NAME: BlobName = BlobName::Metadata;
    type Sent = Sent;
    type Incoming = Incoming;
    type Known = PartMap<String>;
    // Which deletions the keyring contradicts (`orphaned`).
    const READS_KEYRING: bool = true;

    fn tag(&self) -> Option<&Tag> {
        self.tag.as_ref()
    }

    fn outgoing(&mut self) -> Result<Option<Outgoing<Sent>>, AppError> {
        if !self.pending {
            return Ok(None);
        }
        let (top, parts) = stored::store(&self.metadata);
        let mut first = Vec::new();
        let mut known = PartMap::new();
        for (part, stored) in parts {
            let had = self.parts.get(part).filter(|k| k.name == stored.name);
            if had.is_none() {
                first.push((stored.name.clone(), stored.bytes));
            }
            let tag = had.and_then(|k| k.tag.clone());
            known.insert(
                part,
                KnownPart {
                    name: stored.name,
                    tag,
                    manifest: stored.manifest,
                },
            );
        }
        Ok(Some(Outgoing {
            bytes: top.to_json(),
            sent: Sent {
                doc: Arc::clone(&self.metadata),
                parts: known,
            },
            first,
        }))
    }

    fn wrote_first(&mut self, name: String, tag: Tag) {
        self.written.push((name, tag));
    }

    fn stored(&mut self, sent: Sent, tag: Tag) {
        self.tag = Some(tag);
        if let Some((manifest, revision)) = &self.sealed
            && sent.doc.manifest.as_ref() == Some(manifest)
        {
            self.proven = self.proven.max(*revision);
        }
        let mut parts = sent.parts;
        for (name, tag) in std::mem::take(&mut self.written) {
            match parts.values_mut().find(|k| k.name == name) {
                Some(known) => known.tag = Some(tag),
                // Written for an attempt that lost to another write.
                None => self.unnamed.push((name, tag)),
            }
        }
        for (part, old) in std::mem::replace(&mut self.parts, parts) {
            let named = self.parts.get(part).is_some_and(|k| k.name == old.name);
            if let (false, Some(tag)) = (named, old.tag) {
                self.unnamed.push((old.name, tag));
            }
        }
        // An edit made while this write was on its way stays pending.
        // (`Arc`'s comparison looks at the pointer first.)
        if self.metadata == sent.doc {
            self.pending = false;
        }
    }

    fn garbage(&mut self) -> Vec<(String, Tag)> {
        std::mem::take(&mut self.unnamed)
    }

    fn known(&self) -> PartMap<String> {
        self.parts
            .iter()
            .map(|(part, known)| (part, known.name.clone()))
            .collect()
    }

    async fn fetch(
        blobs: &impl Blobs,
        known: PartMap<String>,
    ) -> Result<Option<Incoming>, ApiError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let Some(Fetched { bytes, tag }) = blobs.get(BlobName::Metadata.as_str()).await? else {
                return Ok(None);
            };
            let read = Read::from_json(&bytes).ok();
            let Some(Read::Top(top)) = &read else {
                return Ok(Some(Incoming {
                    tag,
                    read,
                    fetched: Vec::new(),
                }));
            };
            let wanted: Vec<_> = top
                .parts
                .iter()
                .filter(|(part, name)| known.get(*part) != Some(*name))
                .collect();
            let mut fetched = Vec::with_capacity(wanted.len());
            let mut gone = false;
            for batch in wanted.chunks(FETCHES_AT_ONCE) {
                let gets = batch.iter().map(|(_, name)| blobs.get(name));
                for ((part, name), got) in batch.iter().zip(futures::future::join_all(gets).await) {
                    match got? {
                        // Read as it comes, a batch at a time, the browser
                        // drawing between batches: a fleet's 256 parts (8 MB)
                        // read at once were one long task.
                        Some(Fetched { bytes, tag }) => {
                            let read = stored::read_part(*part, &bytes).ok();
                            fetched.push((*part, (*name).clone(), tag, read));
                        }
                        None => gone = true,
                    }
                }
            }
            // A part gone: most likely a newer top replaced this one
            // meanwhile; look again, and after that take it as withheld.
            if !gone || tries >= TRIES {
                return Ok(Some(Incoming { tag, read, fetched }));
            }
        }
    }

    fn take_in(
        &mut self,
        server: Option<Incoming>,
        ctx: Ctx<'_>,
        notices: &mut Vec<Notice>,
    ) -> Result<(), AppError> {
        let Some(Incoming { tag, read, fetched }) = server else {
            // Gone from the server (dropped, or never written): this
            // browser's copy, if it has anything, is written anew, so a
            // fresh browser of the account finds it again.
            self.tag = None;
            self.parts = PartMap::new();
            self.pending |= *self.metadata != Metadata::default();
            return Ok(());
        };
        self.tag = Some(tag);
        let (server, present) = match read {
            None => (None, None),
            Some(Read::Whole(doc)) => {
                self.parts = PartMap::new();
                (Some(doc), None)
            }
            Some(Read::Top(top)) => {
                let (doc, present) = self.assemble(&top, fetched, notices);
                (Some(doc), Some(present))
            }
        };
        let unlocked = ctx.unlocked.map(|keyring| (keyring, self.proven));
        let pulled = decide::metadata::pull_document(
            &self.metadata,
            server,
            present.as_ref(),
            ctx.device,
            ctx.now,
            unlocked,
        );
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
        // (Pending stays: an edit in a part this pull didn't fetch is still
        // to be written.)
        self.pending = pulled.pending || (present.is_some() && self.pending);
        // The same document kept, when nothing changed: what shows it and
        // the digests computed ahead know it by its pointer.
        if *self.metadata != pulled.merged {
            self.metadata = Arc::new(pulled.merged);
        }
        Ok(())
    }
}

impl MetadataReplica {
    /// The server's document from its top: the parts fetched now, and the
    /// manifests of those this browser knew (`present`: the parts whose
    /// items are in it, including those the top names and the server
    /// lacks, and those it no longer names).
    fn assemble(
        &mut self,
        top: &stored::Top,
        mut fetched: Vec<(u8, String, Tag, Option<ReadPart>)>,
        notices: &mut Vec<Notice>,
    ) -> (Metadata, PartSet) {
        let mut doc = Metadata {
            manifest: top.manifest.clone(),
            ..Metadata::default()
        };
        let mut present: PartSet = self
            .parts
            .keys()
            .filter(|part| !top.parts.contains_key(*part))
            .collect();
        let mut parts = PartMap::new();
        for (part, name) in top.parts.iter() {
            let here = fetched.iter().position(|(p, ..)| *p == part);
            let known = match here.map(|i| fetched.swap_remove(i)) {
                Some((_, name, tag, read)) => {
                    present.insert(part);
                    // An unreadable part counts as withheld, and is
                    // fetched again next time.
                    let Some((items, misplaced)) = read else {
                        continue;
                    };
                    notices.extend(misplaced.into_iter().map(|(kind, id)| Notice::Refused {
                        kind,
                        name: id,
                        why: "it was stored in another item's part of the document",
                    }));
                    let manifest = items.manifest.clone();
                    doc.extend_with(items);
                    KnownPart {
                        name,
                        tag: Some(tag),
                        manifest,
                    }
                }
                None => match self.parts.get(part).filter(|k| k.name == *name) {
                    Some(known) => known.clone(),
                    None => {
                        present.insert(part);
                        continue;
                    }
                },
            };
            if let Some(manifest) = &known.manifest {
                doc.part_manifests.insert(part, manifest.clone());
            }
            parts.insert(part, known);
        }
        self.parts = parts;
        (doc, present)
    }
}
