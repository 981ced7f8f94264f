//! How the metadata is stored on the server: a top blob (`metadata`) that
//! names the part blobs holding the document now and carries its top
//! manifest, and one blob per part (`metadata.<part>.<digest>`, see
//! [`model::part_of`](crate::model::part_of)), each a document of that
//! part's items with that part's manifest.
//!
//! A part blob's name ends in a digest of its bytes, so a part is written
//! once and never over: the top blob, written with `If-Match`, is the one
//! place two browsers contend, exactly as when the document was one blob,
//! and a browser reading the top finds every part it names as it was
//! written (an old one is deleted only after a newer top replaced it).
//! One edit writes the parts it changed and the top.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    Error, MetadataProblem,
    api::Tag,
    model::{Kind, Metadata, PartMap},
};

/// The format the top blob says it is (an earlier release stored the
/// whole document in the `metadata` blob, with no `format`).
const FORMAT: u32 = 2;

/// The largest top blob or part a browser reads (a part of a fleet of
/// 1,000 systems is about 30 KB).
const MAX_BLOB: usize = 4 * 1024 * 1024;

/// The top blob: which part blobs hold the document, and its top manifest.
/// The names are where to look, not what is proven: a part's manifest is
/// proven by its digest in the top manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Top {
    /// Always [`FORMAT`].
    pub format: u32,
    /// The document's sealed top manifest (`Metadata::manifest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Each stored part's blob name, by part.
    #[serde(default)]
    pub parts: PartMap<String>,
}

/// What the `metadata` blob holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// A top blob: the parts are to be read.
    Top(Top),
    /// The whole document, as an earlier release stored it.
    Whole(Metadata),
}

impl Read {
    /// Reads the `metadata` blob. (By hand over a `serde_json::Value`,
    /// which the app reads its saved copy with anyway: a derived reader
    /// for the top costs the first load kilobytes.)
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        use serde_json::Value;
        let unreadable = || Error::Metadata(MetadataProblem::Unreadable);
        let value: Value = read(bytes)?;
        // A document of an earlier release has no `format`.
        let Some(format) = value.get("format") else {
            return Metadata::from_json(bytes).map(Self::Whole);
        };
        if format.as_u64() != Some(u64::from(FORMAT)) {
            return Err(unreadable());
        }
        let manifest = match value.get("manifest") {
            None | Some(Value::Null) => None,
            Some(Value::String(sealed)) => Some(sealed.clone()),
            Some(_) => return Err(unreadable()),
        };
        let listed = value.get("parts").and_then(Value::as_object);
        let mut parts = PartMap::new();
        for (part, name) in listed.ok_or_else(unreadable)? {
            let part: u8 = part.parse().map_err(|_| unreadable())?;
            let name = name.as_str().filter(|name| is_part_name(part, name));
            parts.insert(part, name.ok_or_else(unreadable)?.to_owned());
        }
        Ok(Self::Top(Top {
            format: FORMAT,
            manifest,
            parts,
        }))
    }
}

fn read<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.len() > MAX_BLOB {
        return Err(Error::Metadata(MetadataProblem::TooLarge));
    }
    serde_json::from_slice(bytes).map_err(|_| Error::Metadata(MetadataProblem::Unreadable))
}

impl Top {
    /// The top blob as stored.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a top blob always serializes")
    }
}

/// The blob name of `part` holding `bytes`.
pub fn part_name(part: u8, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("metadata.{part:02x}.{hex}")
}

/// Whether `name` is a blob name a top may give `part`: Keyhaven's own
/// form, so a top can't point a browser at the keyring or anything else.
pub fn is_part_name(part: u8, name: &str) -> bool {
    let prefix = format!("metadata.{part:02x}.");
    name.strip_prefix(&prefix).is_some_and(|rest| {
        (1..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(&b))
    })
}

/// Reads a part blob: a document of `part`'s items with that part's
/// manifest (in its `manifest`). Items of other parts are dropped and
/// returned: no honest browser puts them there.
pub fn read_part(part: u8, bytes: &[u8]) -> Result<(Metadata, Vec<(Kind, String)>), Error> {
    let mut doc: Metadata = read(bytes)?;
    doc.part_manifests = PartMap::new();
    let misplaced = doc.misplaced(part);
    for (kind, id) in &misplaced {
        doc.drop_item(*kind, id);
    }
    Ok((doc, misplaced))
}

/// The document whole, from its top and its parts (as read): the items of
/// every part, the top manifest, and each part's manifest.
pub fn assemble(top: &Top, parts: &PartMap<Metadata>) -> Metadata {
    let mut doc = Metadata {
        manifest: top.manifest.clone(),
        ..Metadata::default()
    };
    for (part, items) in parts.iter() {
        if let Some(manifest) = &items.manifest {
            doc.part_manifests.insert(part, manifest.clone());
        }
        doc.extend_with(items.clone());
    }
    doc
}

/// A part as a browser last saw it stored: where, at which tag (to
/// delete it once no top names it), and its manifest (to prove the
/// document without fetching the part again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownPart {
    /// Its blob name.
    pub name: String,
    /// Its tag, when this browser fetched or wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Tag>,
    /// Its manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
}

/// A part as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    /// Its blob name ([`part_name`]).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its manifest, as it holds it.
    pub manifest: Option<String>,
}

/// `doc` as stored: its top, and each part.
pub fn store(doc: &Metadata) -> (Top, PartMap<StoredPart>) {
    let mut top = Top {
        format: FORMAT,
        manifest: doc.manifest.clone(),
        parts: PartMap::new(),
    };
    let mut parts = PartMap::new();
    for (part, mut items) in doc.split() {
        items.manifest = doc.part_manifests.get(part).cloned();
        let bytes = items.to_json();
        let name = part_name(part, &bytes);
        top.parts.insert(part, name.clone());
        parts.insert(
            part,
            StoredPart {
                name,
                bytes,
                manifest: items.manifest,
            },
        );
    }
    (top, parts)
}

#[cfg(test)]
mod tests {
    use rand_core::OsRng;

    use super::*;
    use crate::{fleet, sync::metadata, testing::keyring};

    #[test]
    fn a_stored_document_reads_back_whole_and_proven() {
        let key = keyring(1);
        let mut doc = fleet::fleet(30, 1, 1_000, "a");
        fleet::seal_all(&mut doc, &key, 4, &mut OsRng);
        let (top, parts) = store(&doc);
        let Ok(Read::Top(read_top)) = Read::from_json(&top.to_json()) else {
            panic!("a top");
        };
        assert_eq!(read_top, top);
        let read: PartMap<Metadata> = parts
            .iter()
            .map(|(part, StoredPart { name, bytes, .. })| {
                assert!(is_part_name(part, name), "{name}");
                let (doc, misplaced) = read_part(part, bytes).unwrap();
                assert!(misplaced.is_empty());
                (part, doc)
            })
            .collect();
        let whole = assemble(&read_top, &read);
        assert_eq!(whole, doc);
        let proof = metadata::prove(&whole, &key, 4);
        assert_eq!(proof.revision, Some(4));
        assert!(!proof.stale(), "{proof:?}");
    }

    #[test]
    fn one_edit_changes_one_part_and_the_top() {
        let key = keyring(1);
        let mut doc = fleet::fleet(30, 1, 1_000, "a");
        fleet::seal_all(&mut doc, &key, 4, &mut OsRng);
        let (before_top, before) = store(&doc);
        let id = doc.connections.keys().next().unwrap().clone();
        let mut connection = doc.connection(&id).unwrap().clone();
        connection.name = "renamed".into();
        doc.put_connection(&id, connection, 2_000, "a");
        doc.seal(Kind::Connection, &id, &key, &mut OsRng);
        metadata::seal_manifest(&mut doc, &key, 4, &mut OsRng);
        let (after_top, after) = store(&doc);
        let changed: Vec<_> = after
            .iter()
            .filter(|(part, p)| before.get(*part).map(|b| &b.name) != Some(&p.name))
            .map(|(part, _)| part)
            .collect();
        assert_eq!(changed, [crate::model::part_of(Kind::Connection, &id)]);
        assert_ne!(after_top.manifest, before_top.manifest);
    }

    #[test]
    fn a_part_from_an_earlier_write_proves_nothing() {
        let key = keyring(1);
        let mut doc = fleet::fleet(10, 1, 1_000, "a");
        fleet::seal_all(&mut doc, &key, 4, &mut OsRng);
        let (_, old_parts) = store(&doc);
        let id = doc.systems.keys().next().unwrap().clone();
        let mut system = doc.system(&id).unwrap().clone();
        system.url = "https://elsewhere.lan".into();
        doc.put_system(&id, system, 2_000, "a");
        doc.seal(Kind::System, &id, &key, &mut OsRng);
        metadata::seal_manifest(&mut doc, &key, 4, &mut OsRng);
        let (top, mut parts) = store(&doc);
        let part = crate::model::part_of(Kind::System, &id);
        parts.insert(part, old_parts[part].clone());
        let read = |parts: &PartMap<StoredPart>| {
            let read = parts
                .iter()
                .map(|(part, p)| (part, read_part(part, &p.bytes).unwrap().0))
                .collect();
            assemble(&top, &read)
        };
        let proof = metadata::prove(&read(&parts), &key, 5);
        assert_eq!(proof.unproven, Some(metadata::NoProof::Missing));
        // Its manifest moved to another part: caught as well.
        let mut moved = store(&doc).1;
        let other = moved.keys().find(|p| *p != part).unwrap();
        let theirs = moved[other].clone();
        moved.get_mut(part).unwrap().bytes = {
            let mut m: Metadata = serde_json::from_slice(&moved[part].bytes).unwrap();
            m.manifest = theirs.manifest;
            m.to_json()
        };
        let proof = metadata::prove(&read(&moved), &key, 5);
        assert_eq!(proof.unproven, Some(metadata::NoProof::Missing));
        // As written, it proves.
        assert_eq!(
            metadata::prove(&read(&store(&doc).1), &key, 5).unproven,
            None
        );
    }

    #[test]
    fn a_top_naming_another_blob_or_a_misplaced_item_is_refused() {
        let mut top = Top {
            format: FORMAT,
            ..Top::default()
        };
        top.parts.insert(3, "keyring".into());
        assert!(Read::from_json(&top.to_json()).is_err());
        top.parts.insert(3, "metadata.04.abc".into());
        assert!(Read::from_json(&top.to_json()).is_err());
        let mut doc = Metadata::default();
        doc.put_system(
            "s1",
            crate::model::System {
                name: "nas".into(),
                url: "https://nas.lan".into(),
                api_username: None,
                api_key_id: None,
            },
            1,
            "a",
        );
        let part = crate::model::part_of(Kind::System, "s1");
        let (_, misplaced) = read_part(part.wrapping_add(1), &doc.to_json()).unwrap();
        assert_eq!(misplaced, [(Kind::System, "s1".to_owned())]);
        // A document of an earlier release reads whole.
        assert!(matches!(
            Read::from_json(&doc.to_json()),
            Ok(Read::Whole(_))
        ));
    }
}
