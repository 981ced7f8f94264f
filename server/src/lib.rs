//! `keyhaven-server` as a library: [`app`] builds the whole HTTP service, so
//! tests run it in-process and `main.rs` only parses flags and listens.

mod auth;
mod client;
pub mod config;
mod error;
mod hashing;
mod headers;
mod json;
mod limiter;
mod rate;
mod request_log;
mod routes;
pub mod scan;
mod sessions;
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
    pub settings: Arc<Settings>,
    limiter: Arc<limiter::SignInLimiter>,
    signups: Arc<rate::RateWindow<std::net::IpAddr>>,
    hashes: Arc<hashing::HashGate>,
    scanner: Arc<scan::Scanner>,
    sessions: Arc<sessions::SessionCache>,
}

/// The limits and switches the handlers need, from [`Config`].
#[derive(Debug, Clone)]
pub struct Settings {
    pub no_signup: bool,
    pub max_blob_bytes: usize,
    pub account_quota_bytes: usize,
    pub session_idle_ms: i64,
    pub session_max_ms: i64,
    pub secure_cookies: bool,
    /// Proxies whose `X-Forwarded-*` headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// When not empty, only clients in these networks may sign up.
    pub signup_allow: Vec<ipnet::IpNet>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: &Config) -> Self {
        Self {
            store,
            dist: config.dist.clone(),
            settings: Arc::new(Settings {
                no_signup: config.no_signup,
                max_blob_bytes: config.max_blob_bytes,
                account_quota_bytes: config.account_quota_bytes,
                session_idle_ms: config.session_idle_minutes.saturating_mul(60_000) as i64,
                session_max_ms: config.session_max_hours.saturating_mul(3_600_000) as i64,
                secure_cookies: config.secure_cookies,
                trusted_proxies: config.trusted_proxies.clone(),
                signup_allow: config.signup_allow.clone(),
            }),
            limiter: Arc::default(),
            signups: Arc::new(rate::RateWindow::new(
                config.signups_per_hour,
                3_600_000,
                "Too many new accounts from your address. Wait {minutes} minutes and try again.",
            )),
            hashes: Arc::new(hashing::HashGate::for_this_machine()),
            scanner: Arc::new(scan::Scanner::new(config.scan_allow.clone())),
            sessions: Arc::default(),
        }
    }
}

/// The whole service: the JSON API under `/api/v1`, the app for every other
/// path, and the security headers on every response.
pub fn app(state: AppState) -> Router {
    let api = routes::router(state.settings.max_blob_bytes).layer(request_log::layer());
    Router::new()
        .nest("/api", api)
        .fallback_service(spa::service(&state.dist))
        .layer(middleware::from_fn(headers::security_headers))
        .with_state(state)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
