//! Operations that move entries between data keys: rotating the data key
//! when the passphrase changes, and taking in entries from a copy of the
//! keyring that was unlocked with another key (a rotation made on another
//! device while this one had edits of its own).

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use super::{Entry, KdfParams, Kek, MergeReport, SlotKind, Unlocked, random};
use crate::model::OpenedSeals;
use crate::{Error, KeyringProblem};

impl Unlocked {
    /// Replaces the passphrase AND the data key: every entry is
    /// re-encrypted under a new random key and every old slot (the old
    /// passphrase's and the recovery code's) is gone, so an old copy of the
    /// keyring and the old passphrase open nothing written from now on.
    /// Add a new recovery code afterwards; seal to store.
    pub fn change_passphrase(
        &mut self,
        params: KdfParams,
        salt: [u8; 16],
        kek: &Kek,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(), Error> {
        params.validate()?;
        let rotated = Unlocked {
            keyring: self.keyring.clone(),
            key: Zeroizing::new(random(rng)),
            seals: OpenedSeals::default(),
        };
        let mut entries = self.keyring.entries.clone();
        for (id, entry) in &mut entries {
            if !entry.deleted {
                *entry = self.reencrypt(id, entry, &rotated, rng)?;
            }
        }
        self.keyring.entries = entries;
        self.key = rotated.key;
        let previous = self.keyring.slot(SlotKind::Passphrase).cloned();
        self.keyring.slots.clear();
        // Keeps the slot's time moving forward, as any slot write does.
        if let Some(previous) = previous {
            self.keyring.slots.push(previous);
        }
        self.put_slot(SlotKind::Passphrase, params, salt, kek, now_ms, rng);
        Ok(())
    }

    /// Takes in `other`'s entries that are newer than this copy's (the
    /// later write wins, deletions included), re-encrypting them under
    /// this copy's key. `other` is another generation of the same keyring,
    /// unlocked with its own key.
    pub fn absorb(
        &mut self,
        other: &Unlocked,
        rng: &mut impl CryptoRngCore,
    ) -> Result<MergeReport, Error> {
        if other.keyring.id != self.keyring.id {
            return Err(Error::Keyring(KeyringProblem::Different));
        }
        let mut report = MergeReport::default();
        for (id, theirs) in &other.keyring.entries {
            let newer = self
                .keyring
                .entries
                .get(id)
                .is_none_or(|ours| theirs.updated_ms > ours.updated_ms);
            if !newer {
                continue;
            }
            let entry = if theirs.deleted {
                theirs.clone()
            } else {
                other.reencrypt(id, theirs, self, rng)?
            };
            self.keyring.entries.insert(id.clone(), entry);
            report.taken.push(id.clone());
        }
        Ok(report)
    }

    /// Makes this keyring's next revision follow `floor`: a keyring created
    /// after a reset continues the account's revisions, so an old copy of
    /// the previous keyring can't pass for a newer one.
    pub fn continue_after(&mut self, floor: u64) {
        self.keyring.revision = self.keyring.revision.max(floor);
    }

    /// `entry` (under this key) as an entry under `to`'s key, same time.
    fn reencrypt(
        &self,
        id: &str,
        entry: &Entry,
        to: &Unlocked,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Entry, Error> {
        let value = self.decrypt(id, entry)?;
        to.encrypt(id, &value, entry.updated_ms, rng)
    }
}
