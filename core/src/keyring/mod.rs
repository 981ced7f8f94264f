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

mod entry;
mod kdf;
mod metadata_seal;
mod recovery;
mod rekey;
pub(crate) mod wire;

use std::collections::BTreeMap;

use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, AeadInPlace, Payload},
};
use rand_core::CryptoRngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use entry::{EntryValue, api_key_id, ssh_private_key_id};
pub use kdf::{KdfParams, Kek, derive as derive_kek};
pub use recovery::RecoveryCode;

use crate::Error;
use wire::{Reader, Writer};

const MAGIC: &[u8; 4] = b"KHKR";
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
    Passphrase = 1,
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
#[derive(Clone)]
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
    /// A new keyring protected by `passphrase`, unlocked. Nothing is stored
    /// until [`Unlocked::seal`].
    pub fn create(
        name: &str,
        passphrase: &SecretString,
        params: KdfParams,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Unlocked, Error> {
        let salt = random(rng);
        let kek = kdf::derive(passphrase.expose_secret().as_bytes(), &salt, params)?;
        Self::create_with_kek(name, params, salt, &kek, now_ms, rng)
    }

    /// Like [`Keyring::create`], with the passphrase already derived (in a
    /// Web Worker) with `params` and `salt`.
    pub fn create_with_kek(
        name: &str,
        params: KdfParams,
        salt: [u8; 16],
        kek: &Kek,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Unlocked, Error> {
        let name = name.trim();
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(Error::Invalid(format!(
                "The keyring name must be 1 to {MAX_NAME} characters."
            )));
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
        };
        unlocked.put_slot(SlotKind::Passphrase, params, salt, kek, now_ms, rng);
        Ok(unlocked)
    }

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

    fn write_slots(&self, w: &mut Writer) {
        w.u8(self.slots.len() as u8);
        for slot in &self.slots {
            w.u8(slot.kind as u8).u64(slot.updated_ms);
            write_kdf(w, slot.kdf);
            w.bytes(&slot.salt).bytes(&slot.nonce).bytes(&slot.wrapped);
        }
    }

    fn header(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(MAGIC)
            .u8(FORMAT_VERSION)
            .bytes(&self.id)
            .str16(&self.name);
        w.0
    }

    /// Random, fixed at creation; two keyrings never share one.
    pub fn id(&self) -> [u8; 16] {
        self.id
    }

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

    pub fn contains(&self, id: &str) -> bool {
        self.entries.get(id).is_some_and(|e| !e.deleted)
    }

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

    /// Unlocks with a passphrase (derives the key here; in the browser,
    /// derive in a worker and call [`Keyring::unlock_with_kek`]).
    pub fn unlock(&self, passphrase: &SecretString) -> Result<Unlocked, Error> {
        let (params, salt) = self
            .kdf_input(SlotKind::Passphrase)
            .ok_or_else(|| Error::Damaged("it has no passphrase slot".into()))?;
        let kek = kdf::derive(passphrase.expose_secret().as_bytes(), &salt, params)?;
        self.unlock_with_kek(SlotKind::Passphrase, &kek)
    }

    /// Unlocks with the recovery code; set a new passphrase right after.
    pub fn unlock_with_recovery_code(&self, code: &str) -> Result<Unlocked, Error> {
        let raw = recovery::parse(code)?;
        let (params, salt) = self
            .kdf_input(SlotKind::RecoveryCode)
            .ok_or(Error::NoRecoveryCode)?;
        let kek = kdf::derive(&raw, &salt, params)?;
        self.unlock_with_kek(SlotKind::RecoveryCode, &kek)
    }

    /// The bytes a recovery code is derived from (for deriving in a worker).
    pub fn recovery_code_secret(code: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
        recovery::parse(code)
    }

    /// Unwraps the data key with a key derived for `kind`'s slot, then
    /// checks the manifest against the entries present.
    pub fn unlock_with_kek(&self, kind: SlotKind, kek: &Kek) -> Result<Unlocked, Error> {
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

fn write_kdf(w: &mut Writer, kdf: KdfParams) {
    w.u8(KDF_ARGON2ID)
        .u32(kdf.memory_kib)
        .u32(kdf.passes)
        .u32(kdf.lanes);
}

fn random<const N: usize>(rng: &mut impl CryptoRngCore) -> [u8; N] {
    let mut out = [0; N];
    rng.fill_bytes(&mut out);
    out
}

/// An unlocked keyring: holds the data key (zeroized when dropped or
/// locked) and reads and writes entries.
pub struct Unlocked {
    keyring: Keyring,
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unlocked")
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

/// What [`Unlocked::merge`] took from the other copy.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Entries whose value (or deletion) came from the other copy.
    pub taken: Vec<String>,
}

impl Unlocked {
    /// The keyring's public view (ids, name, revision).
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Forgets the data key (zeroized) and gives back the locked keyring.
    pub fn lock(self) -> Keyring {
        self.keyring.clone()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.key).into())
    }

    /// Decrypts an entry; `None` when there is none (or it was deleted).
    pub fn get(&self, id: &str) -> Result<Option<EntryValue>, Error> {
        match self.keyring.entries.get(id).filter(|e| !e.deleted) {
            Some(entry) => self.decrypt(id, entry).map(Some),
            None => Ok(None),
        }
    }

    fn decrypt(&self, id: &str, entry: &Entry) -> Result<EntryValue, Error> {
        let altered = || Error::Tampered(format!("the entry {id} was altered"));
        let mut plain = Zeroizing::new(entry.ciphertext.clone());
        self.cipher()
            .decrypt_in_place(
                XNonce::from_slice(&entry.nonce),
                &self.keyring.entry_ad(id, entry),
                &mut *plain,
            )
            .map_err(|_| altered())?;
        EntryValue::decode(&plain).map_err(|_| altered())
    }

    /// Stores `value` under `id`. Its time is `now_ms`, or just after the
    /// previous version's if the clock went backwards, so an edit always
    /// supersedes what it edited.
    pub fn set(
        &mut self,
        id: &str,
        value: &EntryValue,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(), Error> {
        entry::validate_id(id)?;
        if !self.keyring.entries.contains_key(id) && self.keyring.entries.len() >= MAX_ENTRIES {
            return Err(Error::Invalid("The keyring is full.".into()));
        }
        let entry = self.encrypt(id, value, self.next_time(id, now_ms), rng)?;
        self.keyring.entries.insert(id.to_owned(), entry);
        Ok(())
    }

    /// `value` encrypted for slot `id` at time `updated_ms`.
    fn encrypt(
        &self,
        id: &str,
        value: &EntryValue,
        updated_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Entry, Error> {
        let plain = value.encode();
        if plain.len() + 16 > MAX_ENTRY_BYTES {
            return Err(Error::Invalid("That value is too large to store.".into()));
        }
        let mut entry = Entry {
            updated_ms,
            deleted: false,
            nonce: random(rng),
            ciphertext: Vec::new(),
        };
        let mut buffer = Zeroizing::new(Vec::with_capacity(plain.len() + 16));
        buffer.extend_from_slice(&plain);
        self.cipher()
            .encrypt_in_place(
                XNonce::from_slice(&entry.nonce),
                &self.keyring.entry_ad(id, &entry),
                &mut *buffer,
            )
            .map_err(|_| Error::Invalid("encryption failed".into()))?;
        entry.ciphertext = buffer.to_vec();
        Ok(entry)
    }

    /// Deletes an entry, leaving a tombstone so the deletion syncs. Returns
    /// whether there was a value to delete.
    pub fn remove(&mut self, id: &str, now_ms: u64) -> bool {
        if !self.keyring.contains(id) {
            return false;
        }
        let tombstone = Entry {
            updated_ms: self.next_time(id, now_ms),
            deleted: true,
            nonce: [0; 24],
            ciphertext: Vec::new(),
        };
        self.keyring.entries.insert(id.to_owned(), tombstone);
        true
    }

    fn next_time(&self, id: &str, now_ms: u64) -> u64 {
        match self.keyring.entries.get(id) {
            Some(previous) => now_ms.max(previous.updated_ms.saturating_add(1)),
            None => now_ms,
        }
    }

    /// Replaces the passphrase and rotates the data key
    /// ([`Unlocked::change_passphrase_with_kek`]).
    pub fn change_passphrase(
        &mut self,
        passphrase: &SecretString,
        params: KdfParams,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(), Error> {
        let salt = random(rng);
        let kek = kdf::derive(passphrase.expose_secret().as_bytes(), &salt, params)?;
        self.change_passphrase_with_kek(params, salt, &kek, now_ms, rng)
    }

    /// Adds (or replaces) the recovery code; show the result once.
    pub fn add_recovery_code(
        &mut self,
        params: KdfParams,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<RecoveryCode, Error> {
        let code = RecoveryCode::generate(rng);
        let salt = random(rng);
        let kek = kdf::derive(&code.raw(), &salt, params)?;
        self.put_slot(SlotKind::RecoveryCode, params, salt, &kek, now_ms, rng);
        Ok(code)
    }

    /// [`Unlocked::add_recovery_code`] with the key derived elsewhere from
    /// [`Keyring::recovery_code_secret`] of `code`.
    pub fn add_recovery_code_with_kek(
        &mut self,
        params: KdfParams,
        salt: [u8; 16],
        kek: &Kek,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(), Error> {
        params.validate()?;
        self.put_slot(SlotKind::RecoveryCode, params, salt, kek, now_ms, rng);
        Ok(())
    }

    fn put_slot(
        &mut self,
        kind: SlotKind,
        kdf: KdfParams,
        salt: [u8; 16],
        kek: &Kek,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) {
        let updated_ms = match self.keyring.slot(kind) {
            Some(previous) => now_ms.max(previous.updated_ms.saturating_add(1)),
            None => now_ms,
        };
        let mut slot = Slot {
            kind,
            updated_ms,
            kdf,
            salt,
            nonce: random(rng),
            wrapped: [0; 48],
        };
        let ad = self.keyring.slot_ad(&slot);
        let wrapped = XChaCha20Poly1305::new(kek.expose().into())
            .encrypt(
                XNonce::from_slice(&slot.nonce),
                Payload {
                    msg: &self.key[..],
                    aad: &ad,
                },
            )
            .expect("a 32-byte message always encrypts");
        slot.wrapped.copy_from_slice(&wrapped);
        self.keyring.slots.retain(|s| s.kind != kind);
        self.keyring.slots.push(slot);
        self.keyring.slots.sort_by_key(|s| s.kind);
    }

    /// The bytes to store: bumps the revision and re-seals the manifest.
    pub fn seal(&mut self, rng: &mut impl CryptoRngCore) -> Vec<u8> {
        self.keyring.revision += 1;
        self.keyring.manifest_nonce = random(rng);
        let plain = self.keyring.manifest_plaintext();
        let mut ad = AD_MANIFEST.to_vec();
        ad.extend_from_slice(&self.keyring.header());
        self.keyring.manifest = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&self.keyring.manifest_nonce),
                Payload {
                    msg: &plain,
                    aad: &ad,
                },
            )
            .expect("encryption of a bounded message succeeds");
        self.keyring.to_bytes()
    }

    /// Checks `stored`'s manifest (under this data key) against its entries.
    fn verify_manifest(&self, stored: &Keyring) -> Result<(), Error> {
        let mut ad = AD_MANIFEST.to_vec();
        ad.extend_from_slice(&stored.header());
        let plain = self
            .cipher()
            .decrypt(
                XNonce::from_slice(&stored.manifest_nonce),
                Payload {
                    msg: &stored.manifest,
                    aad: &ad,
                },
            )
            .map_err(|_| Error::Tampered("its list of entries was altered".into()))?;
        if plain != stored.manifest_plaintext() {
            return Err(Error::Tampered(
                "entries were removed, added, replaced or replayed".into(),
            ));
        }
        Ok(())
    }

    /// Folds another copy of the same keyring (say, the server's newer one
    /// after a write conflict) into this one, entry by entry: the later
    /// write wins, deletions included. The other copy is verified with this
    /// data key first. Seal afterwards to store the result.
    pub fn merge(&mut self, other: &Keyring) -> Result<MergeReport, Error> {
        if other.id != self.keyring.id {
            return Err(Error::Invalid(
                "That is a different keyring (it was reset or re-created elsewhere).".into(),
            ));
        }
        self.verify_manifest(other)?;
        let mut report = MergeReport {
            taken: merge_entries(&mut self.keyring.entries, &other.entries),
        };
        for theirs in &other.slots {
            let take = match self.keyring.slot(theirs.kind) {
                Some(ours) => (theirs.updated_ms, theirs.nonce) > (ours.updated_ms, ours.nonce),
                None => true,
            };
            if take {
                self.keyring.slots.retain(|s| s.kind != theirs.kind);
                self.keyring.slots.push(theirs.clone());
                self.keyring.slots.sort_by_key(|s| s.kind);
            }
        }
        self.keyring.revision = self.keyring.revision.max(other.revision);
        report.taken.sort();
        Ok(report)
    }
}

/// Entry by entry, the later write wins (deletions included); returns the
/// ids taken from `theirs`.
fn merge_entries(
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

#[cfg(test)]
mod tests;
