//! Where accounts, sessions and blobs live. One small trait, two
//! implementations (SQLite by default, PostgreSQL for several servers sharing
//! one database), both run through the same test suite.
//!
//! Both speak the same SQL (`$N` parameters work in both), so the queries are
//! written once in `sql.rs` and stamped onto each pool type; what differs —
//! opening, pragmas, migrations — stays in `sqlite.rs` and `postgres.rs`.

#[macro_use]
mod sql;
mod error;
mod postgres;
mod sqlite;

use std::{path::Path, sync::Arc};

use async_trait::async_trait;
use sqlx::PgPool;

pub use error::StoreError;

pub type AccountId = i64;

/// How announcements reach the other servers.
pub enum Reach {
    /// One server (SQLite): announced to this server's streams only.
    ThisServer,
    /// Every server on this PostgreSQL database, this one included (its own
    /// NOTIFY comes back to its listener).
    Postgres(PgPool),
}

/// A blob as listed: everything but its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub name: String,
    pub tag: String,
    pub size: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub tag: String,
    pub data: Vec<u8>,
}

/// What a write expects to find.
#[derive(Debug, Clone, Copy)]
pub enum Precondition<'a> {
    /// `If-None-Match: *`: the blob must not exist yet.
    Create,
    /// `If-Match: <tag>`: the blob must exist with this tag.
    Match(&'a str),
}

/// One blob write, as [`Store::put_blob`] takes it.
#[derive(Debug, Clone, Copy)]
pub struct BlobWrite<'a> {
    pub account: AccountId,
    pub name: &'a str,
    pub precondition: Precondition<'a>,
    pub data: &'a [u8],
    /// The tag the blob gets.
    pub new_tag: &'a str,
    pub now_ms: i64,
    /// Bytes all of the account's blobs may take, this one included.
    pub quota: i64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum PutOutcome {
    Stored,
    /// The precondition did not hold; `current` is the tag there now.
    Conflict {
        current: Option<String>,
    },
    /// The account's blobs would exceed its quota.
    OverQuota,
}

#[derive(Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    Conflict { current: Option<String> },
}

/// A live session's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionAccount {
    pub account: AccountId,
    pub username: String,
    pub last_seen_ms: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> Result<(), StoreError>;

    /// `None` when the user name is taken.
    async fn create_account(
        &self,
        username: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<Option<AccountId>, StoreError>;

    /// The account id and password hash for a user name.
    async fn account_by_name(
        &self,
        username: &str,
    ) -> Result<Option<(AccountId, String)>, StoreError>;

    async fn create_session(
        &self,
        token_hash: &[u8],
        account: AccountId,
        now_ms: i64,
    ) -> Result<(), StoreError>;

    /// The session's account if it was last seen at or after `idle_since`
    /// and created at or after `created_since`.
    async fn session(
        &self,
        token_hash: &[u8],
        idle_since: i64,
        created_since: i64,
    ) -> Result<Option<SessionAccount>, StoreError>;

    async fn touch_session(&self, token_hash: &[u8], now_ms: i64) -> Result<(), StoreError>;

    async fn delete_session(&self, token_hash: &[u8]) -> Result<(), StoreError>;

    /// Removes sessions idle since before `idle_since` or created before
    /// `created_since`.
    async fn delete_expired_sessions(
        &self,
        idle_since: i64,
        created_since: i64,
    ) -> Result<(), StoreError>;

    async fn list_blobs(&self, account: AccountId) -> Result<Vec<BlobMeta>, StoreError>;

    async fn get_blob(&self, account: AccountId, name: &str) -> Result<Option<Blob>, StoreError>;

    /// Writes a blob if its precondition holds and the account's blobs
    /// stay within the quota; atomically, so of two writers holding the
    /// same tag exactly one wins.
    async fn put_blob(&self, write: BlobWrite<'_>) -> Result<PutOutcome, StoreError>;

    async fn delete_blob(
        &self,
        account: AccountId,
        name: &str,
        tag: &str,
    ) -> Result<DeleteOutcome, StoreError>;

    /// How writes are announced to live streams: this server only (SQLite),
    /// or every server on the database (PostgreSQL `NOTIFY`).
    fn reach(&self) -> Reach;
}

/// Opens the store a URL names (`sqlite://…` or `postgres://…`) and brings its
/// schema up to date.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else if let Some(path) = url.strip_prefix("sqlite://") {
        Ok(Arc::new(sqlite::SqliteStore::open(Path::new(path)).await?))
    } else {
        Err(StoreError::Open(format!(
            "unsupported database URL {:?}: use sqlite://PATH or postgres://…",
            redact_url(url)
        )))
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://kh:s3cret@db:5432/keyhaven"),
            "postgres://kh:***@db:5432/keyhaven"
        );
        assert_eq!(redact_url("sqlite://./data/x"), "sqlite://./data/x");
    }
}
