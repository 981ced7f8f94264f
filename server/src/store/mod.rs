//! Where accounts, sessions and blobs live. One small trait, two
//! implementations (SQLite by default, PostgreSQL for several servers sharing
//! one database), both run through the same test suite.

mod postgres;
mod sqlite;

use std::{path::Path, sync::Arc};

use async_trait::async_trait;

use crate::Error;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> Result<(), Error>;
}

/// Opens the store a URL names (`sqlite://…` or `postgres://…`) and brings its
/// schema up to date.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, Error> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else if let Some(path) = url.strip_prefix("sqlite://") {
        Ok(Arc::new(sqlite::SqliteStore::open(Path::new(path)).await?))
    } else {
        Err(Error::Store(sqlx::Error::Configuration(
            format!("unsupported database URL scheme in {url:?}: use sqlite:// or postgres://")
                .into(),
        )))
    }
}
