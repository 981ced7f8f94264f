//! The blobs an account keeps on the server.

use std::fmt;

/// One of the account's blobs. The server stores any name; the app reads
/// and writes these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlobName {
    /// The keyring: secrets, encrypted in the browser.
    Keyring,
    /// The metadata document: systems, keypairs' public halves, connections.
    Metadata,
}

impl BlobName {
    /// Every blob the app keeps.
    pub const ALL: [Self; 2] = [Self::Keyring, Self::Metadata];

    /// The name in `/api/v1/blobs/{name}`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keyring => "keyring",
            Self::Metadata => "metadata",
        }
    }

    /// The blob a listed or announced name refers to, if the app keeps it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.as_str() == name)
    }
}

impl fmt::Display for BlobName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
