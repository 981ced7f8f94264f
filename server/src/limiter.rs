//! Slowing down and then refusing repeated failed sign-ins, per user name
//! and per client address, so passwords can't be guessed at speed. Kept in
//! memory: each server instance counts on its own.

use std::{collections::HashMap, net::IpAddr, sync::Mutex, time::Duration};

use crate::Error;

/// Failures are counted over this window.
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// After this many failures each attempt is delayed, doubling each time.
const SLOW_AFTER: u32 = 3;
const MAX_DELAY_MS: u64 = 4_000;
/// After this many failures attempts are refused until the window passes.
const REFUSE_AFTER_USER: u32 = 10;
/// An address may be shared (NAT), so it gets more room than one user name.
const REFUSE_AFTER_ADDR: u32 = 50;
/// Entries kept before old ones are swept.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Addr(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first_ms: i64,
}

#[derive(Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<Key, Failures>>,
}

impl SignInLimiter {
    /// Before checking a password: how long to wait first, or 429.
    pub fn check(&self, username: &str, addr: IpAddr, now_ms: i64) -> Result<Duration, Error> {
        let failures = self.failures.lock().expect("not poisoned");
        let count = |key: Key| {
            failures
                .get(&key)
                .filter(|f| now_ms - f.first_ms < WINDOW_MS)
                .map_or((0, now_ms), |f| (f.count, f.first_ms))
        };
        let (user, user_since) = count(Key::User(username.to_owned()));
        let (addr, addr_since) = count(Key::Addr(addr));
        if user >= REFUSE_AFTER_USER || addr >= REFUSE_AFTER_ADDR {
            let since = if user >= REFUSE_AFTER_USER {
                user_since
            } else {
                addr_since
            };
            let retry_after_secs = ((since + WINDOW_MS - now_ms).max(1000) / 1000) as u64;
            return Err(Error::TooManyRequests {
                retry_after_secs,
                message: format!(
                    "Too many failed sign-ins. Wait {} minutes and try again.",
                    retry_after_secs.div_ceil(60)
                ),
            });
        }
        let worst = user.max(addr);
        Ok(if worst >= SLOW_AFTER {
            let exponent = (worst - SLOW_AFTER).min(10);
            Duration::from_millis((250u64 << exponent).min(MAX_DELAY_MS))
        } else {
            Duration::ZERO
        })
    }

    pub fn record_failure(&self, username: &str, addr: IpAddr, now_ms: i64) {
        let mut failures = self.failures.lock().expect("not poisoned");
        if failures.len() >= MAX_ENTRIES {
            failures.retain(|_, f| now_ms - f.first_ms < WINDOW_MS);
        }
        for key in [Key::User(username.to_owned()), Key::Addr(addr)] {
            let entry = failures.entry(key).or_insert(Failures {
                count: 0,
                first_ms: now_ms,
            });
            if now_ms - entry.first_ms >= WINDOW_MS {
                *entry = Failures {
                    count: 0,
                    first_ms: now_ms,
                };
            }
            entry.count += 1;
        }
    }

    /// A successful sign-in clears the user name's count (not the
    /// address's: one good password must not reset an address that is
    /// guessing at other accounts).
    pub fn record_success(&self, username: &str) {
        self.failures
            .lock()
            .expect("not poisoned")
            .remove(&Key::User(username.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDR: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));

    #[test]
    fn failures_slow_down_then_refuse_then_expire() {
        let limiter = SignInLimiter::default();
        let t = 1_000_000;
        for _ in 0..SLOW_AFTER {
            assert_eq!(limiter.check("ana", ADDR, t).unwrap(), Duration::ZERO);
            limiter.record_failure("ana", ADDR, t);
        }
        assert_eq!(
            limiter.check("ana", ADDR, t).unwrap(),
            Duration::from_millis(250)
        );
        for _ in SLOW_AFTER..REFUSE_AFTER_USER {
            limiter.record_failure("ana", ADDR, t);
        }
        assert!(matches!(
            limiter.check("ana", ADDR, t),
            Err(Error::TooManyRequests { .. })
        ));
        // Another user from another address is not affected.
        let other = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));
        assert_eq!(limiter.check("bo", other, t).unwrap(), Duration::ZERO);
        // After the window, ana may try again.
        assert_eq!(
            limiter.check("ana", other, t + WINDOW_MS).unwrap(),
            Duration::ZERO
        );
    }

    #[test]
    fn success_clears_the_user_but_not_the_address() {
        let limiter = SignInLimiter::default();
        for _ in 0..5 {
            limiter.record_failure("ana", ADDR, 0);
        }
        limiter.record_success("ana");
        let other = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 9));
        assert_eq!(limiter.check("ana", other, 0).unwrap(), Duration::ZERO);
        assert!(limiter.check("carl", ADDR, 0).unwrap() > Duration::ZERO);
    }
}
