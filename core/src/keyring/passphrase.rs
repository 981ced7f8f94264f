//! The keyring operations with the passphrase (or recovery code) itself,
//! for native callers — tests, benchmarks, tools. Each derives the key
//! here, then calls the very function the app calls with the key its Web
//! Worker derived, so what is tested is what the browser runs.

use rand_core::CryptoRngCore;
use secrecy::{ExposeSecret, SecretString};

use super::{KdfParams, Keyring, RecoveryCode, SlotKind, Unlocked, kdf, random, recovery};
use crate::Error;

impl Keyring {
    /// [`Keyring::create`] with the passphrase.
    pub fn create_with_passphrase(
        name: &str,
        passphrase: &SecretString,
        params: KdfParams,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Unlocked, Error> {
        let salt = random(rng);
        let kek = kdf::derive(passphrase.expose_secret().as_bytes(), &salt, params)?;
        Self::create(name, params, salt, &kek, now_ms, rng)
    }

    /// [`Keyring::unlock`] with the passphrase.
    pub fn unlock_with_passphrase(&self, passphrase: &SecretString) -> Result<Unlocked, Error> {
        let (params, salt) = self
            .kdf_input(SlotKind::Passphrase)
            .ok_or_else(|| Error::Damaged("it has no passphrase slot".into()))?;
        let kek = kdf::derive(passphrase.expose_secret().as_bytes(), &salt, params)?;
        self.unlock(SlotKind::Passphrase, &kek)
    }

    /// [`Keyring::unlock`] with the recovery code; set a new passphrase
    /// right after.
    pub fn unlock_with_recovery_code(&self, code: &str) -> Result<Unlocked, Error> {
        let raw = recovery::parse(code)?;
        let (params, salt) = self
            .kdf_input(SlotKind::RecoveryCode)
            .ok_or(Error::NoRecoveryCode)?;
        let kek = kdf::derive(&raw, &salt, params)?;
        self.unlock(SlotKind::RecoveryCode, &kek)
    }
}

impl Unlocked {
    /// [`Unlocked::change_passphrase`] to `passphrase`.
    pub fn change_passphrase_to(
        &mut self,
        passphrase: &SecretString,
        params: KdfParams,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(), Error> {
        let salt = random(rng);
        let kek = kdf::derive(passphrase.expose_secret().as_bytes(), &salt, params)?;
        self.change_passphrase(params, salt, &kek, now_ms, rng)
    }

    /// [`Unlocked::add_recovery_code`] for a new code, returned to be
    /// shown once.
    pub fn new_recovery_code(
        &mut self,
        params: KdfParams,
        now_ms: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<RecoveryCode, Error> {
        let code = RecoveryCode::generate(rng);
        let salt = random(rng);
        let kek = kdf::derive(&code.raw(), &salt, params)?;
        self.add_recovery_code(params, salt, &kek, now_ms, rng)?;
        Ok(code)
    }
}
