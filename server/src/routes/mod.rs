//! The JSON API, mounted under `/api`.

mod health;

use axum::{Router, routing::get};

use crate::{AppState, Error};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/health", get(health::get))
        .fallback(|| async { Error::NotFound })
}
