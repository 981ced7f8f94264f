//! The replicas to and from this browser's saved copy (see `saved`):
//! written whole, read back at start, and merged with what another tab
//! of this browser saved.

use std::sync::Arc;

use keyhaven_core::{keyring::Keyring, model::Metadata};
use rand_core::OsRng;

use super::replicas::Replicas;
use crate::saved::Saved;

impl Replicas {
    /// The copy to save for `user`.
    pub(crate) fn snapshot(&self, user: &str) -> Saved {
        Saved {
            user: user.to_owned(),
            metadata: Some(self.metadata.metadata.to_json()),
            metadata_tag: self.metadata.tag.clone(),
            metadata_parts: self.metadata.parts.clone(),
            metadata_pending: self.metadata.pending,
            keyring: self.keyring.keyring.as_ref().map(Keyring::to_bytes),
            keyring_tag: self.keyring.tag.clone(),
            keyring_pending: self.keyring.pending,
            highest_revision: self.keyring.highest,
            unsealed: self.metadata.unsealed.clone(),
            taken: self.metadata.taken.iter().cloned().collect(),
            superseded: (!self.metadata.taken.is_empty())
                .then(|| self.metadata.superseded.to_json()),
            synced_at: self.synced_at,
            generation: self.generation,
        }
    }

    /// Puts back this browser's copy (before the server answers).
    pub(crate) fn restore(&mut self, saved: Saved) {
        if let Some(metadata) = saved
            .metadata
            .and_then(|b| Metadata::from_saved_json(&b).ok())
        {
            self.metadata.metadata = Arc::new(metadata);
        }
        self.metadata.tag = saved.metadata_tag;
        self.metadata.parts = saved.metadata_parts;
        self.metadata.pending = saved.metadata_pending;
        let keyring = saved.keyring.and_then(|b| Keyring::parse(&b).ok());
        self.keyring.pending = saved.keyring_pending && keyring.is_some();
        self.keyring.keyring = keyring;
        self.keyring.tag = saved.keyring_tag;
        // (Copies saved before the highest revision moved to localStorage.)
        self.keyring.saw_revision(saved.highest_revision);
        self.metadata.unsealed = saved.unsealed;
        // Inserted one by one: collecting into the set would sort, and a
        // sort's code for this one type is kilobytes of the first load.
        self.metadata.taken.clear();
        for taken in saved.taken {
            self.metadata.taken.insert(taken);
        }
        self.metadata.superseded = superseded(saved.superseded);
        self.generation = saved.generation;
        self.synced_at = saved.synced_at;
    }

    /// Merges what another tab of this browser saved: metadata item by
    /// item, the same keyring entry by entry (or its newer revision while
    /// locked), pending flags and items to seal. A keyring this tab
    /// replaced knowingly (reset) stands.
    pub(crate) fn absorb(&mut self, theirs: Saved) {
        if theirs.generation <= self.generation {
            // What this tab wrote or took in already.
            return;
        }
        self.generation = theirs.generation;
        if let Some(metadata) = theirs
            .metadata
            .as_deref()
            .and_then(|b| Metadata::from_saved_json(b).ok())
        {
            let ours = Arc::make_mut(&mut self.metadata.metadata);
            ours.merge(&metadata);
            // Their manifest, when it lists what the merge came to (it is
            // newer than ours); else ours, sealed anew before it's pushed.
            let manifest = std::mem::replace(&mut ours.manifest, metadata.manifest.clone());
            let parts =
                std::mem::replace(&mut ours.part_manifests, metadata.part_manifests.clone());
            if *ours != metadata {
                ours.manifest = manifest;
                ours.part_manifests = parts;
            }
            if theirs.metadata_pending {
                self.metadata.pending = true;
            }
        }
        let their_keyring = theirs
            .keyring
            .as_deref()
            .and_then(|b| Keyring::parse(b).ok());
        let k = &mut self.keyring;
        match (&k.keyring, their_keyring) {
            (None, Some(keyring)) if !k.reset_here => {
                k.keyring = Some(keyring);
                k.tag = theirs.keyring_tag;
                k.pending = theirs.keyring_pending;
            }
            (Some(ours), Some(keyring)) if ours.id() == keyring.id() && *ours != keyring => {
                if let Some(unlocked) = &mut k.unlocked {
                    if unlocked
                        .merge(&keyring)
                        .is_ok_and(|report| !report.taken.is_empty())
                    {
                        unlocked.seal(&mut OsRng);
                        k.keyring = Some(unlocked.keyring().clone());
                        k.pending = true;
                    }
                } else if keyring.revision() > ours.revision() && !k.pending {
                    k.keyring = Some(keyring);
                    k.tag = theirs.keyring_tag;
                    k.pending = theirs.keyring_pending;
                }
            }
            _ => {}
        }
        k.saw_revision(theirs.highest_revision);
        self.metadata.taken.extend(theirs.taken);
        let theirs_superseded = superseded(theirs.superseded);
        for (kind, id) in theirs_superseded.every_item() {
            if !self.metadata.superseded.knows(kind, &id)
                && let Some(item) = theirs_superseded.snapshot(kind, &id)
            {
                self.metadata.superseded.insert(&id, &item);
            }
        }
        for item in theirs.unsealed {
            let known = self
                .metadata
                .unsealed
                .iter()
                .any(|e| (e.kind, &e.id) == (item.kind, &item.id));
            if !known {
                self.metadata.unsealed.push(item);
            }
        }
    }
}

fn superseded(saved: Option<Vec<u8>>) -> Metadata {
    saved
        .and_then(|b| Metadata::from_saved_json(&b).ok())
        .unwrap_or_default()
}
