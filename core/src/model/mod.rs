//! The metadata document: registered TrueNAS systems, SSH keypairs' public
//! halves and SSH connections. It is stored in plaintext on the server, so
//! it holds no secret: API keys and private keys live in the keyring.
//!
//! Every item carries when and by which device it was last written, and a
//! deletion leaves a tombstone, so two copies merge item by item
//! ([`Metadata::merge`]).

mod connection_form;
pub(crate) mod field;
mod hostile;
mod manifest;
mod merge;
mod part_map;
mod parts;
mod public_base64;
mod seal;
mod snapshot;
mod trust;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use connection_form::{CheckedConnection, ConnectionForm, KeyringState};
pub use field::{Field, Reason};
pub use hostile::MAX_CLOCK_SKEW_MS;
pub use manifest::{Departure, ItemDigests, Listed, MAX_ITEMS, Manifest, item_digest};
pub use merge::{Kind, MergeReport, Replaced};
pub use part_map::PartMap;
pub use parts::{PARTS, PartSet, TopManifest, manifest_digest, part_of};
pub use seal::{Pinned, Sealed};
pub use snapshot::Snapshot;
pub use trust::{Basis, Finding, LockedEdit, OpenedSeals, PinDigest, Trust};
pub use validate::{
    MAX_CONNECT_TIMEOUT, check_connect_timeout, check_port, host_from_input, normalize_truenas_url,
    secret_transport_allowed, validate_host,
};

use crate::{Error, MetadataProblem};

/// A registered TrueNAS system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct System {
    /// The name the user gave it.
    pub name: String,
    /// Normalized base URL, e.g. `https://nas1.lan`.
    pub url: String,
    /// The user the stored API key belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_username: Option<String>,
    /// The API key's id on the system (not secret), to delete it there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<i64>,
}

/// An SSH keypair's public half; the private half is in the keyring.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Keypair {
    /// Name, as in TrueNAS's SSH Keypairs form.
    pub name: String,
    /// `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ...
    pub key_type: String,
    /// The OpenSSH public key line.
    pub public_key: String,
    /// `SHA256:…`
    pub fingerprint: String,
}

/// An SSH connection, as TrueNAS's SSH Connections form defines it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Connection {
    /// Name, as in TrueNAS's SSH Connections form.
    pub name: String,
    /// The remote's host name or address.
    pub host: String,
    /// Its SSH port.
    pub port: u16,
    /// The user to log in as there.
    pub username: String,
    /// The id of the keypair it uses.
    pub keypair_id: String,
    /// One OpenSSH public key per line, as TrueNAS stores them.
    pub remote_host_keys: String,
    /// Connect Timeout, in seconds.
    pub connect_timeout: u32,
}

/// One item with its write stamp; `value: None` is a deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item<T> {
    /// Milliseconds since the Unix epoch of the last write.
    pub updated: u64,
    /// The device that wrote it (breaks ties, and names whose edit won).
    pub by: String,
    /// The value; `None` is a tombstone (deleted).
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub value: Option<T>,
    /// The item's [`Sealed`] fields encrypted under the keyring's data key
    /// (base64), so a server can't change them unnoticed; `None` until a
    /// browser with the keyring unlocked seals it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

/// A missing `value` is a tombstone (a plain `default` would make serde
/// require `T: Default`).
fn none<T>() -> Option<T> {
    None
}

/// The metadata document: systems, keypairs' public halves and connections, each item with when and where it was last written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// TrueNAS systems by id.
    #[serde(default)]
    pub systems: BTreeMap<String, Item<System>>,
    /// SSH keypairs' public halves by id.
    #[serde(default)]
    pub keypairs: BTreeMap<String, Item<Keypair>>,
    /// SSH connections by id.
    #[serde(default)]
    pub connections: BTreeMap<String, Item<Connection>>,
    /// The document's [`TopManifest`] (the revision, and each part's
    /// manifest digest), sealed under the keyring's data key (base64); in
    /// a part as stored, that part's [`Manifest`]. (A document of an
    /// earlier release has one [`Manifest`] of the whole here.) A browser
    /// without the data key carries the server's along unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Each part's sealed [`Manifest`], by part ([`part_of`]): which items
    /// there are, which version of each.
    #[serde(default, skip_serializing_if = "PartMap::is_empty")]
    pub part_manifests: PartMap<String>,
}

/// Caps on a stored document, so a hostile one can't exhaust the browser.
const MAX_DOCUMENT: usize = 4 * 1024 * 1024;

/// The cap on this browser's own saved copy (a fleet of 1,000 systems is
/// about 8 MB).
const MAX_SAVED: usize = 64 * 1024 * 1024;

impl Metadata {
    /// Reads a stored document.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_DOCUMENT {
            return Err(Error::Metadata(MetadataProblem::TooLarge));
        }
        serde_json::from_slice(bytes).map_err(|_| Error::Metadata(MetadataProblem::Unreadable))
    }

    /// Reads this browser's own saved copy: the whole document, which at
    /// fleet scale is past what the server's copy may be in one piece.
    pub fn from_saved_json(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_SAVED {
            return Err(Error::Metadata(MetadataProblem::TooLarge));
        }
        serde_json::from_slice(bytes).map_err(|_| Error::Metadata(MetadataProblem::Unreadable))
    }

    /// The document as stored.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("metadata always serializes")
    }

    /// The systems (not tombstones), by id.
    pub fn systems(&self) -> impl Iterator<Item = (&str, &System)> {
        live(&self.systems)
    }

    /// The keypairs (not tombstones), by id.
    pub fn keypairs(&self) -> impl Iterator<Item = (&str, &Keypair)> {
        live(&self.keypairs)
    }

    /// The connections (not tombstones), by id.
    pub fn connections(&self) -> impl Iterator<Item = (&str, &Connection)> {
        live(&self.connections)
    }

    /// A system, unless gone.
    pub fn system(&self, id: &str) -> Option<&System> {
        self.systems.get(id).and_then(|i| i.value.as_ref())
    }

    /// A keypair, unless gone.
    pub fn keypair(&self, id: &str) -> Option<&Keypair> {
        self.keypairs.get(id).and_then(|i| i.value.as_ref())
    }

    /// A connection, unless gone.
    pub fn connection(&self, id: &str) -> Option<&Connection> {
        self.connections.get(id).and_then(|i| i.value.as_ref())
    }

    /// Writes a system, stamped with `now` and the device `by`.
    pub fn put_system(&mut self, id: &str, value: System, now: u64, by: &str) {
        put(&mut self.systems, id, Some(value), now, by);
    }

    /// Writes a keypair, stamped with `now` and the device `by`.
    pub fn put_keypair(&mut self, id: &str, value: Keypair, now: u64, by: &str) {
        put(&mut self.keypairs, id, Some(value), now, by);
    }

    /// Writes a connection, stamped with `now` and the device `by`.
    pub fn put_connection(&mut self, id: &str, value: Connection, now: u64, by: &str) {
        put(&mut self.connections, id, Some(value), now, by);
    }

    /// Deletes a system (a tombstone); whether there was one.
    pub fn remove_system(&mut self, id: &str, now: u64, by: &str) -> bool {
        remove(&mut self.systems, id, now, by)
    }

    /// Deletes a keypair (a tombstone); whether there was one.
    pub fn remove_keypair(&mut self, id: &str, now: u64, by: &str) -> bool {
        remove(&mut self.keypairs, id, now, by)
    }

    /// Deletes a connection (a tombstone); whether there was one.
    pub fn remove_connection(&mut self, id: &str, now: u64, by: &str) -> bool {
        remove(&mut self.connections, id, now, by)
    }

    /// A live item's name, whatever its kind.
    pub fn name(&self, kind: Kind, id: &str) -> Option<&str> {
        match kind {
            Kind::System => self.system(id).map(|s| s.name.as_str()),
            Kind::Keypair => self.keypair(id).map(|k| k.name.as_str()),
            Kind::Connection => self.connection(id).map(|c| c.name.as_str()),
        }
    }

    /// The connections that use a keypair (TrueNAS deletes them with it).
    pub fn connections_using(&self, keypair_id: &str) -> Vec<(&str, &Connection)> {
        self.connections()
            .filter(|(_, c)| c.keypair_id == keypair_id)
            .collect()
    }

    /// TrueNAS's rule: a name is unique among ALL keychain credentials,
    /// keypairs and connections alike. `except` is the item being edited.
    pub fn check_credential_name(&self, name: &str, except: Option<&str>) -> Result<(), Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::field(Field::Name, Reason::Required));
        }
        let taken = self
            .keypairs()
            .map(|(id, k)| (id, k.name.as_str()))
            .chain(self.connections().map(|(id, c)| (id, c.name.as_str())))
            .any(|(id, other)| other == name && Some(id) != except);
        if taken {
            Err(Error::field(Field::Name, Reason::CredentialNameTaken))
        } else {
            Ok(())
        }
    }

    /// System names are unique too (they label the keyring table).
    pub fn check_system_name(&self, name: &str, except: Option<&str>) -> Result<(), Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::field(Field::Name, Reason::Required));
        }
        if self
            .systems()
            .any(|(id, s)| s.name == name && Some(id) != except)
        {
            return Err(Error::field(Field::Name, Reason::SystemNameTaken));
        }
        Ok(())
    }
}

fn live<T>(map: &BTreeMap<String, Item<T>>) -> impl Iterator<Item = (&str, &T)> {
    map.iter()
        .filter_map(|(id, item)| item.value.as_ref().map(|v| (id.as_str(), v)))
}

/// Writes an item stamped `now`, or just after its previous stamp if the
/// clock went backwards, so an edit always supersedes what it edited.
fn put<T>(map: &mut BTreeMap<String, Item<T>>, id: &str, value: Option<T>, now: u64, by: &str) {
    write(map, id, value, None, now, by);
}

/// [`put`] with a seal: an item put back as it was (`reinstate`).
fn write<T>(
    map: &mut BTreeMap<String, Item<T>>,
    id: &str,
    value: Option<T>,
    seal: Option<String>,
    now: u64,
    by: &str,
) {
    let updated = map
        .get(id)
        .map_or(now, |previous| now.max(previous.updated.saturating_add(1)));
    map.insert(
        id.to_owned(),
        Item {
            updated,
            by: by.to_owned(),
            value,
            seal,
        },
    );
}

fn remove<T>(map: &mut BTreeMap<String, Item<T>>, id: &str, now: u64, by: &str) -> bool {
    if map.get(id).is_none_or(|item| item.value.is_none()) {
        return false;
    }
    put(map, id, None, now, by);
    true
}

// Property tests need proptest, which does not build for wasm32.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
