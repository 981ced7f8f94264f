//! Reading host keys as they come: `ssh-keyscan` lines (with or without the
//! host), `known_hosts` lines (host patterns, hashed hosts, markers), and
//! TrueNAS's keys joined by newlines.

use ssh_key::PublicKey;

use crate::Error;

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
            Error::Invalid(format!(
                "Line {} of Remote Host Key is not an SSH host key. Each line is a key such as \"ssh-ed25519 AAAA…\", as ssh-keyscan prints it.",
                number + 1
            ))
        })?;
        if !keys.iter().any(|k| k.key_data() == key.key_data()) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Err(Error::Invalid("Remote Host Key has no host key.".into()));
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
