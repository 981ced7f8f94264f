//! Why a system's stored key is not "Connected": the Connected column's
//! reason, and why a remote key could not be deleted.

use keyhaven_core::Error as CoreError;

use crate::net::truenas::TrueNasError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotConnected {
    #[error("no key stored")]
    NoKey,
    #[error("locked")]
    Locked,
    #[error("removed meanwhile, maybe on another device")]
    Gone,
    /// A sealed field doesn't verify.
    #[error("{0}")]
    Untrusted(crate::untrusted::Untrusted),
    #[error("refused: an http:// URL (TrueNAS revokes keys sent without TLS)")]
    PlainHttp,
    #[error("key rejected or revoked: Authenticate again")]
    Rejected,
    #[error("the key's id on the system is unknown")]
    UnknownKeyId,
    #[error("{0}")]
    TrueNas(#[from] TrueNasError),
    /// The stored key can't be read (damaged or altered).
    #[error("{0}")]
    Damaged(CoreError),
    #[error("{0}")]
    Unavailable(String),
}
