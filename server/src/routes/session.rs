use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use keyhaven_core::api::{Credentials, WhoAmI};

use crate::{
    AppState, Error,
    auth::{self, normalize_username, start_session},
    client::Client,
    json::Json,
    now_ms,
};

/// `POST /api/v1/session`: signs in; 204 and a session cookie.
pub(super) async fn create(
    State(state): State<AppState>,
    client: Client,
    Json(credentials): Json<Credentials>,
) -> Result<Response, Error> {
    let wrong = || {
        Error::api(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "Wrong user name or password.",
        )
    };
    // A malformed name can't have an account: answer exactly like a wrong
    // password (after the same work), so names can't be probed.
    let username = normalize_username(&credentials.username).unwrap_or_default();
    let attempt = state.limiter.reserve(&username, client.addr, now_ms())?;
    tokio::time::sleep(attempt.delay).await;

    let account = if username.is_empty() {
        None
    } else {
        state.store.account_by_name(&username).await?
    };
    let (id, hash) = account.map_or((None, None), |(id, hash)| (Some(id), Some(hash)));
    let ok = auth::verify_password(&state.hashes, hash, credentials.password.clone()).await?;
    let (true, Some(id)) = (ok, id) else {
        // The reservation stands: it was a failure.
        tracing::info!(%username, client = %client.addr, "failed sign-in");
        return Err(wrong());
    };
    state.limiter.succeeded(attempt);
    let cookie = start_session(&state, id, client).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// `GET /api/v1/session`: who is signed in (401 when nobody).
pub(super) async fn get(account: auth::Account) -> axum::Json<WhoAmI> {
    axum::Json(WhoAmI {
        username: account.username,
    })
}

/// `DELETE /api/v1/session`: signs out; the session is deleted on the
/// server too, and the cookie cleared.
pub(super) async fn delete(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
) -> Result<Response, Error> {
    if let Some(token) = auth::session_token(&headers) {
        let hash = auth::token_hash(&token);
        state.sessions.forget(&hash);
        state.store.delete_session(&hash).await?;
    }
    let secure = state.settings.secure_cookies || client.https;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::session_cookie(None, 0, secure))],
    )
        .into_response())
}
