//! Account passwords (Argon2id PHC strings), session tokens and cookies, and
//! the [`Account`] extractor that every signed-in route takes.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, header, request::Parts},
};
use sha2::{Digest, Sha256};

use crate::{AppState, Error, hashing::HashGate, now_ms};

pub const COOKIE: &str = "keyhaven_session";

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
pub async fn hash_password(gate: &HashGate, password: String) -> Result<String, Error> {
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
pub async fn verify_password(
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

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0; N];
    getrandom::getrandom(&mut out).expect("the OS has a random source");
    out
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new session token (256 random bits, hex) and the hash stored for it.
pub fn new_session_token() -> (String, [u8; 32]) {
    let token = hex(&random_bytes::<32>());
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The session token from the `Cookie` header, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
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
pub fn session_cookie(token: Option<&str>, max_age_secs: i64, secure: bool) -> HeaderValue {
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
pub struct Account {
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

#[cfg(test)]
mod tests {
    use super::*;

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
