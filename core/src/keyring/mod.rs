//! The keyring: secrets encrypted under one passphrase.
//!
//! # Key hierarchy
//!
//! passphrase → Argon2id (parameters and salt stored in the key slot) →
//! key-encryption key → unwraps a random 256-bit **data key** →
//! XChaCha20-Poly1305, random 192-bit nonce, one encryption per entry.
//! A recovery code is a second key slot wrapping the same data key.
//! Changing the passphrase rotates the data key: every entry is
//! re-encrypted and the old slots are gone (`rekey.rs`), so an old copy plus
//! the old passphrase opens nothing written afterwards.
//!
//! The data key also seals the metadata fields that decide where a secret
//! goes (`metadata_seal.rs`, used by [`crate::model::Metadata`]'s trust
//! checks), so a server can't redirect what it can't read.
//!
//! # Format, version 1
//!
//! Integers are big-endian. `str16` is a `u16` length and that many UTF-8
//! bytes; `bytes32` a `u32` length and that many bytes.
//!
//! ```text
//! header   "KHKR"  u8 version = 1  keyring-id[16]  name:str16
//! slots    u8 count (1..=2), then per slot, sorted by kind:
//!            u8 kind (1 passphrase, 2 recovery code)  u64 updated-ms
//!            u8 kdf (1 = Argon2id v1.3)  u32 memory-KiB  u32 passes  u32 lanes
//!            salt[16]  nonce[24]  wrapped-data-key[48]
//! body     u64 revision
//!          manifest: nonce[24]  ciphertext:bytes32
//!          u32 entry count, then per entry, sorted by id:
//!            id:str16  u64 updated-ms  u8 flags (bit 0: deleted)
//!            nonce[24]  ciphertext:bytes32 (empty when deleted)
//! trailer  SHA-256 of everything before it [32]
//! ```
//!
//! Associated data binds every ciphertext to its place:
//!
//! - slot: `"keyhaven keyring v1 slot"`, the header bytes, and the slot's
//!   kind, time, KDF parameters and salt — so the name, id and KDF settings
//!   can't be changed without the unwrap failing;
//! - entry: `"keyhaven keyring v1 entry"`, keyring id, entry id, time and
//!   flags — so an entry can't be moved to another id or keyring;
//! - manifest: `"keyhaven keyring v1 manifest"` and the header bytes. Its
//!   plaintext is the keyring id, the revision, every slot as stored, and
//!   every entry's id, time, flags and nonce. Unlocking checks
//!   that the slots and entries present are exactly those, so a server
//!   can't drop, add, swap or replay entries or slots; comparing
//!   the revision with the highest one a client has seen catches a
//!   rolled-back keyring ([`Keyring::check_revision`]).
//!
//! The checksum only tells accidental damage from a wrong passphrase: it
//! protects nothing against someone who can recompute it, which is what
//! the authenticated encryption is for.
//!
//! Entry ids (`api-key/<system id>`, `ssh-private/<keypair id>`) and times
//! are readable without the passphrase; values are not.

pub mod argon2id;
mod entry;
mod format;
mod kdf;
mod merge;
mod metadata_seal;
mod passphrase;
mod recovery;
mod rekey;
mod unlocked;
pub(crate) mod wire;

use std::collections::BTreeMap;

use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce, aead::AeadInPlace};
use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

pub use entry::{EntryValue, api_key_id, ssh_private_key_id};
pub use kdf::{KdfParams, Kek, derive as derive_kek};
pub use merge::MergeReport;
pub use recovery::RecoveryCode;
pub use unlocked::Unlocked;

use crate::{Error, KeyringProblem, model::OpenedSeals};
use format::write_kdf;
use wire::Writer;

const MAGIC: &[u8; 4] = b"KHKR";
/// The stored format this code writes and reads.
pub const FORMAT_VERSION: u8 = 1;
const KDF_ARGON2ID: u8 = 1;
const FLAG_DELETED: u8 = 1;

/// Caps on untrusted input.
const MAX_BLOB: usize = 16 * 1024 * 1024;
const MAX_NAME: usize = 128;
const MAX_ENTRIES: usize = 10_000;
const MAX_ENTRY_BYTES: usize = 256 * 1024;

const AD_SLOT: &[u8] = b"keyhaven keyring v1 slot";
const AD_ENTRY: &[u8] = b"keyhaven keyring v1 entry";
const AD_MANIFEST: &[u8] = b"keyhaven keyring v1 manifest";

/// What a key slot is unlocked with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SlotKind {
    /// Opened with the passphrase.
    Passphrase = 1,
    /// Opened with the recovery code.
    RecoveryCode = 2,
}

#[derive(Clone, PartialEq, Eq)]
struct Slot {
    kind: SlotKind,
    updated_ms: u64,
    kdf: KdfParams,
    salt: [u8; 16],
    nonce: [u8; 24],
    wrapped: [u8; 48],
}

#[derive(Clone, PartialEq, Eq, Debug)]
struct Entry {
    updated_ms: u64,
    deleted: bool,
    nonce: [u8; 24],
    ciphertext: Vec<u8>,
}

impl Entry {
    fn flags(&self) -> u8 {
        if self.deleted { FLAG_DELETED } else { 0 }
    }

    /// Last writer wins; equal times are broken by the nonce (then the
    /// rest), a total order, so every replica picks the same winner.
    fn newer_than(&self, other: &Entry) -> bool {
        fn key(e: &Entry) -> (u64, [u8; 24], bool, &[u8]) {
            (e.updated_ms, e.nonce, e.deleted, &e.ciphertext)
        }
        key(self) > key(other)
    }
}

/// A keyring as stored: entry ids and times are readable, values are not.
/// Equal when stored byte for byte alike.
#[derive(Clone, PartialEq, Eq)]
pub struct Keyring {
    id: [u8; 16],
    name: String,
    slots: Vec<Slot>,
    revision: u64,
    manifest_nonce: [u8; 24],
    manifest: Vec<u8>,
    entries: BTreeMap<String, Entry>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("name", &self.name)
            .field("revision", &self.revision)
            .field("entries", &self.entry_ids().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// A new keyring, unlocked, whose passphrase slot wraps the data key
    /// with `kek`: the passphrase derived (in the app, in a Web Worker)
    /// with `params` and `salt`. Nothing is stored until [`Unlocked::seal`].
    pub fn create(
        name: &str,
        params: KdfParams,
        salt: [u8; 16],
        kek: &Kek,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Unlocked, Error> {
        let name = name.trim();
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(Error::Keyring(KeyringProblem::NameLength { max: MAX_NAME }));
        }
        params.validate()?;
        let keyring = Keyring {
            id: random(rng),
            name: name.to_owned(),
            slots: Vec::new(),
            revision: 0,
            manifest_nonce: [0; 24],
            manifest: Vec::new(),
            entries: BTreeMap::new(),
        };
        let mut unlocked = Unlocked {
            keyring,
            key: Zeroizing::new(random(rng)),
            seals: OpenedSeals::default(),
        };
        unlocked.put_slot(SlotKind::Passphrase, params, salt, kek, now_ms, rng);
        Ok(unlocked)
    }

    /// Random, fixed at creation; two keyrings never share one.
    pub fn id(&self) -> [u8; 16] {
        self.id
    }

    /// The keyring's name, as the user gave it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bumped by every write ([`Unlocked::seal`]).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Ids of the entries that hold a value (not deleted). Readable while
    /// locked: which entries exist is not secret.
    pub fn entry_ids(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(_, e)| !e.deleted)
            .map(|(id, _)| id.as_str())
    }

    /// Whether an entry (not a tombstone) has this id.
    pub fn contains(&self, id: &str) -> bool {
        self.entries.get(id).is_some_and(|e| !e.deleted)
    }

    /// Whether a recovery code can open it.
    pub fn has_recovery_code(&self) -> bool {
        self.slot(SlotKind::RecoveryCode).is_some()
    }

    /// What a Web Worker needs to derive the key for a slot: its KDF
    /// parameters and salt.
    pub fn kdf_input(&self, kind: SlotKind) -> Option<(KdfParams, [u8; 16])> {
        self.slot(kind).map(|s| (s.kdf, s.salt))
    }

    fn slot(&self, kind: SlotKind) -> Option<&Slot> {
        self.slots.iter().find(|s| s.kind == kind)
    }

    /// Puts `slot` in place of the slot of its kind, keeping the slots in
    /// kind order (found in place, not sorted: a sort's code for one short
    /// list is kilobytes of the app's download).
    fn replace_slot(&mut self, slot: Slot) {
        self.slots.retain(|s| s.kind != slot.kind);
        let at = self.slots.partition_point(|s| s.kind < slot.kind);
        self.slots.insert(at, slot);
    }

    /// Refuses a keyring older than one this client has already seen: the
    /// server (or someone who controls it) may be replaying an old copy.
    pub fn check_revision(&self, highest_seen: u64) -> Result<(), Error> {
        if self.revision < highest_seen {
            Err(Error::RolledBack {
                seen: highest_seen,
                found: self.revision,
            })
        } else {
            Ok(())
        }
    }

    /// The bytes a recovery code is derived from (for deriving in a worker).
    pub fn recovery_code_secret(code: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
        recovery::parse(code)
    }

    /// Unwraps the data key with a key derived for `kind`'s slot (its
    /// [`Keyring::kdf_input`]), then checks the manifest against the
    /// entries present.
    pub fn unlock(&self, kind: SlotKind, kek: &Kek) -> Result<Unlocked, Error> {
        let slot = self.slot(kind).ok_or(match kind {
            SlotKind::Passphrase => Error::Damaged("it has no passphrase slot".into()),
            SlotKind::RecoveryCode => Error::NoRecoveryCode,
        })?;
        let mut key = Zeroizing::new(Vec::with_capacity(48));
        key.extend_from_slice(&slot.wrapped);
        XChaCha20Poly1305::new(kek.expose().into())
            .decrypt_in_place(
                XNonce::from_slice(&slot.nonce),
                &self.slot_ad(slot),
                &mut *key,
            )
            .map_err(|_| match kind {
                SlotKind::Passphrase => Error::WrongPassphrase,
                SlotKind::RecoveryCode => Error::WrongRecoveryCode,
            })?;
        let mut data_key = Zeroizing::new([0u8; 32]);
        data_key.copy_from_slice(&key);
        let unlocked = Unlocked {
            keyring: self.clone(),
            key: data_key,
            seals: OpenedSeals::default(),
        };
        unlocked.verify_manifest(self)?;
        Ok(unlocked)
    }

    fn slot_ad(&self, slot: &Slot) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(AD_SLOT)
            .bytes(&self.header())
            .u8(slot.kind as u8)
            .u64(slot.updated_ms);
        write_kdf(&mut w, slot.kdf);
        w.bytes(&slot.salt);
        w.0
    }

    fn entry_ad(&self, id: &str, entry: &Entry) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(AD_ENTRY)
            .bytes(&self.id)
            .str16(id)
            .u64(entry.updated_ms)
            .u8(entry.flags());
        w.0
    }

    /// What the manifest says: the keyring id, revision, every key slot
    /// whole, and every entry's id, time, flags and nonce.
    fn manifest_plaintext(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(&self.id).u64(self.revision);
        self.write_slots(&mut w);
        w.u32(self.entries.len() as u32);
        for (id, entry) in &self.entries {
            w.str16(id)
                .u64(entry.updated_ms)
                .u8(entry.flags())
                .bytes(&entry.nonce);
        }
        w.0
    }
}

fn random<const N: usize>(rng: &mut impl CryptoRngCore) -> [u8; N] {
    let mut out = [0; N];
    rng.fill_bytes(&mut out);
    out
}

#[cfg(test)]
mod tests;
