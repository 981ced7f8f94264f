//! The engine's edges in the browser: the Keyhaven server over `fetch`
//! (`net::api`), and the saved copy in IndexedDB under the tabs' lock.

use keyhaven_core::api::{BlobInfo, BlobName, Tag};

use super::{
    engine::Engine,
    ports::{Blobs, Fetched, SavedCopy},
};
use crate::{
    error::AppError,
    net::api::{self, ApiError},
    saved::{self, Saved},
    tabs,
};

/// The engine as the app runs it.
pub(crate) type BrowserEngine = Engine<Server, Browser>;

/// The Keyhaven server's `/api/v1/blobs`.
pub(crate) struct Server;

impl Blobs for Server {
    async fn list(&self) -> Result<Vec<BlobInfo>, ApiError> {
        api::list_blobs().await
    }

    async fn get(&self, name: &str) -> Result<Option<Fetched>, ApiError> {
        Ok(api::get_blob(name)
            .await?
            .map(|(bytes, tag)| Fetched { bytes, tag }))
    }

    async fn put(&self, name: &str, bytes: &[u8], expected: Option<&Tag>) -> Result<Tag, ApiError> {
        api::put_blob(name, bytes, expected).await
    }

    async fn delete(&self, name: &str, tag: &Tag) -> Result<(), ApiError> {
        api::delete_blob(name, tag).await
    }
}

/// This browser's IndexedDB copy of `user`'s account.
pub(crate) struct Browser {
    pub user: String,
}

impl SavedCopy for Browser {
    type Guard = tabs::Lock;

    async fn lock(&self) -> tabs::Lock {
        tabs::lock().await
    }

    async fn load(&self) -> Option<Saved> {
        saved::load(&self.user).await
    }

    async fn load_newer(&self, than: u64) -> Option<Saved> {
        saved::load_newer(&self.user, than).await
    }

    async fn store(&self, copy: &Saved) -> Result<(), AppError> {
        saved::store(copy).await?;
        tabs::announce();
        Ok(())
    }

    fn highest_revision(&self, of: BlobName) -> u64 {
        saved::highest_revision(&self.user, of)
    }

    fn remember_highest_revision(&self, of: BlobName, revision: u64) {
        saved::remember_highest_revision(&self.user, of, revision);
    }
}
