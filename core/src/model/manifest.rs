//! The metadata's manifest: one authenticated list of every item (live or
//! deleted) with its stamp, device and a digest of ALL its fields, and the
//! document's revision, sealed under the keyring's data key. The per-item
//! seals prove an item's values; only a manifest proves which items there
//! are, which version of each, and how recent the whole is: a server that
//! replays an old item, strips a seal, forges a deletion or serves an old
//! document shows up as a [`Departure`] or a lower revision.
//!
//! The manifest lists items by kind and id, so the fleet-scale split of the
//! document into parts can carry one per part and a top manifest of the
//! parts' digests without changing what is proven.

use std::{collections::BTreeMap, sync::Arc};

use base64ct::{Base64, Encoding};
use rand_core::CryptoRngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Item, Kind, Metadata, public_base64};
use crate::{
    Error,
    keyring::{
        Unlocked,
        wire::{Reader, Writer},
    },
};

/// The most items a manifest may list, so a hostile one can't make the
/// browser allocate without bound (a fleet of 1,000 systems lists ~5,000).
pub const MAX_ITEMS: usize = 200_000;

/// The longest id or device name a manifest holds.
const MAX_TEXT: usize = 256;

/// The manifest's place in the seal's associated data: kind 0 is no item's.
const PLACE: &[u8] = b"\x00metadata manifest v1";

/// What the manifest says of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its write stamp (ms since the Unix epoch).
    pub updated: u64,
    /// The device that wrote it.
    pub by: String,
    /// A tombstone.
    pub deleted: bool,
    /// SHA-256 of all its fields ([`item_digest`]).
    pub digest: [u8; 32],
}

/// The metadata's manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The document's revision: one more than the last proven one each
    /// time a browser with the keyring unlocked writes it.
    pub revision: u64,
    /// Every item, live or deleted, by kind and id.
    pub items: BTreeMap<(Kind, String), Listed>,
}

/// Where a document departs from its manifest, for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    /// Listed, and not in the document at all.
    Missing,
    /// In the document, and not listed.
    Unlisted,
    /// Older than listed: an earlier version served again.
    Older,
    /// The listed stamp with other fields: rewritten in place.
    Altered,
    /// Newer than listed: written after the manifest was sealed (a locked
    /// browser's edit, or the server's) and so not proven; a deletion when
    /// the item is now a tombstone.
    Newer {
        /// The item is now deleted.
        deleted: bool,
    },
}

/// SHA-256 over everything an item is: kind, id, stamp, device, whether it
/// is deleted, and every field of its value (names and timeouts included).
/// The per-item seal is not part of it: the manifest supersedes it.
pub fn item_digest<T: Serialize>(kind: Kind, id: &str, item: &Item<T>) -> [u8; 32] {
    let mut w = Writer::default();
    w.u8(kind as u8)
        .str16(id)
        .u64(item.updated)
        .str16(&item.by)
        .u8(u8::from(item.value.is_none()));
    if let Some(value) = &item.value {
        // serde_json writes a struct's fields in declaration order: stable.
        let json = serde_json::to_vec(value).expect("metadata values serialize");
        w.bytes32(&json);
    }
    Sha256::digest(&w.0).into()
}

fn listed<T: Serialize>(kind: Kind, id: &str, item: &Item<T>) -> Listed {
    Listed {
        updated: item.updated,
        by: item.by.clone(),
        deleted: item.value.is_none(),
        digest: item_digest(kind, id, item),
    }
}

/// Every item's digest ([`item_digest`]) of one document, computed ahead:
/// the digests need no key, so a browser computes them while the keyring
/// is locked (between sign-in and the passphrase typed) and the proof at
/// unlock doesn't (5,000 items at 1,000 systems). They count only for the
/// very document they were computed from, which they hold: a shared
/// document can't change in place (`Arc::make_mut` copies it), so the
/// same allocation is the same content.
pub struct ItemDigests {
    doc: Arc<Metadata>,
    /// (The manifest of the document as it is: each item's digest.)
    items: Manifest,
}

impl ItemDigests {
    /// The digests of `doc`'s items.
    pub fn of(doc: &Arc<Metadata>) -> Self {
        Self {
            doc: Arc::clone(doc),
            items: Manifest::of(doc, 0),
        }
    }

    /// Whether these are `doc`'s digests.
    pub fn are_of(&self, doc: &Arc<Metadata>) -> bool {
        Arc::ptr_eq(&self.doc, doc)
    }
}

impl Manifest {
    /// The manifest of `metadata` as it is, at `revision`.
    pub fn of(metadata: &Metadata, revision: u64) -> Self {
        let mut items = BTreeMap::new();
        for (id, item) in &metadata.systems {
            items.insert((Kind::System, id.clone()), listed(Kind::System, id, item));
        }
        for (id, item) in &metadata.keypairs {
            items.insert((Kind::Keypair, id.clone()), listed(Kind::Keypair, id, item));
        }
        for (id, item) in &metadata.connections {
            let entry = listed(Kind::Connection, id, item);
            items.insert((Kind::Connection, id.clone()), entry);
        }
        Self { revision, items }
    }

    /// The revision after `proven` (the highest proven for the account),
    /// or `None` when there is none: revisions never wrap.
    pub fn next_revision(proven: u64) -> Option<u64> {
        proven.checked_add(1)
    }

    /// Sealed under `keyring`'s data key and its id (base64, as stored).
    pub fn seal(&self, keyring: &Unlocked, rng: &mut impl CryptoRngCore) -> String {
        Base64::encode_string(&keyring.seal_metadata(PLACE, &self.encode(), rng))
    }

    /// Opens a sealed manifest: [`Error::Tampered`] when it was not sealed
    /// by this keyring (forged, cut, or another keyring's),
    /// [`Error::Damaged`] when it opens and can't be read.
    pub fn open(sealed: &str, keyring: &Unlocked) -> Result<Self, Error> {
        let bytes = public_base64::decode(sealed)
            .ok_or_else(|| Error::Tampered("the metadata's manifest is not base64".into()))?;
        let plain = keyring.open_metadata(PLACE, &bytes).ok_or_else(|| {
            Error::Tampered("the metadata's manifest was not sealed by this keyring".into())
        })?;
        Self::decode(&plain)
    }

    /// Where `metadata` departs from this manifest, item by item (empty:
    /// the document is exactly what was sealed).
    pub fn departures(&self, metadata: &Metadata) -> Vec<(Kind, String, Departure)> {
        self.departures_from(&Self::of(metadata, self.revision))
    }

    /// [`Manifest::departures`] of `known`'s very document, with its
    /// digests computed ahead (any other document is digested now).
    pub fn departures_of(
        &self,
        metadata: &Arc<Metadata>,
        known: &ItemDigests,
    ) -> Vec<(Kind, String, Departure)> {
        if known.are_of(metadata) {
            self.departures_from(&known.items)
        } else {
            self.departures(metadata)
        }
    }

    /// Where the document that `now` lists departs from this manifest.
    fn departures_from(&self, now: &Manifest) -> Vec<(Kind, String, Departure)> {
        let mut out = Vec::new();
        for ((kind, id), listed) in &self.items {
            let departure = match now.items.get(&(*kind, id.clone())) {
                None => Some(Departure::Missing),
                Some(item) if item.updated < listed.updated => Some(Departure::Older),
                Some(item) if item.updated > listed.updated => Some(Departure::Newer {
                    deleted: item.deleted,
                }),
                Some(item) if item.digest != listed.digest => Some(Departure::Altered),
                Some(_) => None,
            };
            if let Some(departure) = departure {
                out.push((*kind, id.clone(), departure));
            }
        }
        for (kind, id) in now.items.keys() {
            if !self.items.contains_key(&(*kind, id.clone())) {
                out.push((*kind, id.clone(), Departure::Unlisted));
            }
        }
        out
    }

    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u64(self.revision).u32(self.items.len() as u32);
        for ((kind, id), listed) in &self.items {
            w.u8(*kind as u8)
                .str16(id)
                .u64(listed.updated)
                .str16(&listed.by)
                .u8(u8::from(listed.deleted))
                .bytes(&listed.digest);
        }
        w.0
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let damaged = |what: &str| Error::Damaged(format!("the metadata's manifest {what}"));
        let mut r = Reader::new(bytes);
        let revision = r.u64()?;
        let count = r.u32()? as usize;
        if count > MAX_ITEMS {
            return Err(damaged("lists too many items"));
        }
        let mut items = BTreeMap::new();
        for _ in 0..count {
            let kind = match r.u8()? {
                1 => Kind::System,
                2 => Kind::Keypair,
                3 => Kind::Connection,
                _ => return Err(damaged("lists an item of an unknown kind")),
            };
            let id = r.str16(MAX_TEXT, "item id")?.to_owned();
            let updated = r.u64()?;
            let by = r.str16(MAX_TEXT, "device")?.to_owned();
            let deleted = match r.u8()? {
                0 => false,
                1 => true,
                _ => return Err(damaged("has an unknown flag")),
            };
            let digest = r.array()?;
            let key = (kind, id);
            if items.last_key_value().is_some_and(|(last, _)| *last >= key) {
                return Err(damaged("lists its items out of order"));
            }
            items.insert(
                key,
                Listed {
                    updated,
                    by,
                    deleted,
                    digest,
                },
            );
        }
        if !r.is_empty() {
            return Err(damaged("has bytes after its last item"));
        }
        Ok(Self { revision, items })
    }
}

#[cfg(test)]
mod tests;
