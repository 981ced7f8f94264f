//! The JSON API, mounted under `/api`. Every route but health, sign-up and
//! sign-in takes an [`crate::auth::Account`], i.e. needs a session.

mod accounts;
mod blobs;
mod events;
mod health;
mod host_keys;
mod session;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::StatusCode,
    routing::{get, post},
};

use crate::{AppState, Error};

/// JSON bodies are small (credentials, a scan request).
const JSON_BODY_LIMIT: usize = 16 * 1024;

pub(crate) fn router(max_blob_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/v1/health", get(health::get))
        .route("/v1/accounts", post(accounts::create))
        .route(
            "/v1/session",
            post(session::create)
                .get(session::get)
                .delete(session::delete),
        )
        .route("/v1/blobs", get(blobs::list))
        .route(
            "/v1/blobs/{name}",
            get(blobs::get)
                .put(blobs::put)
                .delete(blobs::delete)
                .layer(DefaultBodyLimit::max(max_blob_bytes)),
        )
        .route("/v1/events", get(events::stream))
        .route("/v1/host-keys/scan", post(host_keys::scan))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .fallback(|| async { Error::not_found() })
        .method_not_allowed_fallback(|| async {
            Error::api(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This address does not take that method.",
            )
        })
}
