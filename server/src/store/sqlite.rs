use std::{path::Path, time::Duration};

use sqlx::{
    SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use super::StoreError;

pub(super) struct SqliteStore {
    /// Readers (WAL lets them run beside the writer).
    pool: SqlitePool,
    /// The one writer connection; see `sql.rs`.
    writer: SqlitePool,
}

impl SqliteStore {
    pub(super) async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Open(format!(
                    "can't create the data directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // WAL lets readers run beside the one writer; FULL syncs the WAL
            // on every commit, so an acknowledged write survives a crash or
            // power loss (NORMAL would not).
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self { pool, writer })
    }

    /// One server per SQLite file: writes are announced locally, not here.
    const NOTIFY_SQL: Option<&'static str> = None;

    /// One server per SQLite file: writes are announced locally.
    fn events_reach(&self) -> crate::store::Reach {
        crate::store::Reach::ThisServer
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }
}

sql_store!(SqliteStore);
