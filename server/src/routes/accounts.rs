use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use keyhaven_core::api::{Credentials, WhoAmI};

use super::session::start_session;
use crate::{AppState, Error, auth, client::Client, json::Json, now_ms};

pub const MIN_PASSWORD: usize = 10;
pub const MAX_PASSWORD: usize = 1024;

/// `POST /api/v1/accounts`: creates an account and signs it in.
pub async fn create(
    State(state): State<AppState>,
    client: Client,
    Json(credentials): Json<Credentials>,
) -> Result<Response, Error> {
    if state.settings.no_signup {
        return Err(Error::api(
            StatusCode::FORBIDDEN,
            "signup_disabled",
            "This server does not take new accounts. Ask its operator for one.",
        ));
    }
    let allowed = &state.settings.signup_allow;
    if !allowed.is_empty() && !allowed.iter().any(|net| net.contains(&client.addr)) {
        return Err(Error::api(
            StatusCode::FORBIDDEN,
            "signup_not_allowed",
            "This server takes new accounts only from its operator's networks. Ask its operator for one.",
        ));
    }
    let username = normalize_username(&credentials.username)?;
    check_password(&credentials.password)?;
    state.signups.count(client.addr, now_ms())?;
    // Account creation costs a hash: count it like a sign-in attempt so it
    // can't be used to burn CPU at speed.
    let attempt = state.limiter.reserve(&username, client.addr, now_ms())?;
    tokio::time::sleep(attempt.delay).await;

    let hash = auth::hash_password(&state.hashes, credentials.password.clone()).await?;
    let Some(account) = state
        .store
        .create_account(&username, &hash, now_ms())
        .await?
    else {
        return Err(Error::api(
            StatusCode::CONFLICT,
            "username_taken",
            "That user name is taken. Choose another, or sign in.",
        ));
    };
    state.limiter.succeeded(attempt);
    tracing::info!(%username, "account created");
    let cookie = start_session(&state, account, client).await?;
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        axum::Json(WhoAmI { username }),
    )
        .into_response())
}

/// Trimmed and lower-cased; 1–64 of `a-z 0-9 . _ -`, starting with a letter
/// or digit.
pub fn normalize_username(input: &str) -> Result<String, Error> {
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

fn check_password(password: &str) -> Result<(), Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
