use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use keyhaven_core::api::{Credentials, WhoAmI};

use crate::{
    AppState, Error,
    auth::{self, check_password, normalize_username, start_session},
    client::Client,
    json::Json,
    now_ms,
};

/// `POST /api/v1/accounts`: creates an account and signs it in.
pub(super) async fn create(
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
