//! Slowing down and then refusing repeated failed sign-ins, per user name
//! and per client address, so passwords can't be guessed at speed. Kept in
//! memory: each server instance counts on its own.
//!
//! An attempt is reserved (counted as a failure) before its password is
//! checked, atomically with the decision to let it through, so a burst of
//! parallel guesses is counted as it arrives: of 60 guesses at once, only
//! as many are checked as the limit allows. A sign-in that succeeds gives
//! its reservation back.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use crate::Error;

/// Failures are counted over this window.
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// After this many failures each attempt is delayed, doubling each time.
const SLOW_AFTER: u32 = 3;
const MAX_DELAY_MS: u64 = 4_000;
/// After this many failures attempts are refused until the window passes.
pub(crate) const REFUSE_AFTER_USER: u32 = 10;
/// An address may be shared (NAT), so it gets more room than one user name.
pub(crate) const REFUSE_AFTER_ADDR: u32 = 50;
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
pub(crate) struct SignInLimiter {
    failures: Mutex<HashMap<Key, Failures>>,
    /// Attempts refused so far (for the log and tests).
    refused: AtomicU64,
}

/// An attempt let through: counted as a failure until [`Self::succeeded`].
#[must_use = "a reservation is a failure unless it succeeded"]
pub(crate) struct Reservation {
    user: String,
    addr: IpAddr,
    /// How long to wait before checking the password.
    pub delay: Duration,
}

impl SignInLimiter {
    /// Before checking a password: counts the attempt and says how long to
    /// wait first, or refuses it (429) without counting it.
    pub(crate) fn reserve(
        &self,
        username: &str,
        addr: IpAddr,
        now_ms: i64,
    ) -> Result<Reservation, Error> {
        let mut failures = self.failures.lock().expect("not poisoned");
        if failures.len() >= MAX_ENTRIES {
            failures.retain(|_, f| now_ms - f.first_ms < WINDOW_MS);
        }
        let user_key = Key::User(username.to_owned());
        let addr_key = Key::Addr(addr);
        let current = |key: &Key| {
            failures
                .get(key)
                .filter(|f| now_ms - f.first_ms < WINDOW_MS)
                .copied()
                .unwrap_or(Failures {
                    count: 0,
                    first_ms: now_ms,
                })
        };
        let (user, by_addr) = (current(&user_key), current(&addr_key));
        let full = if user.count >= REFUSE_AFTER_USER {
            Some(user.first_ms)
        } else if by_addr.count >= REFUSE_AFTER_ADDR {
            Some(by_addr.first_ms)
        } else {
            None
        };
        if let Some(since) = full {
            let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(%username, %addr, refused, "sign-in refused: too many failures");
            let retry_after_secs = ((since + WINDOW_MS - now_ms).max(1000) / 1000) as u64;
            return Err(Error::TooManyRequests {
                retry_after_secs,
                message: format!(
                    "Too many failed sign-ins. Wait {} minutes and try again.",
                    retry_after_secs.div_ceil(60)
                ),
            });
        }
        let worst = user.count.max(by_addr.count);
        let delay = if worst >= SLOW_AFTER {
            let exponent = (worst - SLOW_AFTER).min(10);
            Duration::from_millis((250u64 << exponent).min(MAX_DELAY_MS))
        } else {
            Duration::ZERO
        };
        for (key, mut entry) in [(user_key, user), (addr_key, by_addr)] {
            entry.count += 1;
            failures.insert(key, entry);
        }
        Ok(Reservation {
            user: username.to_owned(),
            addr,
            delay,
        })
    }

    /// The password was right: the user name's count is cleared, and the
    /// address gets this attempt back (not its other failures: one good
    /// password must not reset an address guessing at other accounts).
    pub(crate) fn succeeded(&self, reservation: Reservation) {
        let mut failures = self.failures.lock().expect("not poisoned");
        failures.remove(&Key::User(reservation.user));
        if let Some(entry) = failures.get_mut(&Key::Addr(reservation.addr)) {
            entry.count = entry.count.saturating_sub(1);
        }
    }

    /// How many attempts were refused since the server started.
    #[cfg(test)]
    fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
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
            assert_eq!(
                limiter.reserve("ana", ADDR, t).unwrap().delay,
                Duration::ZERO
            );
        }
        assert_eq!(
            limiter.reserve("ana", ADDR, t).unwrap().delay,
            Duration::from_millis(250)
        );
        assert_eq!(
            limiter.reserve("ana", ADDR, t).unwrap().delay,
            Duration::from_millis(500),
            "doubling"
        );
        for _ in SLOW_AFTER + 2..REFUSE_AFTER_USER {
            let _ = limiter.reserve("ana", ADDR, t).unwrap();
        }
        assert!(matches!(
            limiter.reserve("ana", ADDR, t),
            Err(Error::TooManyRequests { .. })
        ));
        assert_eq!(limiter.refused(), 1);
        // Another user from another address is not affected.
        let other = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));
        assert_eq!(
            limiter.reserve("bo", other, t).unwrap().delay,
            Duration::ZERO
        );
        // After the window, ana may try again.
        assert_eq!(
            limiter.reserve("ana", other, t + WINDOW_MS).unwrap().delay,
            Duration::ZERO
        );
    }

    #[test]
    fn attempts_in_flight_count_before_any_password_is_checked() {
        let limiter = SignInLimiter::default();
        // 60 guesses arrive together; none has been checked yet.
        let let_through = (0..60)
            .filter_map(|_| limiter.reserve("ana", ADDR, 0).ok())
            .count();
        assert_eq!(let_through, REFUSE_AFTER_USER as usize);
        assert_eq!(limiter.refused(), 60 - u64::from(REFUSE_AFTER_USER));
    }

    #[test]
    fn success_clears_the_user_but_not_the_address() {
        let limiter = SignInLimiter::default();
        for _ in 0..5 {
            let _ = limiter.reserve("ana", ADDR, 0).unwrap();
        }
        let good = limiter.reserve("ana", ADDR, 0).unwrap();
        limiter.succeeded(good);
        let other = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 9));
        assert_eq!(
            limiter.reserve("ana", other, 0).unwrap().delay,
            Duration::ZERO
        );
        // The address keeps its five failures.
        assert!(limiter.reserve("carl", ADDR, 0).unwrap().delay > Duration::ZERO);
    }
}
