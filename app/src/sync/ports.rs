//! The engine's two edges, as traits: the Keyhaven server's blobs, and
//! this browser's saved copy. The browser implements them with `fetch` and
//! IndexedDB (`browser.rs`); the native tests with plain memory. Nothing
//! of Keyhaven's own logic lives behind them.

use keyhaven_core::api::{BlobInfo, BlobName, Tag};

use crate::{error::AppError, net::api::ApiError, saved::Saved};

/// A blob as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fetched {
    pub bytes: Vec<u8>,
    pub tag: Tag,
}

/// The account's blobs on the Keyhaven server (untrusted: whatever comes
/// back is checked by the replicas).
pub(crate) trait Blobs {
    async fn list(&self) -> Result<Vec<BlobInfo>, ApiError>;
    /// `None`: the server has no such blob.
    async fn get(&self, name: &str) -> Result<Option<Fetched>, ApiError>;
    /// Writes over the version `expected` names (`None`: create); a stale
    /// one is [`ApiError::Conflict`]. Returns the new tag.
    async fn put(&self, name: &str, bytes: &[u8], expected: Option<&Tag>) -> Result<Tag, ApiError>;
    async fn delete(&self, name: &str, tag: &Tag) -> Result<(), ApiError>;
}

/// This browser's saved copy of the account, shared by its tabs.
pub(crate) trait SavedCopy {
    /// Held while a tab reads, merges and writes the copy: no tab writes
    /// over another's unsynced edit.
    type Guard;
    async fn lock(&self) -> Self::Guard;
    async fn load(&self) -> Option<Saved>;
    /// The copy, only if it is of a generation after `than` (another tab
    /// stored since): a fleet's copy is megabytes, its generation is not.
    async fn load_newer(&self, than: u64) -> Option<Saved>;
    /// Writes the copy and tells the other tabs.
    async fn store(&self, copy: &Saved) -> Result<(), AppError>;
    /// The highest revision of `of` (the keyring's, or the metadata
    /// manifest's) proven for the account: kept apart from the copy,
    /// because signing out deletes the copy and must not forget it.
    fn highest_revision(&self, of: BlobName) -> u64;
    fn remember_highest_revision(&self, of: BlobName, revision: u64);
}
