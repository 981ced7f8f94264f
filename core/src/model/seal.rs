//! Which metadata can be trusted. The metadata document is plaintext on a
//! server that may be hostile, yet some of its fields decide where a secret
//! goes or what is trusted: a system's URL (its API key and the admin's
//! password go there), a keypair's public key (a remote authorizes it), a
//! connection's host and host keys. Those fields ([`Pinned`]) are sealed
//! under the keyring's data key, bound to the keyring, the item's kind and
//! its id ([`Item::seal`]); before a secret leaves the browser the item is
//! checked ([`Metadata::trust`]).
//!
//! An item written while the keyring is locked has no seal until this
//! browser seals it at the next unlock; one that changed outside the
//! keyring shows both values, and the user restores theirs
//! ([`Metadata::restore`]) or accepts the change ([`Metadata::seal`]).

use super::{Connection, Keypair, Kind, System};
use crate::{
    Error, MetadataProblem,
    keyring::wire::{Reader, Writer},
};

/// The sealed fields of one item, labelled for the user: `("URL", …)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned(pub Vec<(String, String)>);

impl Pinned {
    pub(super) fn of(fields: &[(&str, String)]) -> Self {
        Self(
            fields
                .iter()
                .map(|(label, value)| ((*label).to_owned(), value.clone()))
                .collect(),
        )
    }

    pub(super) fn get(&self, label: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u16(self.0.len() as u16);
        for (label, value) in &self.0 {
            w.str16(label).bytes32(value.as_bytes());
        }
        w.0
    }

    pub(super) fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::new(bytes);
        let count = r.u16().ok()?;
        let mut fields = Vec::with_capacity(usize::from(count).min(16));
        for _ in 0..count {
            let label = r.str16(64, "label").ok()?.to_owned();
            let value = r.bytes32(bytes.len(), "value").ok()?;
            fields.push((label, String::from_utf8(value.to_vec()).ok()?));
        }
        r.is_empty().then_some(Self(fields))
    }

    /// Sealed by an earlier release, before names and Connect Timeout were
    /// sealed: it has none of them.
    pub(super) fn is_legacy(&self) -> bool {
        self.get(NAME).is_none()
    }

    /// These fields without the ones earlier releases did not seal, to
    /// compare with a legacy seal.
    pub(super) fn as_legacy(&self) -> Self {
        Self(
            self.0
                .iter()
                .filter(|(label, _)| !ADDED.contains(&label.as_str()))
                .cloned()
                .collect(),
        )
    }

    /// The fields whose values differ, as `(label, trusted, now)`.
    pub fn differences<'a>(&'a self, now: &'a Pinned) -> Vec<(&'a str, &'a str, &'a str)> {
        self.0
            .iter()
            .filter_map(|(label, trusted)| {
                let current = now.get(label).unwrap_or_default();
                (current != trusted).then_some((label.as_str(), trusted.as_str(), current))
            })
            .collect()
    }
}

/// The label of every item's name: sealed, so a server that swaps two
/// systems' names can't have a key installed on the wrong one.
const NAME: &str = "Name";
/// A connection's Connect Timeout, sealed too.
const TIMEOUT: &str = "Connect timeout";
/// Fields sealed since names and timeouts are (absent from legacy seals).
const ADDED: [&str; 2] = [NAME, TIMEOUT];

/// Items with fields worth sealing.
pub trait Sealed: Clone {
    /// Which list items of this type are in.
    const KIND: Kind;
    /// The fields that steer secrets, as sealed.
    fn pinned(&self) -> Pinned;
    /// Puts the trusted values back.
    fn restore(&mut self, trusted: &Pinned) -> Result<(), Error>;
    /// The item's name, for messages.
    fn label(&self) -> &str;
}

fn field(trusted: &Pinned, label: &'static str) -> Result<String, Error> {
    trusted
        .get(label)
        .map(str::to_owned)
        .ok_or(Error::Metadata(MetadataProblem::SealedCopyLacks(label)))
}

/// The sealed name, when the seal has one (a legacy seal has none).
fn restore_name(name: &mut String, trusted: &Pinned) {
    if let Some(sealed) = trusted.get(NAME) {
        sealed.clone_into(name);
    }
}

fn optional(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

impl Sealed for System {
    const KIND: Kind = Kind::System;
    fn pinned(&self) -> Pinned {
        Pinned::of(&[
            (NAME, self.name.clone()),
            ("URL", self.url.clone()),
            ("API user", self.api_username.clone().unwrap_or_default()),
            (
                "API key id",
                self.api_key_id.map(|id| id.to_string()).unwrap_or_default(),
            ),
        ])
    }
    fn restore(&mut self, trusted: &Pinned) -> Result<(), Error> {
        restore_name(&mut self.name, trusted);
        self.url = field(trusted, "URL")?;
        self.api_username = optional(&field(trusted, "API user")?);
        self.api_key_id = optional(&field(trusted, "API key id")?).and_then(|id| id.parse().ok());
        Ok(())
    }
    fn label(&self) -> &str {
        &self.name
    }
}

impl Sealed for Keypair {
    const KIND: Kind = Kind::Keypair;
    fn pinned(&self) -> Pinned {
        Pinned::of(&[
            (NAME, self.name.clone()),
            ("Key type", self.key_type.clone()),
            ("Public key", self.public_key.clone()),
            ("Fingerprint", self.fingerprint.clone()),
        ])
    }
    fn restore(&mut self, trusted: &Pinned) -> Result<(), Error> {
        restore_name(&mut self.name, trusted);
        self.key_type = field(trusted, "Key type")?;
        self.public_key = field(trusted, "Public key")?;
        self.fingerprint = field(trusted, "Fingerprint")?;
        Ok(())
    }
    fn label(&self) -> &str {
        &self.name
    }
}

impl Sealed for Connection {
    const KIND: Kind = Kind::Connection;
    fn pinned(&self) -> Pinned {
        Pinned::of(&[
            (NAME, self.name.clone()),
            ("Host", self.host.clone()),
            ("Port", self.port.to_string()),
            ("Username", self.username.clone()),
            ("Private key", self.keypair_id.clone()),
            ("Remote host keys", self.remote_host_keys.clone()),
            (TIMEOUT, self.connect_timeout.to_string()),
        ])
    }
    fn restore(&mut self, trusted: &Pinned) -> Result<(), Error> {
        restore_name(&mut self.name, trusted);
        if let Some(timeout) = trusted.get(TIMEOUT) {
            self.connect_timeout = timeout
                .parse()
                .map_err(|_| Error::Metadata(MetadataProblem::SealedCopyLacks(TIMEOUT)))?;
        }
        self.host = field(trusted, "Host")?;
        self.port = field(trusted, "Port")?
            .parse()
            .map_err(|_| Error::Metadata(MetadataProblem::SealedCopyLacks("Port")))?;
        self.username = field(trusted, "Username")?;
        self.keypair_id = field(trusted, "Private key")?;
        self.remote_host_keys = field(trusted, "Remote host keys")?;
        Ok(())
    }
    fn label(&self) -> &str {
        &self.name
    }
}
