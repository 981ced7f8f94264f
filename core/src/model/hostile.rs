//! Metadata from the server is input like any other: a hostile server can
//! send a URL with another scheme, a name of a megabyte, or an item
//! stamped in the year 3000 that would win every merge. Such items are
//! refused one by one before merging, so this browser's own version of
//! the item stays (and is pushed back).

use std::collections::BTreeMap;

use super::{
    Connection, Item, Keypair, Kind, MAX_CONNECT_TIMEOUT, Metadata, System, normalize_truenas_url,
    validate_host,
};

/// How far ahead of this browser's clock a write may be stamped.
pub const MAX_CLOCK_SKEW_MS: u64 = 24 * 60 * 60 * 1000;

const MAX_NAME: usize = 200;
const MAX_ID: usize = 64;
const MAX_SHORT: usize = 256;
const MAX_KEY: usize = 16 * 1024;
const MAX_HOST_KEYS: usize = 64 * 1024;
const MAX_SEAL: usize = 128 * 1024;

/// What an item's fields must satisfy.
trait Checked {
    fn problem(&self) -> Option<&'static str>;
}

fn too_long(value: &str, max: usize) -> bool {
    value.len() > max
}

fn bad_name(name: &str) -> bool {
    name.trim().is_empty() || too_long(name, MAX_NAME) || name.chars().any(char::is_control)
}

impl Checked for System {
    fn problem(&self) -> Option<&'static str> {
        if bad_name(&self.name) {
            return Some("its name is empty, too long or has control characters");
        }
        // Exactly what the Add System form would have stored.
        if normalize_truenas_url(&self.url, "https").ok().as_deref() != Some(self.url.as_str()) {
            return Some("its URL is not an http:// or https:// address");
        }
        if self
            .api_username
            .as_deref()
            .is_some_and(|u| u.is_empty() || too_long(u, MAX_SHORT))
        {
            return Some("its API user name is invalid");
        }
        None
    }
}

impl Checked for Keypair {
    fn problem(&self) -> Option<&'static str> {
        if bad_name(&self.name) {
            return Some("its name is empty, too long or has control characters");
        }
        if too_long(&self.key_type, MAX_SHORT)
            || too_long(&self.public_key, MAX_KEY)
            || too_long(&self.fingerprint, MAX_SHORT)
        {
            return Some("its key is too large");
        }
        None
    }
}

impl Checked for Connection {
    fn problem(&self) -> Option<&'static str> {
        if bad_name(&self.name) {
            return Some("its name is empty, too long or has control characters");
        }
        if validate_host(&self.host).is_err() {
            return Some("its host is not a host name or IP address");
        }
        if self.port == 0
            || !(1..=MAX_CONNECT_TIMEOUT).contains(&self.connect_timeout)
            || self.username.trim().is_empty()
            || too_long(&self.username, MAX_SHORT)
            || too_long(&self.keypair_id, MAX_ID)
            || too_long(&self.remote_host_keys, MAX_HOST_KEYS)
        {
            return Some("its port, timeout, username or host keys are out of range");
        }
        None
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn refuse_in<T: Checked>(
    map: &mut BTreeMap<String, Item<T>>,
    kind: Kind,
    now_ms: u64,
    refused: &mut Vec<(Kind, String, &'static str)>,
) {
    map.retain(|id, item| {
        let problem = if !valid_id(id) {
            Some("its id is invalid")
        } else if item.updated > now_ms.saturating_add(MAX_CLOCK_SKEW_MS) {
            Some("it is stamped in the future")
        } else if too_long(&item.by, MAX_ID) {
            Some("its device id is invalid")
        } else if item.seal.as_deref().is_some_and(|s| too_long(s, MAX_SEAL)) {
            Some("its seal is too large")
        } else {
            item.value.as_ref().and_then(Checked::problem)
        };
        if let Some(problem) = problem {
            refused.push((kind, id.clone(), problem));
        }
        problem.is_none()
    });
}

impl Metadata {
    /// Drops every item a well-behaved Keyhaven could not have written
    /// (`now_ms` is this browser's clock); returns what was dropped and
    /// why, for the user.
    pub fn refuse_invalid(&mut self, now_ms: u64) -> Vec<(Kind, String, &'static str)> {
        let mut refused = Vec::new();
        refuse_in(&mut self.systems, Kind::System, now_ms, &mut refused);
        refuse_in(&mut self.keypairs, Kind::Keypair, now_ms, &mut refused);
        refuse_in(
            &mut self.connections,
            Kind::Connection,
            now_ms,
            &mut refused,
        );
        refused
    }
}
