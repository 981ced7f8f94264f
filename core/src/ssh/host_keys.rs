//! Reading host keys as they come: `ssh-keyscan` lines (with or without the
//! host), `known_hosts` lines (host patterns, hashed hosts, markers), and
//! TrueNAS's keys joined by newlines.

use ssh_key::PublicKey;

use crate::{
    Error,
    model::{Field, Reason},
};

/// Every host key in `text`, in order, without duplicates. Comment lines
/// and blank lines are skipped; any other line must hold a key.
pub fn parse_host_keys(text: &str) -> Result<Vec<PublicKey>, Error> {
    let mut keys: Vec<PublicKey> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = parse_line(line).ok_or_else(|| {
            Error::field(
                Field::RemoteHostKey,
                Reason::NotAHostKey { line: number + 1 },
            )
        })?;
        if !keys.iter().any(|k| k.key_data() == key.key_data()) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Err(Error::field(Field::RemoteHostKey, Reason::NoHostKey));
    }
    Ok(keys)
}

/// The key on one line: the first `type base64` pair of tokens that reads
/// as a key, whatever stands before it (host names, a marker).
fn parse_line(line: &str) -> Option<PublicKey> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    if tokens
        .first()
        .is_some_and(|t| *t == "@revoked" || *t == "@cert-authority")
    {
        return None;
    }
    tokens.windows(2).find_map(|pair| {
        let key = PublicKey::from_openssh(&format!("{} {}", pair[0], pair[1])).ok()?;
        let mut key = key;
        key.set_comment("");
        Some(key)
    })
}

/// Host keys written one per line, as TrueNAS stores them.
pub fn format_host_keys(keys: &[PublicKey]) -> String {
    keys.iter()
        .filter_map(|k| k.to_openssh().ok())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a Discover Remote Host Key answer means for the keys the form holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discovered {
    /// Nothing held yet, or the very same keys (in any order, with any
    /// comments): take the answer.
    Take,
    /// Other keys than the ones held: a reinstalled remote, or someone in
    /// between. Show both, and replace only on the user's word.
    Changed,
}

/// Compares the keys held (`held`, the field's text) with the ones the
/// remote offered now.
pub fn judge_discovered(held: &str, offered: &str) -> Discovered {
    if held.trim().is_empty() {
        return Discovered::Take;
    }
    let same = parse_host_keys(held)
        .ok()
        .zip(parse_host_keys(offered).ok())
        .is_some_and(|(old, new)| {
            old.len() == new.len()
                && new
                    .iter()
                    .all(|n| old.iter().any(|o| o.key_data() == n.key_data()))
        });
    if same {
        Discovered::Take
    } else {
        Discovered::Changed
    }
}

/// TrueNAS stores a connection's host keys in a plain string field, and the
/// API refuses a plain string over 1024 characters (`reference/truenas.md`).
pub const TRUENAS_HOST_KEY_LIMIT: usize = 1024;

/// Host keys chosen to fit [`TRUENAS_HOST_KEY_LIMIT`], and the ones that
/// did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FittedHostKeys {
    /// The keys that fit, in order.
    pub kept: Vec<PublicKey>,
    /// The keys that didn't fit.
    pub left_out: Vec<PublicKey>,
}

impl FittedHostKeys {
    /// The kept keys as TrueNAS stores them, one per line.
    pub fn text(&self) -> String {
        format_host_keys(&self.kept)
    }

    /// What was left out, for the user: `RSA 4096 SHA256:…`, one per key.
    pub fn left_out_described(&self) -> Vec<String> {
        self.left_out
            .iter()
            .map(|k| format!("{} {}", super::describe(k), super::fingerprint_sha256(k)))
            .collect()
    }
}

/// Chooses the host keys to store so that they fit TrueNAS's field:
/// Ed25519 first, then ECDSA, then RSA, the strongest of each first, each
/// taken while the lines still fit. Keys that fit are never dropped for
/// order's sake; the rest are returned as left out.
pub fn fit_host_keys(keys: &[PublicKey]) -> FittedHostKeys {
    let mut ordered: Vec<&PublicKey> = keys.iter().collect();
    ordered.sort_by_key(|k| preference(k));
    let mut kept: Vec<PublicKey> = Vec::new();
    let mut left_out = Vec::new();
    let mut length = 0;
    for key in ordered {
        let line = key.to_openssh().map_or(usize::MAX, |l| l.len());
        let with = if kept.is_empty() {
            line
        } else {
            length + 1 + line
        };
        if with <= TRUENAS_HOST_KEY_LIMIT {
            length = with;
            kept.push(key.clone());
        } else {
            left_out.push(key.clone());
        }
    }
    FittedHostKeys { kept, left_out }
}

/// Lower is stored first: Ed25519, ECDSA (P-521, P-384, P-256), RSA
/// (longest modulus first), then anything else.
fn preference(key: &PublicKey) -> (u8, usize) {
    use ssh_key::{EcdsaCurve, public::KeyData};
    match key.key_data() {
        KeyData::Ed25519(_) => (0, 0),
        KeyData::Ecdsa(ecdsa) => match ecdsa.curve() {
            EcdsaCurve::NistP521 => (1, 0),
            EcdsaCurve::NistP384 => (1, 1),
            EcdsaCurve::NistP256 => (1, 2),
        },
        KeyData::Rsa(rsa) => (2, usize::MAX - rsa.n.as_bytes().len()),
        _ => (3, 0),
    }
}
