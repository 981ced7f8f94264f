//! `keyhaven-server` as a library: [`app`] builds the whole HTTP service, so
//! tests run it in-process and `main.rs` only parses flags and listens.

pub mod config;
mod error;
mod headers;
mod routes;
mod spa;
pub mod store;

use std::{path::PathBuf, sync::Arc};

use axum::{Router, middleware};

pub use config::Config;
pub use error::Error;
pub use store::Store;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The built app (Trunk's `dist/`).
    pub dist: PathBuf,
}

/// The whole service: the JSON API under `/api/v1`, the app for every other
/// path, and the security headers on every response.
pub fn app(state: AppState) -> Router {
    let api = routes::router();
    Router::new()
        .nest("/api", api)
        .fallback_service(spa::service(&state.dist))
        .layer(middleware::from_fn(headers::security_headers))
        .with_state(state)
}
