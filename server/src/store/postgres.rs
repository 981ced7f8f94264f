use std::time::Duration;

use sqlx::{PgPool, postgres::PgPoolOptions};

use super::StoreError;

pub(super) struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// A blob write tells every server on the database, in its transaction.
    const NOTIFY_SQL: Option<&'static str> = Some("SELECT pg_notify('keyhaven_blobs', $1)");

    pub(super) async fn open(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        // Several servers may start at once against one database; sqlx's
        // migrator takes an advisory lock, so exactly one applies them.
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    /// Every server on this database hears every write (`LISTEN/NOTIFY`).
    fn events_reach(&self) -> crate::store::Reach {
        crate::store::Reach::Postgres(self.pool.clone())
    }

    /// PostgreSQL handles concurrent writers itself.
    fn writer(&self) -> &PgPool {
        &self.pool
    }
}

sql_store!(PgStore);
