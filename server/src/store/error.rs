//! The store's own errors: what went wrong below the API. The routes turn
//! each into "storage unavailable" (503) and log it; no detail reaches a
//! client.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),

    #[error("migrating the schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// The database can't be opened as configured (its directory, its URL).
    #[error("{0}")]
    Open(String),

    /// A stored value the server could not have written (a blob tag that
    /// is not one).
    #[error("a stored {0} is damaged")]
    Damaged(&'static str),

    /// The task running a write's transaction panicked or was cancelled.
    #[error("the write task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}
