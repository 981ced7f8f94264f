//! Taking in the server's metadata document: refuse what a well-behaved
//! Keyhaven could not have written, take its items only as far as its
//! manifest proves them, merge item by item, and say what is left to push,
//! which of this device's edits lost to later ones, and which deletions
//! nobody proved.

use std::{collections::BTreeSet, sync::Arc};

use rand_core::CryptoRngCore;

use crate::{
    keyring::{Unlocked, api_key_id, ssh_private_key_id},
    model::{
        Departure, ItemDigests, Kind, Manifest, Metadata, PartSet, Replaced, Snapshot, part_of,
    },
};

/// What taking in the server's copy came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// This browser's copy merged with the server's.
    pub merged: Metadata,
    /// The server lacks something of the merged copy, or its manifest is
    /// missing, old or doesn't list it as it is: push it.
    pub pending: bool,
    /// The server's items that were refused, and why.
    pub refused: Vec<(Kind, String, &'static str)>,
    /// This device's edits that lost to later, proven ones made elsewhere.
    pub replaced: Vec<Replaced>,
    /// What the server's manifest proved (`None`: locked, nothing checked).
    pub proof: Option<Proof>,
    /// The items whose version here is now the server's.
    pub taken: Vec<(Kind, String)>,
}

/// What a document's manifest proves of it, under the unlocked keyring.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proof {
    /// The manifest's revision, when it opened and is not older than the
    /// highest proven for the account: the new highest.
    pub revision: Option<u64>,
    /// Why the manifest proves nothing, when it doesn't.
    pub unproven: Option<NoProof>,
    /// Items whose seal proves nothing: not as the manifest lists them.
    pub distrusted: BTreeSet<(Kind, String)>,
    /// Items the manifest lists that the document lacks.
    pub withheld: Vec<(Kind, String)>,
}

/// Why a document's manifest proves nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoProof {
    /// None, or one this keyring did not seal (forged, cut, or sealed
    /// under a data key this browser hasn't unlocked).
    Missing,
    /// Older than the highest revision proven for the account: an old
    /// document served again.
    Older {
        /// The revision it has.
        shown: u64,
        /// The highest proven.
        proven: u64,
    },
}

impl Proof {
    /// Whether the document should be written again with a new manifest.
    pub fn stale(&self) -> bool {
        self.revision.is_none() || !self.distrusted.is_empty() || !self.withheld.is_empty()
    }
}

/// What `doc`'s manifest proves of it, given the highest manifest revision
/// proven for the account (`0`: none ever, so a document from before
/// manifests is taken on its items' seals, and written back with one).
pub fn prove(doc: &Metadata, keyring: &Unlocked, proven: u64) -> Proof {
    prove_parts(doc, keyring, proven, None)
}

/// [`prove`] of a document that holds only the parts in `present` (the
/// ones fetched: the others were proven when they were), or all of them.
pub fn prove_parts(
    doc: &Metadata,
    keyring: &Unlocked,
    proven: u64,
    present: Option<&PartSet>,
) -> Proof {
    prove_by(doc, keyring, proven, present, None)
}

/// [`prove`] with the items' digests computed ahead (while locked), when
/// they are `doc`'s.
pub fn prove_known(
    doc: &Arc<Metadata>,
    keyring: &Unlocked,
    proven: u64,
    known: &ItemDigests,
) -> Proof {
    prove_by(doc, keyring, proven, None, Some((doc, known)))
}

fn prove_by(
    doc: &Metadata,
    keyring: &Unlocked,
    proven: u64,
    present: Option<&PartSet>,
    known: Option<(&Arc<Metadata>, &ItemDigests)>,
) -> Proof {
    let opened = doc.manifest.as_ref().map(|_| doc.open_manifest(keyring));
    let (mut manifest, revision, unproven) = match opened {
        None if proven == 0 => return Proof::default(),
        Some(Ok(m)) if m.revision >= proven => {
            let revision = m.revision;
            (m, Some(revision), None)
        }
        Some(Ok(m)) => (
            Manifest::default(),
            None,
            Some(NoProof::Older {
                shown: m.revision,
                proven,
            }),
        ),
        None | Some(Err(_)) => (Manifest::default(), None, Some(NoProof::Missing)),
    };
    if let Some(present) = present {
        manifest
            .items
            .retain(|(kind, id), _| present.contains(part_of(*kind, id)));
    }
    let mut proof = Proof {
        revision,
        unproven,
        ..Proof::default()
    };
    let departures = match known {
        Some((doc, known)) => manifest.departures_of(doc, known),
        None => manifest.departures(doc),
    };
    for (kind, id, departure) in departures {
        match departure {
            Departure::Missing => proof.withheld.push((kind, id)),
            _ => {
                proof.distrusted.insert((kind, id));
            }
        }
    }
    proof
}

/// Takes away the seals `proof` doesn't stand behind (see
/// [`Metadata::distrust`]; `ours` is this browser's copy).
pub fn distrust(doc: &mut Metadata, proof: &Proof, ours: &Metadata, keyring: &Unlocked) {
    for (kind, id) in &proof.distrusted {
        doc.distrust(*kind, id, ours, keyring);
    }
}

/// Seals `doc`'s manifest as it is now, at the revision after `proven`,
/// unless the one it has already lists it so; returns the revision.
/// (`None`: no revision is left, and the document keeps the one it has.)
pub fn seal_manifest(
    doc: &mut Metadata,
    keyring: &Unlocked,
    proven: u64,
    rng: &mut impl CryptoRngCore,
) -> Option<u64> {
    let revision = Manifest::next_revision(proven)?;
    doc.seal_manifests(keyring, revision, rng);
    Some(revision)
}

/// Merges the server's document (`bytes`) into `local`. An unreadable
/// document changes nothing here and is replaced by this browser's copy.
/// With the keyring unlocked (and the highest manifest revision proven for
/// the account), the server's items are taken only as far as its manifest
/// proves them.
pub fn pull(
    local: &Metadata,
    bytes: &[u8],
    device: &str,
    now_ms: u64,
    unlocked: Option<(&Unlocked, u64)>,
) -> Pulled {
    pull_document(
        local,
        Metadata::from_json(bytes).ok(),
        None,
        device,
        now_ms,
        unlocked,
    )
}

/// [`pull`] of a document already read (`None`: it couldn't be), as the
/// app assembles it from its stored parts: with `present`, it holds only
/// those parts' items (the others unchanged since this browser took them
/// in), and the manifest of every part.
pub fn pull_document(
    local: &Metadata,
    server: Option<Metadata>,
    present: Option<&PartSet>,
    device: &str,
    now_ms: u64,
    unlocked: Option<(&Unlocked, u64)>,
) -> Pulled {
    let Some(server) = server else {
        return Pulled {
            merged: local.clone(),
            pending: true,
            refused: Vec::new(),
            replaced: Vec::new(),
            proof: None,
            taken: Vec::new(),
        };
    };
    let mut remote = server.clone();
    let refused = remote.refuse_invalid(now_ms);
    let proof = unlocked.map(|(keyring, proven)| {
        let proof = prove_parts(&remote, keyring, proven, present);
        distrust(&mut remote, &proof, local, keyring);
        proof
    });
    let mut merged = local.clone();
    let report = merged.merge(&remote);
    // The server's manifest goes with its items; this browser's next
    // write seals its own (a locked one carries the server's along).
    merged.manifest = server.manifest.clone();
    merged.part_manifests = server.part_manifests.clone();
    let distrusted = |kind: Kind, id: &str| {
        proof
            .as_ref()
            .is_some_and(|p| p.distrusted.contains(&(kind, id.to_owned())))
    };
    Pulled {
        pending: match present {
            None => merged != server,
            // (The merge holds every item the server sent.)
            Some(present) => merged.has_beyond(&server, present),
        } || !refused.is_empty()
            || proof.as_ref().is_some_and(Proof::stale),
        merged,
        refused,
        // An unproven version that won is not called a later edit made
        // elsewhere: it may be an old one served again.
        replaced: report
            .replaced
            .into_iter()
            .filter(|r| r.by == device)
            .map(|r| Replaced {
                proven: !distrusted(r.kind, &r.id),
                ..r
            })
            .collect(),
        proof,
        taken: report.taken,
    }
}

/// A deletion taken in from the server without proof: a system or
/// keypair gone from the document while its API key or private key is
/// still in the keyring (Keyhaven deletes the keyring entry first, and
/// pushes the keyring first, so a real deletion made elsewhere comes with
/// the entry gone), or any item whose deletion the manifest doesn't list.
/// The user is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphaned {
    /// The item's id.
    pub id: String,
    /// Its name as this browser had it.
    pub name: String,
    /// The item as this browser had it, to put back.
    pub snapshot: Snapshot,
    /// What gives the deletion away.
    pub why: Unproven,
}

/// What gives an unproven deletion away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unproven {
    /// The item's key is still in the keyring.
    KeyInKeyring,
    /// The manifest doesn't list the deletion.
    NotListed,
}

/// The items live in `before` and deleted in `after` whose deletion is
/// unproven: their keyring entry `holds` (the newest keyring this browser
/// has, proven or held) still has it, or `distrusted` says the manifest
/// doesn't list it.
pub fn orphaned(
    before: &Metadata,
    after: &Metadata,
    holds: impl Fn(&str) -> bool,
    distrusted: impl Fn(Kind, &str) -> bool,
) -> Vec<Orphaned> {
    let systems = before.systems().map(|(id, s)| (Kind::System, id, &s.name));
    let keypairs = before
        .keypairs()
        .map(|(id, k)| (Kind::Keypair, id, &k.name));
    let connections = before
        .connections()
        .map(|(id, c)| (Kind::Connection, id, &c.name));
    systems
        .chain(keypairs)
        .chain(connections)
        .filter(|(kind, id, _)| after.name(*kind, id).is_none())
        .filter_map(|(kind, id, name)| {
            let entry = match kind {
                Kind::System => Some(api_key_id(id)),
                Kind::Keypair => Some(ssh_private_key_id(id)),
                Kind::Connection => None,
            };
            let why = if entry.is_some_and(|e| holds(&e)) {
                Unproven::KeyInKeyring
            } else if distrusted(kind, id) {
                Unproven::NotListed
            } else {
                return None;
            };
            Some(Orphaned {
                id: id.to_owned(),
                name: name.clone(),
                snapshot: before.snapshot(kind, id)?,
                why,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
