//! Passphrase → key-encryption key, with Argon2id.

use zeroize::Zeroizing;

use crate::Error;

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
    pub const MAX_PASSES: u32 = 10;
    pub const MAX_LANES: u32 = 16;

    pub fn validate(&self) -> Result<(), Error> {
        let ok = (1..=Self::MAX_LANES).contains(&self.lanes)
            && (1..=Self::MAX_PASSES).contains(&self.passes)
            && self.memory_kib >= 8 * self.lanes
            && self.memory_kib <= Self::MAX_MEMORY_KIB;
        if ok {
            Ok(())
        } else {
            Err(Error::Damaged(format!(
                "its key-derivation settings are out of range ({} KiB, {} passes, {} lanes)",
                self.memory_kib, self.passes, self.lanes
            )))
        }
    }
}

/// A 256-bit key derived from a passphrase or recovery code; zeroized on drop.
pub struct Kek(pub(crate) Zeroizing<[u8; 32]>);

impl Kek {
    /// For handing a key derived in a Web Worker back to the page.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

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
        argon2::hash_raw(secret, salt, &config)
            .map_err(|e| Error::Invalid(format!("key derivation failed: {e}")))?,
    );
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&out);
    Ok(Kek(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers from the reference C implementation (Debian's
    /// `argon2` CLI): `echo -n password | argon2 somesaltsomesalt -id -t 2 -k 256 -p 1 -r`
    /// and `echo -n "correct horse" | argon2 0123456789abcdef -id -t 3 -k 1024 -p 4 -r`.
    #[test]
    fn matches_the_reference_implementation() {
        let one_lane = KdfParams {
            memory_kib: 256,
            passes: 2,
            lanes: 1,
        };
        let kek = derive(b"password", b"somesaltsomesalt", one_lane).unwrap();
        assert_eq!(
            hex(kek.expose()),
            "cab746b4621993fdc91ec50787980b414a90a692f0bc68dfe19f9c25b3cba9ec"
        );
        let four_lanes = KdfParams {
            memory_kib: 1024,
            passes: 3,
            lanes: 4,
        };
        let kek = derive(b"correct horse", b"0123456789abcdef", four_lanes).unwrap();
        assert_eq!(
            hex(kek.expose()),
            "8b98585ada6f12f73c4a46b1dc549fb7e19d75762349343a5ee34712157ea3c7"
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn absurd_parameters_are_refused_before_any_work() {
        for params in [
            KdfParams {
                memory_kib: 2 * 1024 * 1024,
                passes: 3,
                lanes: 4,
            },
            KdfParams {
                memory_kib: 65536,
                passes: 11,
                lanes: 4,
            },
            KdfParams {
                memory_kib: 65536,
                passes: 0,
                lanes: 4,
            },
            KdfParams {
                memory_kib: 16,
                passes: 1,
                lanes: 4,
            },
            KdfParams {
                memory_kib: 65536,
                passes: 1,
                lanes: 0,
            },
        ] {
            assert!(
                matches!(derive(b"p", &[0; 16], params), Err(Error::Damaged(_))),
                "{params:?}"
            );
        }
    }
}
