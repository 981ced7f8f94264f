//! A short-lived memory of sessions just checked against the store, so a
//! burst of requests with one cookie costs one session query per second
//! instead of one each (blob GETs are otherwise two queries).
//!
//! Signing out here forgets the session at once. Another server instance
//! sharing the database may honour a session for up to [`FRESH_MS`] after it
//! ended elsewhere; expiry is as precise.

use std::{collections::HashMap, sync::Mutex};

use crate::store::SessionAccount;

/// How long a checked session is trusted without asking the store again.
pub(crate) const FRESH_MS: i64 = 1_000;
/// Above this many entries, stale ones are swept on insert.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Default)]
pub(crate) struct SessionCache {
    checked: Mutex<HashMap<Vec<u8>, (SessionAccount, i64)>>,
}

impl SessionCache {
    /// The session behind `token_hash`, if it was checked within FRESH_MS.
    pub(crate) fn get(&self, token_hash: &[u8], now_ms: i64) -> Option<SessionAccount> {
        let checked = self.checked.lock().expect("not poisoned");
        checked
            .get(token_hash)
            .filter(|(_, at)| now_ms - at < FRESH_MS && now_ms >= *at)
            .map(|(session, _)| session.clone())
    }

    pub(crate) fn insert(&self, token_hash: &[u8], session: SessionAccount, now_ms: i64) {
        let mut checked = self.checked.lock().expect("not poisoned");
        if checked.len() > SWEEP_ABOVE {
            checked.retain(|_, (_, at)| now_ms - *at < FRESH_MS);
        }
        checked.insert(token_hash.to_vec(), (session, now_ms));
    }

    pub(crate) fn forget(&self, token_hash: &[u8]) {
        self.checked
            .lock()
            .expect("not poisoned")
            .remove(token_hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> SessionAccount {
        SessionAccount {
            account: 7,
            username: "ops".into(),
            last_seen_ms: 0,
        }
    }

    #[test]
    fn trusted_for_a_second_then_asked_again() {
        let cache = SessionCache::default();
        cache.insert(b"h", session(), 10_000);
        assert_eq!(cache.get(b"h", 10_999), Some(session()));
        assert_eq!(cache.get(b"h", 11_000), None);
        // A clock that went backwards does not extend trust.
        assert_eq!(cache.get(b"h", 9_000), None);
        assert_eq!(cache.get(b"other", 10_001), None);
    }

    #[test]
    fn forgetting_is_immediate() {
        let cache = SessionCache::default();
        cache.insert(b"h", session(), 10_000);
        cache.forget(b"h");
        assert_eq!(cache.get(b"h", 10_001), None);
    }
}
