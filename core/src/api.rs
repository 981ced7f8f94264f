//! Wire types of the server's JSON API (`/api/v1`), used by both the app and
//! the server so the two can't drift apart.

mod blob_name;
mod tag;

pub use blob_name::BlobName;
pub use tag::{NotATag, Tag};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// `GET /api/v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// The server's state (`ok` when its database answers).
    pub status: String,
    /// The server's version (its crate version).
    pub version: String,
}

/// Every error the API returns: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error's code and message.
    pub error: ErrorDetail,
}

/// The inside of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable (`not_found`, `precondition_failed`, ...).
    pub code: String,
    /// For people: what happened and what to do next.
    pub message: String,
}

impl ErrorBody {
    /// An error body with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

/// `POST /api/v1/accounts` and `POST /api/v1/session`. The password is
/// zeroized on drop and never printed.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The account's name (trimmed and lower-cased by the server).
    pub username: String,
    /// The account's password (sent over TLS, hashed by the server).
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

/// `GET /api/v1/session`, and the answer to creating an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmI {
    /// The signed-in account's name.
    pub username: String,
}

/// One blob as `GET /api/v1/blobs` lists it, and as a write answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobInfo {
    /// The blob's name (`keyring`, `metadata`).
    pub name: String,
    /// The blob's current entity tag (also sent as `ETag`, in quotes).
    pub tag: Tag,
    /// Its size in bytes.
    pub size: u64,
    /// Milliseconds since the Unix epoch.
    pub updated: u64,
}

/// `POST /api/v1/host-keys/scan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The SSH server's host name or address.
    pub host: String,
    /// Its port (22 unless given).
    #[serde(default = "default_ssh_port")]
    pub port: u16,
    /// How long to wait for it, in seconds (10 unless given).
    #[serde(default = "default_scan_timeout")]
    pub timeout_secs: u64,
}

fn default_ssh_port() -> u16 {
    22
}

fn default_scan_timeout() -> u64 {
    10
}

/// One host key an SSH server offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKey {
    /// The key's algorithm as OpenSSH names it (`ssh-ed25519`, `ssh-rsa`, ...).
    pub algorithm: String,
    /// The OpenSSH public key line, without host or comment.
    pub public_key: String,
    /// `SHA256:` and the unpadded base64 digest, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
}

/// The answer to a scan: every key, in a stable order (RSA, ECDSA by curve
/// size, Ed25519, as TrueNAS lists them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanResult {
    /// Every key, in the order above.
    pub keys: Vec<HostKey>,
}

#[cfg(test)]
mod tests;
