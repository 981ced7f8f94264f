//! What a keyring entry holds, and how its plaintext is laid out inside the
//! encryption (a small binary encoding, so secrets never pass through a
//! general-purpose serializer's buffers).

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::wire::{Reader, Writer};
use crate::{Error, KeyringProblem};

const MAX_ID: usize = 128;

/// The secret value stored under an entry id.
pub enum EntryValue {
    /// An API key for a TrueNAS system, and the user it belongs to.
    /// A TrueNAS API key and the user it belongs to.
    ApiKey {
        /// The TrueNAS user the key belongs to.
        username: String,
        /// The key itself.
        key: SecretString,
    },
    /// An SSH private key in OpenSSH format.
    /// An SSH private key in OpenSSH form.
    SshPrivateKey {
        /// The key in OpenSSH's PEM form.
        openssh: SecretString,
    },
}

impl std::fmt::Debug for EntryValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiKey { username, .. } => f
                .debug_struct("ApiKey")
                .field("username", username)
                .field("key", &"[REDACTED]")
                .finish(),
            Self::SshPrivateKey { .. } => f.write_str("SshPrivateKey([REDACTED])"),
        }
    }
}

const KIND_API_KEY: u8 = 1;
const KIND_SSH_PRIVATE_KEY: u8 = 2;

impl EntryValue {
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer(Vec::with_capacity(self.encoded_len()));
        match self {
            Self::ApiKey { username, key } => {
                w.u8(KIND_API_KEY)
                    .str16(username)
                    .bytes32(key.expose_secret().as_bytes());
            }
            Self::SshPrivateKey { openssh } => {
                w.u8(KIND_SSH_PRIVATE_KEY)
                    .bytes32(openssh.expose_secret().as_bytes());
            }
        }
        Zeroizing::new(w.0)
    }

    fn encoded_len(&self) -> usize {
        match self {
            Self::ApiKey { username, key } => {
                1 + 2 + username.len() + 4 + key.expose_secret().len()
            }
            Self::SshPrivateKey { openssh } => 1 + 4 + openssh.expose_secret().len(),
        }
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let secret = |r: &mut Reader<'_>| -> Result<SecretString, Error> {
            let raw = r.bytes32(bytes.len(), "entry")?;
            std::str::from_utf8(raw)
                .map(|s| SecretString::from(s.to_owned()))
                .map_err(|_| Error::Damaged("an entry is not text".into()))
        };
        let value = match r.u8()? {
            KIND_API_KEY => Self::ApiKey {
                username: r.str16(256, "user name")?.to_owned(),
                key: secret(&mut r)?,
            },
            KIND_SSH_PRIVATE_KEY => Self::SshPrivateKey {
                openssh: secret(&mut r)?,
            },
            _ => return Err(Error::Damaged("an entry has an unknown kind".into())),
        };
        if !r.is_empty() {
            return Err(Error::Damaged("an entry has trailing bytes".into()));
        }
        Ok(value)
    }
}

/// The entry id for a system's API key.
pub fn api_key_id(system_id: &str) -> String {
    format!("api-key/{system_id}")
}

/// The entry id for a keypair's private half.
pub fn ssh_private_key_id(keypair_id: &str) -> String {
    format!("ssh-private/{keypair_id}")
}

/// Entry ids are short ASCII: lower-case letters, digits and `._/-`.
pub(crate) fn validate_id(id: &str) -> Result<(), Error> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._/-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::Keyring(KeyringProblem::EntryId(id.to_owned())))
    }
}

pub(crate) const MAX_ENTRY_ID: usize = MAX_ID;
