//! Per-item merge of two copies of the metadata: every item of either copy
//! survives; where both have the same item, the later write wins (ties
//! broken by device, then by content, so both sides pick the same one).
//! Deletions are items too (tombstones), so a delete holds against an older
//! edit and loses to a newer one. The result doesn't depend on the order of
//! the copies, and merging a copy with itself changes nothing.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Connection, Item, Keypair, Metadata, System};

/// Which list of the metadata an item is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    // The numbers are bound into seals (`seal.rs`): never change them.
    /// A TrueNAS system.
    System = 1,
    /// An SSH keypair's public half.
    Keypair = 2,
    /// An SSH connection.
    Connection = 3,
}

/// What a merge took from the other copy where this copy had its own,
/// different version: the user is told these edits were replaced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MergeReport {
    /// This device's edits that lost to later ones.
    pub replaced: Vec<Replaced>,
    /// Items the other copy had that this one did not know at all.
    pub added: Vec<(Kind, String)>,
    /// Every item whose version here is now the other copy's: the added
    /// ones and the ones whose version won.
    pub taken: Vec<(Kind, String)>,
}

/// One item whose version here lost to the other copy's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// Which list the item is in.
    pub kind: Kind,
    /// Its id.
    pub id: String,
    /// The item's name as this copy had it (or the winner's, for an item
    /// this copy had deleted).
    pub name: String,
    /// The device that wrote the version that lost.
    pub by: String,
    /// The winning version is a deletion.
    pub deleted: bool,
    /// The winning version is proven by the manifest (a browser with the
    /// keyring unlocked wrote it); `false` when it is not (an edit made
    /// while locked, or the server's own), and shown as such.
    pub proven: bool,
}

/// Items that have a name to show in a report.
trait Named {
    fn name(&self) -> &str;
}

impl Named for System {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for Keypair {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for Connection {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Metadata {
    /// Folds `other` into `self`; returns what changed here.
    pub fn merge(&mut self, other: &Metadata) -> MergeReport {
        let mut report = MergeReport::default();
        merge_map(&mut self.systems, &other.systems, Kind::System, &mut report);
        merge_map(
            &mut self.keypairs,
            &other.keypairs,
            Kind::Keypair,
            &mut report,
        );
        merge_map(
            &mut self.connections,
            &other.connections,
            Kind::Connection,
            &mut report,
        );
        report
    }

    /// The merge of two copies, as a new document.
    pub fn merged(a: &Metadata, b: &Metadata) -> Metadata {
        let mut out = a.clone();
        out.merge(b);
        out
    }
}

fn merge_map<T: Clone + PartialEq + Serialize + Named>(
    ours: &mut BTreeMap<String, Item<T>>,
    theirs: &BTreeMap<String, Item<T>>,
    kind: Kind,
    report: &mut MergeReport,
) {
    for (id, their) in theirs {
        match ours.get(id) {
            None => {
                ours.insert(id.clone(), their.clone());
                report.added.push((kind, id.clone()));
                report.taken.push((kind, id.clone()));
            }
            Some(our) if wins(their, our) => {
                let name = our.value.as_ref().or(their.value.as_ref());
                // Only the seal differs: nothing of the user's was replaced.
                if our.value != their.value {
                    report.replaced.push(Replaced {
                        kind,
                        id: id.clone(),
                        name: name.map(|v| v.name().to_owned()).unwrap_or_default(),
                        by: our.by.clone(),
                        deleted: their.value.is_none(),
                        proven: true,
                    });
                }
                ours.insert(id.clone(), their.clone());
                report.taken.push((kind, id.clone()));
            }
            Some(_) => {}
        }
    }
}

/// A total order on versions of one item: stamp, then device, then
/// content, then seal (so the same version sealed on two devices settles
/// on one seal instead of trading them forever).
fn wins<T: PartialEq + Serialize>(a: &Item<T>, b: &Item<T>) -> bool {
    if (a.updated, &a.by) != (b.updated, &b.by) {
        return (a.updated, &a.by) > (b.updated, &b.by);
    }
    if a.value == b.value {
        return a.seal > b.seal;
    }
    let content = |item: &Item<T>| serde_json::to_string(&item.value).unwrap_or_default();
    content(a) > content(b)
}
