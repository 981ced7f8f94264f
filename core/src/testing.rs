//! What the unit tests of several modules share: fast KDF settings, a
//! fixed clock and seeded randomness, so tests are quick and repeatable.

use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
use secrecy::SecretString;

use crate::keyring::{KdfParams, Keyring, Unlocked};

/// Tiny Argon2 settings: these tests are about what is stored, not the KDF.
pub(crate) const FAST: KdfParams = KdfParams {
    memory_kib: 64,
    passes: 1,
    lanes: 1,
};
pub(crate) const T0: u64 = 1_763_700_000_000;

pub(crate) fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// A new keyring, unlocked; `seed` makes its id and key.
pub(crate) fn keyring(seed: u64) -> Unlocked {
    let passphrase = SecretString::from("correct horse battery staple".to_owned());
    Keyring::create_with_passphrase("home lab", &passphrase, FAST, T0, &mut rng(seed)).unwrap()
}
