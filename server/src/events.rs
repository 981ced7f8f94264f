//! Live sync: "blob X changed" announced to every browser signed in to the
//! account, over server-sent events (`GET /api/v1/events`), right after
//! each committed write. The announcement carries the blob's new tag, so
//! the browser that wrote it recognizes its own write and others pull at
//! once. Several servers on one PostgreSQL hear each other's writes through
//! `LISTEN/NOTIFY`; SQLite serves one server, which announces locally.
//!
//! Bounded: connections per account and in all are capped, and every
//! stream ends after a while so the browser reconnects with its session
//! checked again.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use sqlx::{PgPool, postgres::PgListener};
use tokio::sync::broadcast;

use crate::store::{AccountId, Reach};

/// The PostgreSQL channel the servers announce writes on (blob writes
/// notify it in their own transaction, `store/postgres.rs`).
const CHANNEL: &str = "keyhaven_blobs";

/// One committed change of one blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub account: AccountId,
    pub name: String,
    /// The blob's tag after the write; `None` when it was deleted.
    pub tag: Option<String>,
}

impl Change {
    /// `"<account> <name> <tag or ->"`: names are `[a-z0-9._-]`, tags hex,
    /// so spaces separate safely.
    pub fn payload(&self) -> String {
        format!(
            "{} {} {}",
            self.account,
            self.name,
            self.tag.as_deref().unwrap_or("-")
        )
    }

    fn from_payload(text: &str) -> Option<Self> {
        let mut parts = text.split(' ');
        let account = parts.next()?.parse().ok()?;
        let name = parts.next()?.to_owned();
        let tag = match parts.next()? {
            "-" => None,
            tag => Some(tag.to_owned()),
        };
        parts
            .next()
            .is_none()
            .then_some(Self { account, name, tag })
    }
}

/// Why a stream was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Full {
    Account,
    Server,
}

pub struct Events {
    sender: broadcast::Sender<Change>,
    reach: Reach,
    per_account: usize,
    global: usize,
    total: AtomicUsize,
    accounts: Mutex<HashMap<AccountId, usize>>,
}

impl Events {
    pub fn new(reach: Reach, per_account: usize, global: usize) -> Arc<Self> {
        let (sender, _) = broadcast::channel(1024);
        let events = Arc::new(Self {
            sender,
            reach,
            per_account,
            global,
            total: AtomicUsize::new(0),
            accounts: Mutex::new(HashMap::new()),
        });
        if let Reach::Postgres(pool) = &events.reach {
            tokio::spawn(listen(pool.clone(), events.sender.clone()));
        }
        events
    }

    /// Announces a committed blob write. On PostgreSQL the write's own
    /// transaction has already notified every server, this one included.
    pub fn written(&self, change: Change) {
        if let Reach::ThisServer = self.reach {
            // No receivers is fine: nobody is listening.
            let _ = self.sender.send(change);
        }
    }

    /// Announces a committed change the store did not notify itself (a
    /// delete). A failed NOTIFY still tells this server's streams; the
    /// other servers' browsers fall back to polling.
    pub async fn announce(&self, change: Change) {
        if let Reach::Postgres(pool) = &self.reach {
            let notified = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(change.payload())
                .execute(pool)
                .await;
            match notified {
                Ok(_) => return,
                Err(error) => {
                    tracing::warn!(%error, "could not announce a write to the other servers");
                }
            }
        }
        // No receivers is fine: nobody is listening.
        let _ = self.sender.send(change);
    }

    /// A stream's subscription, within the caps.
    pub fn subscribe(self: &Arc<Self>, account: AccountId) -> Result<Subscription, Full> {
        let mut accounts = self.accounts.lock().expect("not poisoned");
        let mine = accounts.entry(account).or_default();
        if *mine >= self.per_account {
            return Err(Full::Account);
        }
        if self.total.load(Ordering::Relaxed) >= self.global {
            return Err(Full::Server);
        }
        *mine += 1;
        self.total.fetch_add(1, Ordering::Relaxed);
        Ok(Subscription {
            events: self.clone(),
            account,
            receiver: self.sender.subscribe(),
        })
    }

    /// Open streams (for tests and logs).
    pub fn open_streams(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }
}

/// One open stream's place: counted until dropped.
pub struct Subscription {
    events: Arc<Events>,
    account: AccountId,
    receiver: broadcast::Receiver<Change>,
}

/// What a stream is told next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Changed {
        name: String,
        tag: Option<String>,
    },
    /// Announcements were missed (a slow stream): pull everything.
    Resync,
    Closed,
}

impl Subscription {
    /// The next change of this account's blobs.
    pub async fn next(&mut self) -> Next {
        loop {
            match self.receiver.recv().await {
                Ok(change) if change.account == self.account => {
                    return Next::Changed {
                        name: change.name,
                        tag: change.tag,
                    };
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => return Next::Resync,
                Err(broadcast::error::RecvError::Closed) => return Next::Closed,
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.events.total.fetch_sub(1, Ordering::Relaxed);
        let mut accounts = self.events.accounts.lock().expect("not poisoned");
        if let Some(count) = accounts.get_mut(&self.account) {
            *count -= 1;
            if *count == 0 {
                accounts.remove(&self.account);
            }
        }
    }
}

/// Passes every server's announcements (NOTIFY) to this server's streams;
/// reconnects with back-off when the database goes away.
async fn listen(pool: PgPool, sender: broadcast::Sender<Change>) {
    let mut delay = Duration::from_millis(250);
    loop {
        let listener = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        }
        .await;
        let mut listener = match listener {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "could not listen for other servers' writes; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        delay = Duration::from_millis(250);
        loop {
            match listener.recv().await {
                Ok(notification) => {
                    if let Some(change) = Change::from_payload(notification.payload()) {
                        let _ = sender.send(change);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "lost the database's notifications; reconnecting");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_junk_is_ignored() {
        let change = Change {
            account: 42,
            name: "keyring".into(),
            tag: Some("0a1b".into()),
        };
        assert_eq!(Change::from_payload(&change.payload()), Some(change));
        let deleted = Change {
            account: 1,
            name: "metadata".into(),
            tag: None,
        };
        assert_eq!(Change::from_payload(&deleted.payload()), Some(deleted));
        for junk in ["", "x keyring -", "1 keyring", "1 keyring t extra"] {
            assert_eq!(Change::from_payload(junk), None, "{junk:?}");
        }
    }

    #[tokio::test]
    async fn streams_are_capped_per_account_and_in_all() {
        let events = Events::new(Reach::ThisServer, 2, 3);
        let a1 = events.subscribe(1).unwrap();
        let _a2 = events.subscribe(1).unwrap();
        assert_eq!(events.subscribe(1).err(), Some(Full::Account));
        let _b1 = events.subscribe(2).unwrap();
        assert_eq!(events.subscribe(3).err(), Some(Full::Server));
        drop(a1);
        assert_eq!(events.open_streams(), 2);
        assert!(events.subscribe(3).is_ok());
    }

    #[tokio::test]
    async fn a_stream_hears_only_its_account() {
        let events = Events::new(Reach::ThisServer, 4, 8);
        let mut mine = events.subscribe(7).unwrap();
        events
            .announce(Change {
                account: 8,
                name: "keyring".into(),
                tag: Some("aa".into()),
            })
            .await;
        events
            .announce(Change {
                account: 7,
                name: "metadata".into(),
                tag: Some("bb".into()),
            })
            .await;
        assert_eq!(
            mine.next().await,
            Next::Changed {
                name: "metadata".into(),
                tag: Some("bb".into())
            }
        );
    }
}
