//! Taking in the server's metadata document: refuse what a well-behaved
//! Keyhaven could not have written, merge item by item, and say what is
//! left to push and which of this device's edits lost to later ones.

use crate::{
    keyring::{api_key_id, ssh_private_key_id},
    model::{Kind, Metadata, Replaced, Snapshot},
};

/// What taking in the server's copy came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// This browser's copy merged with the server's.
    pub merged: Metadata,
    /// The server lacks something of the merged copy: push it.
    pub pending: bool,
    /// The server's items that were refused, and why.
    pub refused: Vec<(Kind, String, &'static str)>,
    /// This device's edits that lost to later ones made elsewhere.
    pub replaced: Vec<Replaced>,
}

/// Merges the server's document (`bytes`) into `local`. An unreadable
/// document changes nothing here and is replaced by this browser's copy.
pub fn pull(local: &Metadata, bytes: &[u8], device: &str, now_ms: u64) -> Pulled {
    let Ok(mut remote) = Metadata::from_json(bytes) else {
        return Pulled {
            merged: local.clone(),
            pending: true,
            refused: Vec::new(),
            replaced: Vec::new(),
        };
    };
    let refused = remote.refuse_invalid(now_ms);
    let mut merged = local.clone();
    let report = merged.merge(&remote);
    Pulled {
        pending: merged != remote || !refused.is_empty(),
        merged,
        refused,
        replaced: report
            .replaced
            .into_iter()
            .filter(|r| r.by == device)
            .collect(),
    }
}

/// A deletion taken in from the server that the keyring contradicts: a
/// system or keypair gone from the document while its API key or private
/// key is still in the keyring. Keyhaven deletes the keyring entry first
/// (and pushes the keyring first), so a real deletion made elsewhere comes
/// with the entry gone; this one is unproven, and the user is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphaned {
    /// The item's id.
    pub id: String,
    /// Its name as this browser had it.
    pub name: String,
    /// The item as this browser had it, to put back.
    pub snapshot: Snapshot,
}

/// The systems and keypairs live in `before` and deleted in `after` whose
/// keyring entry `holds` (the newest keyring this browser has, proven or
/// held) still has.
pub fn orphaned(
    before: &Metadata,
    after: &Metadata,
    holds: impl Fn(&str) -> bool,
) -> Vec<Orphaned> {
    let systems = before
        .systems()
        .filter(|(id, _)| after.system(id).is_none() && holds(&api_key_id(id)))
        .map(|(id, s)| (Kind::System, id, s.name.as_str()));
    let keypairs = before
        .keypairs()
        .filter(|(id, _)| after.keypair(id).is_none() && holds(&ssh_private_key_id(id)))
        .map(|(id, k)| (Kind::Keypair, id, k.name.as_str()));
    systems
        .chain(keypairs)
        .filter_map(|(kind, id, name)| {
            Some(Orphaned {
                id: id.to_owned(),
                name: name.to_owned(),
                snapshot: before.snapshot(kind, id)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
