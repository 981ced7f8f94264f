//! One item as it was (value, stamp, device, seal), to put back after a
//! deletion the user did not make.

use std::collections::BTreeMap;

use super::{Connection, Item, Keypair, Kind, Metadata, System};

/// One live item as it was, seal included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Snapshot {
    /// A TrueNAS system.
    System(Item<System>),
    /// An SSH keypair's public half.
    Keypair(Item<Keypair>),
    /// An SSH connection.
    Connection(Item<Connection>),
}

impl Snapshot {
    /// Which list it belongs in.
    pub fn kind(&self) -> Kind {
        match self {
            Self::System(_) => Kind::System,
            Self::Keypair(_) => Kind::Keypair,
            Self::Connection(_) => Kind::Connection,
        }
    }
}

impl Metadata {
    /// The live item as it is now, seal included.
    pub fn snapshot(&self, kind: Kind, id: &str) -> Option<Snapshot> {
        fn live<T: Clone>(item: Option<&Item<T>>) -> Option<Item<T>> {
            item.filter(|i| i.value.is_some()).cloned()
        }
        Some(match kind {
            Kind::System => Snapshot::System(live(self.systems.get(id))?),
            Kind::Keypair => Snapshot::Keypair(live(self.keypairs.get(id))?),
            Kind::Connection => Snapshot::Connection(live(self.connections.get(id))?),
        })
    }

    /// Puts `snapshot` back at `id` as a new write (stamped `now`, so it
    /// wins over the deletion), with the seal it had: it is as trusted as it
    /// was, no more.
    pub fn reinstate(&mut self, id: &str, snapshot: &Snapshot, now: u64, by: &str) {
        fn again<T: Clone>(
            map: &mut BTreeMap<String, Item<T>>,
            id: &str,
            item: &Item<T>,
            now: u64,
            by: &str,
        ) {
            super::write(map, id, item.value.clone(), item.seal.clone(), now, by);
        }
        match snapshot {
            Snapshot::System(item) => again(&mut self.systems, id, item, now, by),
            Snapshot::Keypair(item) => again(&mut self.keypairs, id, item, now, by),
            Snapshot::Connection(item) => again(&mut self.connections, id, item, now, by),
        }
    }

    /// Puts `snapshot` at `id` exactly as it was (stamp and seal): a copy
    /// kept aside, not an edit.
    pub fn insert(&mut self, id: &str, snapshot: &Snapshot) {
        let id = id.to_owned();
        match snapshot {
            Snapshot::System(item) => drop(self.systems.insert(id, item.clone())),
            Snapshot::Keypair(item) => drop(self.keypairs.insert(id, item.clone())),
            Snapshot::Connection(item) => drop(self.connections.insert(id, item.clone())),
        }
    }

    /// Every item's kind and id, tombstones included.
    pub fn every_item(&self) -> Vec<(Kind, String)> {
        let systems = self.systems.keys().map(|id| (Kind::System, id.clone()));
        let keypairs = self.keypairs.keys().map(|id| (Kind::Keypair, id.clone()));
        let connections = self
            .connections
            .keys()
            .map(|id| (Kind::Connection, id.clone()));
        systems.chain(keypairs).chain(connections).collect()
    }

    /// Whether the document has the item at all, a tombstone included.
    pub fn knows(&self, kind: Kind, id: &str) -> bool {
        match kind {
            Kind::System => self.systems.contains_key(id),
            Kind::Keypair => self.keypairs.contains_key(id),
            Kind::Connection => self.connections.contains_key(id),
        }
    }
}
