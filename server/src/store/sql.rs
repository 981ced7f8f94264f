//! The queries, written once for both databases (`$N` parameters are
//! understood by SQLite and PostgreSQL alike), and stamped onto each pool
//! type by `sql_store!`.

/// Reads use `self.pool`; writes use `self.writer()`, which for SQLite is a
/// one-connection pool: writers then wait their turn in the pool's fair
/// queue instead of spinning on SQLite's busy handler (which made the
/// slowest writes wait hundreds of milliseconds under load).
///
/// Sum of the sizes of an account's other blobs plus the new one must stay
/// within the quota. A write first locks its account's row (a no-op
/// update, in the same transaction), so concurrent writes of one account
/// take turns and each quota check sees the others' committed blobs; writes
/// of different accounts don't wait for each other. (SQLite has one writer
/// anyway; PostgreSQL's READ COMMITTED needs the lock.)
macro_rules! sql_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn reach(&self) -> $crate::store::Reach {
                self.events_reach()
            }

            async fn ping(&self) -> Result<(), $crate::store::StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn create_account(
                &self,
                username: &str,
                password_hash: &str,
                now_ms: i64,
            ) -> Result<Option<$crate::store::AccountId>, $crate::store::StoreError> {
                let id: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO accounts (username, password_hash, created_ms) VALUES ($1, $2, $3)
                     ON CONFLICT (username) DO NOTHING RETURNING id",
                )
                .bind(username)
                .bind(password_hash)
                .bind(now_ms)
                .fetch_optional(self.writer())
                .await?;
                Ok(id.map(|(id,)| id))
            }

            async fn account_by_name(
                &self,
                username: &str,
            ) -> Result<Option<($crate::store::AccountId, String)>, $crate::store::StoreError> {
                Ok(sqlx::query_as("SELECT id, password_hash FROM accounts WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn create_session(
                &self,
                token_hash: &[u8],
                account: $crate::store::AccountId,
                now_ms: i64,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, account_id, created_ms, last_seen_ms)
                     VALUES ($1, $2, $3, $3)",
                )
                .bind(token_hash)
                .bind(account)
                .bind(now_ms)
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &[u8],
                idle_since: i64,
                created_since: i64,
            ) -> Result<Option<$crate::store::SessionAccount>, $crate::store::StoreError> {
                let row: Option<(i64, String, i64)> = sqlx::query_as(
                    "SELECT s.account_id, a.username, s.last_seen_ms
                     FROM sessions s JOIN accounts a ON a.id = s.account_id
                     WHERE s.token_hash = $1 AND s.last_seen_ms >= $2 AND s.created_ms >= $3",
                )
                .bind(token_hash)
                .bind(idle_since)
                .bind(created_since)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(account, username, last_seen_ms)| $crate::store::SessionAccount {
                    account,
                    username,
                    last_seen_ms,
                }))
            }

            async fn touch_session(&self, token_hash: &[u8], now_ms: i64) -> Result<(), $crate::store::StoreError> {
                sqlx::query("UPDATE sessions SET last_seen_ms = $1 WHERE token_hash = $2")
                    .bind(now_ms)
                    .bind(token_hash)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn delete_session(&self, token_hash: &[u8]) -> Result<(), $crate::store::StoreError> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn delete_expired_sessions(
                &self,
                idle_since: i64,
                created_since: i64,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query("DELETE FROM sessions WHERE last_seen_ms < $1 OR created_ms < $2")
                    .bind(idle_since)
                    .bind(created_since)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn list_blobs(
                &self,
                account: $crate::store::AccountId,
            ) -> Result<Vec<$crate::store::BlobMeta>, $crate::store::StoreError> {
                let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
                    "SELECT name, tag, CAST(LENGTH(data) AS BIGINT), updated_ms FROM blobs
                     WHERE account_id = $1 ORDER BY name",
                )
                .bind(account)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(name, tag, size, updated_ms)| $crate::store::BlobMeta {
                        name,
                        tag,
                        size,
                        updated_ms,
                    })
                    .collect())
            }

            async fn get_blob(
                &self,
                account: $crate::store::AccountId,
                name: &str,
            ) -> Result<Option<$crate::store::Blob>, $crate::store::StoreError> {
                let row: Option<(String, Vec<u8>)> =
                    sqlx::query_as("SELECT tag, data FROM blobs WHERE account_id = $1 AND name = $2")
                        .bind(account)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|(tag, data)| $crate::store::Blob { tag, data }))
            }

            async fn put_blob(
                &self,
                write: $crate::store::BlobWrite<'_>,
            ) -> Result<$crate::store::PutOutcome, $crate::store::StoreError> {
                let $crate::store::BlobWrite {
                    account,
                    name,
                    precondition,
                    data,
                    new_tag,
                    now_ms,
                    quota,
                } = write;
                let size = data.len() as i64;
                // The transaction runs in a task of its own: a request
                // dropped mid-way (the client went away) must not drop the
                // transaction mid-flight, which could hand its connection
                // back to the pool still inside it.
                let pool = self.writer().clone();
                let (name_owned, tag_owned, data_owned, new_tag_owned) = (
                    name.to_owned(),
                    match precondition {
                        $crate::store::Precondition::Create => None,
                        $crate::store::Precondition::Match(tag) => Some(tag.to_owned()),
                    },
                    data.to_vec(),
                    new_tag.to_owned(),
                );
                let written = tokio::spawn(async move {
                    let mut tx = pool.begin().await?;
                    sqlx::query("UPDATE accounts SET created_ms = created_ms WHERE id = $1")
                        .bind(account)
                        .execute(&mut *tx)
                        .await?;
                    // Create, or replace the version `tag` names; either
                    // way only within the quota.
                    let sql = match tag_owned {
                        None => {
                            "INSERT INTO blobs (account_id, name, tag, data, updated_ms)
                             SELECT $1, $2, $3, $4, $5
                             WHERE (SELECT COALESCE(SUM(LENGTH(data)), 0) FROM blobs WHERE account_id = $1) + $6 <= $7
                             ON CONFLICT (account_id, name) DO NOTHING"
                        }
                        Some(_) => {
                            "UPDATE blobs SET tag = $3, data = $4, updated_ms = $5
                             WHERE account_id = $1 AND name = $2 AND tag = $8
                             AND (SELECT COALESCE(SUM(LENGTH(data)), 0) FROM blobs
                                  WHERE account_id = $1 AND name <> $2) + $6 <= $7"
                        }
                    };
                    let mut query = sqlx::query(sql)
                        .bind(account)
                        .bind(&name_owned)
                        .bind(&new_tag_owned)
                        .bind(&data_owned)
                        .bind(now_ms)
                        .bind(size)
                        .bind(quota);
                    if let Some(tag) = &tag_owned {
                        query = query.bind(tag);
                    }
                    let written = query.execute(&mut *tx).await?;
                    // Announced in the write's own transaction, where the
                    // database can (PostgreSQL): delivered at commit, and
                    // only if it commits.
                    if let (1, Some(notify)) = (written.rows_affected(), <$store>::NOTIFY_SQL) {
                        let change = $crate::events::Change {
                            account,
                            name: name_owned.clone(),
                            tag: Some(new_tag_owned.clone()),
                        };
                        sqlx::query(notify)
                            .bind(change.payload())
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok::<u64, sqlx::Error>(written.rows_affected())
                })
                .await??;
                if written == 1 {
                    return Ok($crate::store::PutOutcome::Stored);
                }
                // Not written: either the precondition failed or the quota.
                let current = self.current_tag(account, name).await?;
                let precondition_held = match precondition {
                    $crate::store::Precondition::Create => current.is_none(),
                    $crate::store::Precondition::Match(tag) => current.as_deref() == Some(tag),
                };
                Ok(if precondition_held {
                    $crate::store::PutOutcome::OverQuota
                } else {
                    $crate::store::PutOutcome::Conflict { current }
                })
            }

            async fn delete_blob(
                &self,
                account: $crate::store::AccountId,
                name: &str,
                tag: &str,
            ) -> Result<$crate::store::DeleteOutcome, $crate::store::StoreError> {
                let deleted =
                    sqlx::query("DELETE FROM blobs WHERE account_id = $1 AND name = $2 AND tag = $3")
                        .bind(account)
                        .bind(name)
                        .bind(tag)
                        .execute(self.writer())
                        .await?;
                if deleted.rows_affected() == 1 {
                    Ok($crate::store::DeleteOutcome::Deleted)
                } else {
                    Ok($crate::store::DeleteOutcome::Conflict {
                        current: self.current_tag(account, name).await?,
                    })
                }
            }
        }

        impl $store {
            async fn current_tag(
                &self,
                account: $crate::store::AccountId,
                name: &str,
            ) -> Result<Option<String>, $crate::store::StoreError> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT tag FROM blobs WHERE account_id = $1 AND name = $2")
                        .bind(account)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|(tag,)| tag))
            }
        }
    };
}
