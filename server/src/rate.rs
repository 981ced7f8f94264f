//! "At most N per window" per key: sign-ups per client address, scans per
//! account. Kept in memory, per server instance.

use std::{collections::HashMap, hash::Hash, sync::Mutex};

use crate::Error;

pub(crate) struct RateWindow<K> {
    limit: u32,
    window_ms: i64,
    /// What the refusal says, with `{minutes}` for the wait.
    refusal: &'static str,
    seen: Mutex<HashMap<K, (i64, u32)>>,
}

impl<K: Eq + Hash> RateWindow<K> {
    pub(crate) fn new(limit: u32, window_ms: i64, refusal: &'static str) -> Self {
        Self {
            limit,
            window_ms,
            refusal,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one more for `key`, or refuses it (429) when the window is full.
    pub(crate) fn count(&self, key: K, now_ms: i64) -> Result<(), Error> {
        let mut seen = self.seen.lock().expect("not poisoned");
        seen.retain(|_, (since, _)| now_ms - *since < self.window_ms);
        let (since, count) = seen.entry(key).or_insert((now_ms, 0));
        if *count >= self.limit {
            let retry_after_secs = ((*since + self.window_ms - now_ms).max(1000) / 1000) as u64;
            return Err(Error::TooManyRequests {
                retry_after_secs,
                message: self
                    .refusal
                    .replace("{minutes}", &retry_after_secs.div_ceil(60).to_string()),
            });
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_key_refuses_past_the_limit_and_forgets_after_the_window() {
        let window = RateWindow::new(2, 60_000, "Wait {minutes} minutes.");
        assert!(window.count("a", 0).is_ok());
        assert!(window.count("a", 1).is_ok());
        let Err(Error::TooManyRequests {
            retry_after_secs,
            message,
        }) = window.count("a", 2)
        else {
            panic!("the third is refused");
        };
        assert_eq!(
            (retry_after_secs, message.as_str()),
            (59, "Wait 1 minutes.")
        );
        assert!(
            window.count("b", 2).is_ok(),
            "another key has its own count"
        );
        assert!(window.count("a", 60_000).is_ok(), "the window passed");
    }
}
