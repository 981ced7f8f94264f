//! An unlocked keyring: the data key, and what it does — reading and
//! writing entries, key slots (passphrase, recovery code), sealing the
//! result with its manifest, and checking a stored copy's manifest.

use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, AeadInPlace, Payload},
};
use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use super::{
    AD_MANIFEST, Entry, EntryValue, KdfParams, Kek, Keyring, MAX_ENTRIES, MAX_ENTRY_BYTES, Slot,
    SlotKind, entry, random,
};
use crate::{Error, KeyringProblem, Step, model::OpenedSeals};

/// An unlocked keyring: holds the data key (zeroized when dropped or
/// locked) and reads and writes entries.
pub struct Unlocked {
    pub(super) keyring: Keyring,
    pub(super) key: Zeroizing<[u8; 32]>,
    /// The metadata seals opened under this key (`model::trust`).
    pub(super) seals: OpenedSeals,
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unlocked")
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
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

    pub(crate) fn opened_seals(&self) -> &OpenedSeals {
        &self.seals
    }

    pub(super) fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.key).into())
    }

    /// Decrypts an entry; `None` when there is none (or it was deleted).
    pub fn get(&self, id: &str) -> Result<Option<EntryValue>, Error> {
        match self.keyring.entries.get(id).filter(|e| !e.deleted) {
            Some(entry) => self.decrypt(id, entry).map(Some),
            None => Ok(None),
        }
    }

    pub(super) fn decrypt(&self, id: &str, entry: &Entry) -> Result<EntryValue, Error> {
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
            return Err(Error::Keyring(KeyringProblem::Full));
        }
        let entry = self.encrypt(id, value, self.next_time(id, now_ms), rng)?;
        self.keyring.entries.insert(id.to_owned(), entry);
        Ok(())
    }

    /// `value` encrypted for slot `id` at time `updated_ms`.
    pub(super) fn encrypt(
        &self,
        id: &str,
        value: &EntryValue,
        updated_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Entry, Error> {
        let plain = value.encode();
        if plain.len() + 16 > MAX_ENTRY_BYTES {
            return Err(Error::Keyring(KeyringProblem::ValueTooLarge));
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
            .map_err(|_| Error::Failed(Step::Encrypt))?;
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

    pub(super) fn next_time(&self, id: &str, now_ms: u64) -> u64 {
        match self.keyring.entries.get(id) {
            Some(previous) => now_ms.max(previous.updated_ms.saturating_add(1)),
            None => now_ms,
        }
    }

    /// Adds (or replaces) the recovery code slot, with `kek` derived from
    /// [`Keyring::recovery_code_secret`] of a new [`RecoveryCode`] (show it
    /// once) with `params` and `salt`.
    pub fn add_recovery_code(
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

    pub(super) fn put_slot(
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
        self.keyring.replace_slot(slot);
    }

    /// The bytes to store: bumps the revision and re-seals the manifest.
    pub fn seal(&mut self, rng: &mut impl CryptoRngCore) -> Vec<u8> {
        // Revisions are proven values (sealed by this data key), each one
        // more than the last; saturating, so none ever wraps back to "older".
        self.keyring.revision = self.keyring.revision.saturating_add(1);
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
    pub(super) fn verify_manifest(&self, stored: &Keyring) -> Result<(), Error> {
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
}
