//! Passphrase → key-encryption key, with Argon2id.

use zeroize::Zeroizing;

use crate::{Error, Step};

/// Argon2id parameters, stored with each key slot so they can be raised
/// later without touching the other slots or any entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory (Argon2's `t`).
    pub passes: u32,
    /// Lanes (Argon2's `p`); computed sequentially in the browser.
    pub lanes: u32,
}

impl KdfParams {
    /// 64 MiB, 3 passes, 4 lanes: the design's default.
    pub const DEFAULT: Self = Self {
        memory_kib: 64 * 1024,
        passes: 3,
        lanes: 4,
    };
    /// Caps for parameters read from an untrusted blob, so a hostile one
    /// can't make the browser allocate gigabytes or spin for minutes.
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// The most passes a keyring may ask for.
    pub const MAX_PASSES: u32 = 10;
    /// The most lanes a keyring may ask for.
    pub const MAX_LANES: u32 = 16;

    /// Refuses parameters outside what Keyhaven writes and reads.
    pub fn validate(&self) -> Result<(), Error> {
        let ok = (1..=Self::MAX_LANES).contains(&self.lanes)
            && (1..=Self::MAX_PASSES).contains(&self.passes)
            && self.memory_kib >= 8 * self.lanes
            && self.memory_kib <= Self::MAX_MEMORY_KIB;
        if ok { Ok(()) } else { Err(self.out_of_range()) }
    }

    /// The refusal of parameters outside what Keyhaven reads.
    pub(crate) fn out_of_range(&self) -> Error {
        Error::Damaged(format!(
            "its key-derivation settings are out of range ({} KiB, {} passes, {} lanes)",
            self.memory_kib, self.passes, self.lanes
        ))
    }
}

/// A 256-bit key derived from a passphrase or recovery code; zeroized on drop.
pub struct Kek(pub(crate) Zeroizing<[u8; 32]>);

impl Kek {
    /// For handing a key derived in a Web Worker back to the page.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The key's bytes (to use it; never to store or send it).
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek([REDACTED])")
    }
}

/// Argon2id v1.3 of `secret` with `salt`, 32 bytes out.
pub fn derive(secret: &[u8], salt: &[u8; 16], params: KdfParams) -> Result<Kek, Error> {
    params.validate()?;
    let config = argon2::Config {
        variant: argon2::Variant::Argon2id,
        version: argon2::Version::Version13,
        mem_cost: params.memory_kib,
        time_cost: params.passes,
        lanes: params.lanes,
        hash_length: 32,
        ..argon2::Config::default()
    };
    let out = Zeroizing::new(
        argon2::hash_raw(secret, salt, &config).map_err(|_| Error::Failed(Step::DeriveKey))?,
    );
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&out);
    Ok(Kek(key))
}

#[cfg(test)]
mod tests;
