//! The stored form of a keyring (format v1, specified in `mod.rs`): the
//! checked reader, which refuses absurd sizes and KDF settings before any
//! work, and the writer.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{
    Entry, FLAG_DELETED, FORMAT_VERSION, KDF_ARGON2ID, KdfParams, Keyring, MAGIC, MAX_BLOB,
    MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_NAME, Slot, SlotKind, entry,
    wire::{Reader, Writer},
};
use crate::Error;

impl Keyring {
    /// Reads a stored keyring. Never panics; refuses absurd sizes and KDF
    /// settings before doing any work.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_BLOB {
            return Err(Error::Damaged(
                "it is larger than any keyring can be".into(),
            ));
        }
        let split = bytes
            .len()
            .checked_sub(32)
            .ok_or_else(|| Error::Damaged("it is too short".into()))?;
        let (body, checksum) = bytes.split_at(split);
        if Sha256::digest(body).as_slice() != checksum {
            return Err(Error::Damaged(
                "its checksum does not match, so it was cut short or altered".into(),
            ));
        }
        let mut r = Reader::new(body);
        if r.take(4)? != MAGIC {
            return Err(Error::Damaged("it is not a Keyhaven keyring".into()));
        }
        let version = r.u8()?;
        if version != FORMAT_VERSION {
            return Err(Error::Damaged(format!(
                "it has format version {version}, which this version of Keyhaven does not know; update Keyhaven"
            )));
        }
        let id = r.array()?;
        let name = r.str16(MAX_NAME, "name")?.to_owned();

        let slot_count = r.u8()?;
        let mut slots: Vec<Slot> = Vec::new();
        for _ in 0..slot_count {
            let kind = match r.u8()? {
                1 => SlotKind::Passphrase,
                2 => SlotKind::RecoveryCode,
                _ => return Err(Error::Damaged("a key slot has an unknown kind".into())),
            };
            if slots.last().is_some_and(|last| last.kind >= kind) {
                return Err(Error::Damaged("its key slots are out of order".into()));
            }
            let updated_ms = r.u64()?;
            if r.u8()? != KDF_ARGON2ID {
                return Err(Error::Damaged(
                    "a key slot uses an unknown key derivation".into(),
                ));
            }
            let kdf = KdfParams {
                memory_kib: r.u32()?,
                passes: r.u32()?,
                lanes: r.u32()?,
            };
            kdf.validate()?;
            slots.push(Slot {
                kind,
                updated_ms,
                kdf,
                salt: r.array()?,
                nonce: r.array()?,
                wrapped: r.array()?,
            });
        }
        if slots.first().map(|s| s.kind) != Some(SlotKind::Passphrase) {
            return Err(Error::Damaged("it has no passphrase slot".into()));
        }

        let revision = r.u64()?;
        let manifest_nonce = r.array()?;
        let manifest = r
            .bytes32(
                16 + 8 + 4 + MAX_ENTRIES * (2 + entry::MAX_ENTRY_ID + 8 + 1 + 24) + 16,
                "manifest",
            )?
            .to_vec();
        let count = r.u32()? as usize;
        if count > MAX_ENTRIES {
            return Err(Error::Damaged("it has too many entries".into()));
        }
        let mut entries = BTreeMap::new();
        let mut previous: Option<&str> = None;
        for _ in 0..count {
            let entry_id = r.str16(entry::MAX_ENTRY_ID, "entry id")?;
            entry::validate_id(entry_id)
                .map_err(|_| Error::Damaged("an entry id is invalid".into()))?;
            if previous.is_some_and(|p| p >= entry_id) {
                return Err(Error::Damaged("its entries are out of order".into()));
            }
            previous = Some(entry_id);
            let updated_ms = r.u64()?;
            let flags = r.u8()?;
            if flags & !FLAG_DELETED != 0 {
                return Err(Error::Damaged("an entry has unknown flags".into()));
            }
            let nonce = r.array()?;
            let ciphertext = r.bytes32(MAX_ENTRY_BYTES, "entry")?.to_vec();
            let deleted = flags & FLAG_DELETED != 0;
            if deleted != ciphertext.is_empty() {
                return Err(Error::Damaged("a deleted entry still has a value".into()));
            }
            entries.insert(
                entry_id.to_owned(),
                Entry {
                    updated_ms,
                    deleted,
                    nonce,
                    ciphertext,
                },
            );
        }
        if !r.is_empty() {
            return Err(Error::Damaged("it has bytes after its last entry".into()));
        }
        Ok(Self {
            id,
            name,
            slots,
            revision,
            manifest_nonce,
            manifest,
            entries,
        })
    }

    /// The stored form, exactly as [`Keyring::parse`] reads it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(self.header());
        self.write_slots(&mut w);
        w.u64(self.revision)
            .bytes(&self.manifest_nonce)
            .bytes32(&self.manifest)
            .u32(self.entries.len() as u32);
        for (id, entry) in &self.entries {
            w.str16(id)
                .u64(entry.updated_ms)
                .u8(entry.flags())
                .bytes(&entry.nonce)
                .bytes32(&entry.ciphertext);
        }
        let checksum = Sha256::digest(&w.0);
        w.bytes(&checksum);
        w.0
    }

    pub(super) fn write_slots(&self, w: &mut Writer) {
        w.u8(self.slots.len() as u8);
        for slot in &self.slots {
            w.u8(slot.kind as u8).u64(slot.updated_ms);
            write_kdf(w, slot.kdf);
            w.bytes(&slot.salt).bytes(&slot.nonce).bytes(&slot.wrapped);
        }
    }

    pub(super) fn header(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(MAGIC)
            .u8(FORMAT_VERSION)
            .bytes(&self.id)
            .str16(&self.name);
        w.0
    }
}

pub(super) fn write_kdf(w: &mut Writer, kdf: KdfParams) {
    w.u8(KDF_ARGON2ID)
        .u32(kdf.memory_kib)
        .u32(kdf.passes)
        .u32(kdf.lanes);
}
