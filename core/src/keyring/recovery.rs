//! Recovery codes: 160 random bits written as 32 Crockford base32
//! characters in groups of four, easy to copy by hand
//! (`7K3D-0QZX-…`). Typing is forgiving: case, spaces and dashes don't
//! matter, and O/I/L read as 0/1/1.

use rand_core::CryptoRngCore;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::{Error, KeyringProblem};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub(crate) const CODE_BYTES: usize = 20;

/// A recovery code as shown to the user once; zeroized on drop.
pub struct RecoveryCode(SecretString);

impl RecoveryCode {
    /// A new random recovery code.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut raw = Zeroizing::new([0u8; CODE_BYTES]);
        rng.fill_bytes(&mut *raw);
        Self(SecretString::from(format_groups(&raw)))
    }

    /// The code in groups of four, for showing and downloading.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The bytes the key is derived from.
    pub(crate) fn raw(&self) -> Zeroizing<Vec<u8>> {
        parse(self.expose()).expect("a generated code parses")
    }
}

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode([REDACTED])")
    }
}

fn format_groups(raw: &[u8; CODE_BYTES]) -> String {
    // 160 bits → 32 five-bit digits.
    let mut out = String::with_capacity(39);
    let (mut acc, mut bits) = (0u32, 0);
    for &byte in raw {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            if !out.is_empty() && (out.len() + 1).is_multiple_of(5) {
                out.push('-');
            }
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    zeroize::Zeroize::zeroize(&mut acc);
    out
}

/// Reads a code as typed; gives its 20 bytes.
pub(crate) fn parse(input: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    let wrong = || Error::Keyring(KeyringProblem::NotARecoveryCode);
    let mut out = Zeroizing::new(Vec::with_capacity(CODE_BYTES));
    let (mut acc, mut bits, mut digits) = (0u32, 0, 0);
    for c in input.chars().filter(|c| !c.is_whitespace() && *c != '-') {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        let value = ALPHABET
            .iter()
            .position(|&a| a as char == c)
            .ok_or_else(wrong)?;
        acc = (acc << 5) | value as u32;
        bits += 5;
        digits += 1;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    zeroize::Zeroize::zeroize(&mut acc);
    if digits != 32 || out.len() != CODE_BYTES {
        return Err(wrong());
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
