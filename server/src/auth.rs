//! Account passwords (Argon2id PHC strings) and what a user name and a
//! password must be, sessions (tokens, cookies, starting one), and the
//! [`Account`] extractor that every signed-in route takes. Sign-up and
//! sign-in (`routes/accounts.rs`, `routes/session.rs`) both build on it.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, header, request::Parts},
};
use sha2::{Digest, Sha256};

use crate::{AppState, Error, client::Client, hashing::HashGate, now_ms};

pub(crate) const COOKIE: &str = "keyhaven_session";

pub(crate) const MIN_PASSWORD: usize = 10;
pub(crate) const MAX_PASSWORD: usize = 1024;

/// Argon2id with OWASP's first recommended setting (19 MiB, 2 passes, one
/// lane): strong, and about 30 ms here, so sign-in stays quick.
fn password_config() -> argon2::Config<'static> {
    argon2::Config {
        variant: argon2::Variant::Argon2id,
        version: argon2::Version::Version13,
        mem_cost: 19 * 1024,
        time_cost: 2,
        lanes: 1,
        hash_length: 32,
        ..argon2::Config::default()
    }
}

/// Hashes a password off the async worker threads (it takes tens of ms),
/// when the gate gives it a turn.
pub(crate) async fn hash_password(gate: &HashGate, password: String) -> Result<String, Error> {
    let password = zeroize::Zeroizing::new(password);
    gate.run(move || {
        let salt = random_bytes::<16>();
        argon2::hash_encoded(password.as_bytes(), &salt, &password_config())
            .map_err(|e| Error::Hashing(e.to_string()))
    })
    .await?
}

/// Checks a password against a PHC string off the worker threads. When
/// there is no account, pass `None`: a dummy hash is checked instead, so an
/// unknown user takes as long as a wrong password.
pub(crate) async fn verify_password(
    gate: &HashGate,
    hash: Option<String>,
    password: String,
) -> Result<bool, Error> {
    let password = zeroize::Zeroizing::new(password);
    gate.run(move || {
        let (hash, real) = match hash {
            Some(hash) => (hash, true),
            None => (dummy_hash().to_owned(), false),
        };
        let ok = argon2::verify_encoded(&hash, password.as_bytes()).unwrap_or(false);
        ok && real
    })
    .await
}

/// Password checks per second this machine does with the server's Argon2id
/// parameters, one per core as the hashing gate runs them, measured for
/// about `duration`: the most sign-ins per second it can answer, whatever
/// the rest of the server does (`keyhaven-server --hash-rate`; `cargo
/// xtask bench` puts the sign-in route's rate beside it).
pub fn hash_rate(duration: std::time::Duration) -> f64 {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let hash = dummy_hash();
    let start = std::time::Instant::now();
    let checked: u32 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut checked = 0;
                    while start.elapsed() < duration {
                        let _ = argon2::verify_encoded(hash, b"a password to check");
                        checked += 1;
                    }
                    checked
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a hashing thread finishes"))
            .sum()
    });
    f64::from(checked) / start.elapsed().as_secs_f64()
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        argon2::hash_encoded(
            b"no such account",
            &random_bytes::<16>(),
            &password_config(),
        )
        .expect("hashing a constant works")
    })
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0; N];
    getrandom::getrandom(&mut out).expect("the OS has a random source");
    out
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new session token (256 random bits, hex) and the hash stored for it.
pub(crate) fn new_session_token() -> (String, [u8; 32]) {
    let token = hex(&random_bytes::<32>());
    let hash = token_hash(&token);
    (token, hash)
}

pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The session token from the `Cookie` header, if any.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `Set-Cookie` for a new session (or, with `None`, one that clears it).
/// `Secure` when the request came over https (through a trusted proxy that
/// says so) or the operator asked for it.
pub(crate) fn session_cookie(token: Option<&str>, max_age_secs: i64, secure: bool) -> HeaderValue {
    let (value, max_age) = match token {
        Some(token) => (token, max_age_secs),
        None => ("", 0),
    };
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::try_from(format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .expect("the cookie is ASCII")
}

/// The signed-in account behind a request; 401 without a live session.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: i64,
    pub username: String,
}

/// How often a session's idle timer is written back (saves a write per
/// request).
const TOUCH_EVERY_MS: i64 = 60_000;

impl FromRequestParts<AppState> for Account {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = session_token(&parts.headers).ok_or_else(Error::unauthenticated)?;
        let hash = token_hash(&token);
        let now = now_ms();
        let limits = &state.settings;
        let session = match state.sessions.get(&hash, now) {
            Some(session) => session,
            None => {
                let mut session = state
                    .store
                    .session(
                        &hash,
                        now - limits.session_idle_ms,
                        now - limits.session_max_ms,
                    )
                    .await?
                    .ok_or_else(Error::unauthenticated)?;
                if now - session.last_seen_ms > TOUCH_EVERY_MS {
                    state.store.touch_session(&hash, now).await?;
                    session.last_seen_ms = now;
                }
                state.sessions.insert(&hash, session.clone(), now);
                session
            }
        };
        Ok(Account {
            id: session.account,
            username: session.username,
        })
    }
}

/// Trimmed and lower-cased; 1–64 of `a-z 0-9 . _ -`, starting with a letter
/// or digit.
pub(crate) fn normalize_username(input: &str) -> Result<String, Error> {
    let username = input.trim().to_ascii_lowercase();
    let ok = (1..=64).contains(&username.len())
        && username.starts_with(|c: char| c.is_ascii_alphanumeric())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(username)
    } else {
        Err(Error::bad_request(
            "invalid_username",
            "A user name is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.",
        ))
    }
}

pub(crate) fn check_password(password: &str) -> Result<(), Error> {
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Err(Error::bad_request(
            "weak_password",
            format!("Use a password of at least {MIN_PASSWORD} characters."),
        ));
    }
    if password.len() > MAX_PASSWORD {
        return Err(Error::bad_request(
            "invalid_password",
            format!("A password can be at most {MAX_PASSWORD} bytes long."),
        ));
    }
    Ok(())
}

/// Stores a new session and returns the cookie that carries it.
pub(crate) async fn start_session(
    state: &AppState,
    account: i64,
    client: Client,
) -> Result<HeaderValue, Error> {
    let now = now_ms();
    let limits = &state.settings;
    // Opportunistic clean-up: sign-ins are rare enough to afford it.
    state
        .store
        .delete_expired_sessions(now - limits.session_idle_ms, now - limits.session_max_ms)
        .await?;
    let (token, hash) = new_session_token();
    state.store.create_session(&hash, account, now).await?;
    Ok(session_cookie(
        Some(&token),
        limits.session_max_ms / 1000,
        limits.secure_cookies || client.https,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_rate_counts_real_password_checks() {
        // A check is a real Argon2id pass over 19 MiB: some are done in a
        // quarter second, and none is skipped (the dummy hash verifies).
        assert!(hash_rate(std::time::Duration::from_millis(250)) > 0.0);
        assert!(argon2::verify_encoded(dummy_hash(), b"no such account").unwrap());
    }

    #[test]
    fn user_names_are_normalized_and_checked() {
        assert_eq!(normalize_username("  Ana.Admin ").unwrap(), "ana.admin");
        for bad in ["", "-ana", "ana smith", "ana@example", &"a".repeat(65), "ä"] {
            assert!(normalize_username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn short_passwords_are_refused_with_a_reason() {
        let Err(Error::Api { message, .. }) = check_password("short") else {
            panic!("accepted a short password");
        };
        assert!(message.contains("at least 10"));
        assert!(check_password("long enough!").is_ok());
    }

    #[test]
    fn the_session_cookie_is_strict_and_http_only() {
        let cookie = session_cookie(Some("ab"), 60, false);
        assert_eq!(
            cookie,
            "keyhaven_session=ab; HttpOnly; SameSite=Strict; Path=/; Max-Age=60"
        );
        assert!(
            session_cookie(None, 60, true)
                .to_str()
                .unwrap()
                .ends_with("Max-Age=0; Secure")
        );
    }

    #[test]
    fn only_well_formed_tokens_are_read() {
        let token = "a".repeat(64);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::try_from(format!("theme=dark; {COOKIE}={token}")).unwrap(),
        );
        assert_eq!(session_token(&headers), Some(token));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("keyhaven_session=../../etc"),
        );
        assert_eq!(session_token(&headers), None);
    }
}
