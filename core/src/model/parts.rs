//! The metadata document in parts, so one edit moves one part and not the
//! whole fleet: every item belongs to one of [`PARTS`] parts by a hash of
//! its kind and id, each part carries its own [`Manifest`] (its items as
//! today's manifest lists them), and a [`TopManifest`] lists the document's
//! revision and the digest of every part's sealed manifest. Opened
//! together they prove exactly what one manifest of the whole document
//! would: which items there are, which version of each, and how recent the
//! whole is. (How the parts are stored is `sync::stored`.)

use std::collections::BTreeMap;

use base64ct::{Base64, Encoding};
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};

use super::{Item, Kind, Manifest, Metadata, PartMap, public_base64};
use crate::{
    Error,
    keyring::{
        Unlocked,
        wire::{Reader, Writer},
    },
};

/// How many parts the document is split into. At 1,000 systems (5,000
/// items, 7.7 MB) a part is about 30 KB and the top blob about 18 KB, so
/// one edit moves well under 1 % of the document; at 10 systems most parts
/// are empty, and an empty part is not stored.
pub const PARTS: usize = 256;

/// The top manifest's place in the seal's associated data.
const PLACE: &[u8] = b"\x00metadata top manifest v1";

/// The part an item belongs to.
pub fn part_of(kind: Kind, id: &str) -> u8 {
    let mut hash = Sha256::new();
    hash.update([kind as u8]);
    hash.update(id.as_bytes());
    hash.finalize()[0]
}

/// A set of parts (a bit each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartSet([u64; PARTS / 64]);

impl PartSet {
    /// Adds `part`.
    pub fn insert(&mut self, part: u8) {
        self.0[usize::from(part / 64)] |= 1 << (part % 64);
    }

    /// Whether `part` is in the set.
    pub fn contains(&self, part: u8) -> bool {
        self.0[usize::from(part / 64)] & (1 << (part % 64)) != 0
    }
}

impl FromIterator<u8> for PartSet {
    fn from_iter<I: IntoIterator<Item = u8>>(parts: I) -> Self {
        let mut set = Self::default();
        parts.into_iter().for_each(|part| set.insert(part));
        set
    }
}

/// SHA-256 of a part's sealed manifest, as the top manifest lists it.
pub fn manifest_digest(sealed: &str) -> [u8; 32] {
    Sha256::digest(sealed.as_bytes()).into()
}

/// The revision of the whole document and, per part, the digest of its
/// sealed manifest: a part served from another revision, dropped, or
/// swapped with another shows up as a digest that doesn't match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopManifest {
    /// As [`Manifest::revision`](super::Manifest): one more than the last
    /// proven one each time a browser with the keyring unlocked writes.
    pub revision: u64,
    /// Each stored part's manifest digest, by part.
    pub parts: PartMap<[u8; 32]>,
}

impl TopManifest {
    /// Sealed under `keyring`'s data key and its id (base64, as stored).
    pub fn seal(&self, keyring: &Unlocked, rng: &mut impl CryptoRngCore) -> String {
        let mut w = Writer::default();
        w.u64(self.revision).u16(self.parts.len() as u16);
        for (part, digest) in self.parts.iter() {
            w.u8(part).bytes(digest);
        }
        Base64::encode_string(&keyring.seal_metadata(PLACE, &w.0, rng))
    }

    /// Opens a sealed top manifest: [`Error::Tampered`] when this keyring
    /// did not seal it, [`Error::Damaged`] when it opens and can't be read.
    pub fn open(sealed: &str, keyring: &Unlocked) -> Result<Self, Error> {
        let tampered =
            || Error::Tampered("the metadata's manifest was not sealed by this keyring".into());
        let bytes = public_base64::decode(sealed).ok_or_else(tampered)?;
        let plain = keyring.open_metadata(PLACE, &bytes).ok_or_else(tampered)?;
        let damaged = |what: &str| Error::Damaged(format!("the metadata's manifest {what}"));
        let mut r = Reader::new(&plain);
        let revision = r.u64()?;
        let count = r.u16()? as usize;
        if count > PARTS {
            return Err(damaged("lists too many parts"));
        }
        let mut parts = PartMap::new();
        for _ in 0..count {
            let part = r.u8()?;
            if parts.last_part().is_some_and(|last| last >= part) {
                return Err(damaged("lists its parts out of order"));
            }
            parts.insert(part, r.array()?);
        }
        if !r.is_empty() {
            return Err(damaged("has bytes after its last part"));
        }
        Ok(Self { revision, parts })
    }
}

impl Metadata {
    /// The document's items by part (a part with no item is left out).
    /// Each part's `manifest` is unset.
    pub fn split(&self) -> PartMap<Metadata> {
        let mut parts: PartMap<Metadata> = PartMap::new();
        fn place<T: Clone>(
            parts: &mut PartMap<Metadata>,
            kind: Kind,
            items: &BTreeMap<String, Item<T>>,
            map: fn(&mut Metadata) -> &mut BTreeMap<String, Item<T>>,
        ) {
            for (id, item) in items {
                let part = parts.get_or_default(part_of(kind, id));
                map(part).insert(id.clone(), item.clone());
            }
        }
        place(&mut parts, Kind::System, &self.systems, |m| &mut m.systems);
        place(&mut parts, Kind::Keypair, &self.keypairs, |m| {
            &mut m.keypairs
        });
        place(&mut parts, Kind::Connection, &self.connections, |m| {
            &mut m.connections
        });
        parts
    }

    /// Takes `part`'s items in as they are (assembling a document from
    /// its parts; `part`'s manifest is dropped).
    pub fn extend_with(&mut self, part: Metadata) {
        self.systems.extend(part.systems);
        self.keypairs.extend(part.keypairs);
        self.connections.extend(part.connections);
    }

    /// The items not in `part`, by kind and id (a part a hostile server
    /// filled with items from elsewhere).
    pub fn misplaced(&self, part: u8) -> Vec<(Kind, String)> {
        let mut out = Vec::new();
        let mut check = |kind: Kind, id: &String| {
            if part_of(kind, id) != part {
                out.push((kind, id.clone()));
            }
        };
        self.systems.keys().for_each(|id| check(Kind::System, id));
        self.keypairs.keys().for_each(|id| check(Kind::Keypair, id));
        self.connections
            .keys()
            .for_each(|id| check(Kind::Connection, id));
        out
    }

    /// The manifest of the whole document, as its top manifest and its
    /// parts' manifests prove it (or, for a document of an earlier
    /// release, its one manifest). A part's manifest that is missing, not
    /// the one the top lists, or lists an item of another part makes the
    /// whole [`Error::Tampered`].
    pub fn open_manifest(&self, keyring: &Unlocked) -> Result<Manifest, Error> {
        let sealed = self
            .manifest
            .as_deref()
            .ok_or_else(|| Error::Tampered("the metadata has no manifest".into()))?;
        let top = match TopManifest::open(sealed, keyring) {
            Ok(top) => top,
            Err(top) => return Manifest::open(sealed, keyring).map_err(|_| top),
        };
        let mut whole = Manifest {
            revision: top.revision,
            items: BTreeMap::new(),
        };
        for (part, digest) in top.parts.iter() {
            let sealed = self
                .part_manifests
                .get(part)
                .filter(|sealed| manifest_digest(sealed) == *digest)
                .ok_or_else(|| {
                    Error::Tampered(format!(
                        "part {part} of the metadata's manifest is not the one listed"
                    ))
                })?;
            let opened = Manifest::open(sealed, keyring)?;
            for ((kind, id), listed) in opened.items {
                if part_of(kind, &id) != part {
                    return Err(Error::Tampered(format!(
                        "part {part} of the metadata's manifest lists an item of another part"
                    )));
                }
                whole.items.insert((kind, id), listed);
            }
        }
        Ok(whole)
    }

    /// Lists the document as it is now at `revision`: a manifest for each
    /// part whose items changed (the others keep theirs, so their stored
    /// parts stay as they are), and a top manifest over them, unless the
    /// one it has lists exactly that.
    pub fn seal_manifests(
        &mut self,
        keyring: &Unlocked,
        revision: u64,
        rng: &mut impl CryptoRngCore,
    ) {
        let mut digests = PartMap::new();
        let mut manifests = PartMap::new();
        for (part, items) in self.split() {
            let now = Manifest::of(&items, revision);
            let kept = self.part_manifests.remove(part).filter(|sealed| {
                Manifest::open(sealed, keyring).is_ok_and(|had| had.items == now.items)
            });
            let sealed = kept.unwrap_or_else(|| now.seal(keyring, rng));
            digests.insert(part, manifest_digest(&sealed));
            manifests.insert(part, sealed);
        }
        self.part_manifests = manifests;
        let top = TopManifest {
            revision,
            parts: digests,
        };
        let current = self
            .manifest
            .as_deref()
            .map(|sealed| TopManifest::open(sealed, keyring));
        if !matches!(current, Some(Ok(had)) if had == top) {
            self.manifest = Some(top.seal(keyring, rng));
        }
    }

    /// The items of the parts in `present` (no manifest).
    pub fn restricted(&self, present: &PartSet) -> Metadata {
        fn keep<T: Clone>(
            kind: Kind,
            items: &BTreeMap<String, Item<T>>,
            present: &PartSet,
        ) -> BTreeMap<String, Item<T>> {
            items
                .iter()
                .filter(|(id, _)| present.contains(part_of(kind, id)))
                .map(|(id, item)| (id.clone(), item.clone()))
                .collect()
        }
        Metadata {
            systems: keep(Kind::System, &self.systems, present),
            keypairs: keep(Kind::Keypair, &self.keypairs, present),
            connections: keep(Kind::Connection, &self.connections, present),
            ..Metadata::default()
        }
    }

    /// Whether, in the parts in `present`, this document has an item that
    /// `other` lacks or holds otherwise.
    pub fn has_beyond(&self, other: &Metadata, present: &PartSet) -> bool {
        fn beyond<T: PartialEq>(
            kind: Kind,
            ours: &BTreeMap<String, Item<T>>,
            theirs: &BTreeMap<String, Item<T>>,
            present: &PartSet,
        ) -> bool {
            ours.iter().any(|(id, item)| {
                present.contains(part_of(kind, id)) && theirs.get(id) != Some(item)
            })
        }
        beyond(Kind::System, &self.systems, &other.systems, present)
            || beyond(Kind::Keypair, &self.keypairs, &other.keypairs, present)
            || beyond(
                Kind::Connection,
                &self.connections,
                &other.connections,
                present,
            )
    }

    /// Removes an item whatever its kind (not a deletion: it is simply
    /// not here).
    pub fn drop_item(&mut self, kind: Kind, id: &str) {
        match kind {
            Kind::System => self.systems.remove(id).map(drop),
            Kind::Keypair => self.keypairs.remove(id).map(drop),
            Kind::Connection => self.connections.remove(id).map(drop),
        };
    }
}

#[cfg(test)]
mod tests {
    use rand_core::OsRng;

    use super::*;
    use crate::{fleet, testing::keyring};

    #[test]
    fn a_document_splits_into_parts_and_back() {
        let doc = fleet::fleet(20, 1, 1_000, "a");
        let parts = doc.split();
        assert!(parts.len() > 20, "{} parts", parts.len());
        let mut back = Metadata::default();
        for (index, part) in parts {
            assert!(part.misplaced(index).is_empty());
            back.extend_with(part);
        }
        back.manifest.clone_from(&doc.manifest);
        assert_eq!(back, doc);
    }

    #[test]
    fn the_top_manifest_opens_only_as_sealed() {
        let key = keyring(1);
        let top = TopManifest {
            revision: 7,
            parts: [(3, [1; 32]), (200, [2; 32])].into_iter().collect(),
        };
        let sealed = top.seal(&key, &mut OsRng);
        assert_eq!(TopManifest::open(&sealed, &key).unwrap(), top);
        let other = keyring(2);
        assert!(matches!(
            TopManifest::open(&sealed, &other),
            Err(Error::Tampered(_))
        ));
        let mut cut = Base64::decode_vec(&sealed).unwrap();
        cut.pop();
        assert!(TopManifest::open(&Base64::encode_string(&cut), &key).is_err());
        // An item's part depends on its kind as well as its id.
        let differs = (0..64).any(|i| {
            let id = format!("id-{i}");
            part_of(Kind::System, &id) != part_of(Kind::Keypair, &id)
        });
        assert!(differs);
    }
}
