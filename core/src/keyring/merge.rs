//! Folding another copy of the same keyring into an unlocked one: entry by
//! entry and slot by slot, the later write wins.

use std::collections::BTreeMap;

use super::{Entry, Keyring, Unlocked};
use crate::{Error, KeyringProblem};

/// What [`Unlocked::merge`] took from the other copy.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Entries whose value (or deletion) came from the other copy.
    pub taken: Vec<String>,
    /// The merged keyring holds something the other copy lacks (an entry
    /// or slot of this one that is newer or missing there): it must be
    /// stored over the other copy, never dropped for it.
    pub kept_ours: bool,
}

impl Unlocked {
    /// Folds another copy of the same keyring (say, the server's newer one
    /// after a write conflict) into this one, entry by entry: the later
    /// write wins, deletions included. The other copy is verified with this
    /// data key first. Seal afterwards to store the result.
    pub fn merge(&mut self, other: &Keyring) -> Result<MergeReport, Error> {
        if other.id != self.keyring.id {
            return Err(Error::Keyring(KeyringProblem::Different));
        }
        self.verify_manifest(other)?;
        let mut report = MergeReport {
            taken: merge_entries(&mut self.keyring.entries, &other.entries),
            kept_ours: false,
        };
        for theirs in &other.slots {
            let take = match self.keyring.slot(theirs.kind) {
                Some(ours) => (theirs.updated_ms, theirs.nonce) > (ours.updated_ms, ours.nonce),
                None => true,
            };
            if take {
                self.keyring.replace_slot(theirs.clone());
            }
        }
        self.keyring.revision = self.keyring.revision.max(other.revision);
        report.kept_ours =
            self.keyring.entries != other.entries || self.keyring.slots != other.slots;
        // (`taken` is in id order: the entries are walked in that order.)
        Ok(report)
    }
}

/// Entry by entry, the later write wins (deletions included); returns the
/// ids taken from `theirs`.
pub(super) fn merge_entries(
    ours: &mut BTreeMap<String, Entry>,
    theirs: &BTreeMap<String, Entry>,
) -> Vec<String> {
    let mut taken = Vec::new();
    for (id, their) in theirs {
        let take = ours.get(id).is_none_or(|our| their.newer_than(our));
        if take {
            ours.insert(id.clone(), their.clone());
            taken.push(id.clone());
        }
    }
    taken
}
