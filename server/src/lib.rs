//! `keyhaven-server` as a library: [`app`] builds the whole HTTP service, so
//! tests run it in-process and `main.rs` only parses flags and listens.

mod auth;
mod client;
pub mod config;
pub mod embedded;
mod error;
pub mod events;
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
pub mod tls;

use std::sync::Arc;

use axum::{
    Router,
    http::{HeaderValue, header},
    middleware,
};
use tower_http::set_header::SetResponseHeaderLayer;

pub use auth::hash_rate;
pub use config::Config;
pub use error::Error;
pub use spa::AppFiles;
pub use store::Store;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The built app.
    pub app_files: AppFiles,
    pub settings: Arc<Settings>,
    limiter: Arc<limiter::SignInLimiter>,
    signups: Arc<rate::RateWindow<std::net::IpAddr>>,
    hashes: Arc<hashing::HashGate>,
    scanner: Arc<scan::Scanner>,
    sessions: Arc<sessions::SessionCache>,
    /// Live changes for `GET /api/v1/events`.
    pub events: Arc<events::Events>,
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
    /// The server speaks TLS itself: cookies are `Secure`, and HSTS is sent.
    pub tls: bool,
    /// Proxies whose `X-Forwarded-*` headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// When not empty, only clients in these networks may sign up.
    pub signup_allow: Vec<ipnet::IpNet>,
}

impl AppState {
    /// Needs a Tokio runtime: with PostgreSQL it starts listening for the
    /// other servers' writes.
    pub fn new(store: Arc<dyn Store>, config: &Config) -> Self {
        let events = events::Events::new(
            store.reach(),
            config.max_streams_per_account,
            config.max_streams,
        );
        Self {
            store,
            app_files: AppFiles::Dir(config.dist.clone().unwrap_or_else(|| "./dist".into())),
            settings: Arc::new(Settings {
                no_signup: config.no_signup,
                max_blob_bytes: config.max_blob_bytes,
                account_quota_bytes: config.account_quota_bytes,
                session_idle_ms: config.session_idle_minutes.saturating_mul(60_000) as i64,
                session_max_ms: config.session_max_hours.saturating_mul(3_600_000) as i64,
                secure_cookies: config.secure_cookies || config.tls(),
                tls: config.tls(),
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
            events,
        }
    }
}

/// The whole service: the JSON API under `/api/v1`, the app for every other
/// path, and the security headers on every response (HSTS too when the
/// server speaks TLS).
pub fn app(state: AppState) -> Router {
    let api = routes::router(state.settings.max_blob_bytes).layer(request_log::layer());
    let router = Router::new()
        .nest("/api", api)
        .fallback_service(spa::service(&state.app_files))
        .layer(middleware::from_fn(headers::security_headers));
    let router = if state.settings.tls {
        // A year, and not `includeSubDomains`: other hosts under the LAN's
        // domain are none of Keyhaven's business. Browsers ignore it over
        // a certificate they were told to click through.
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
    } else {
        router
    };
    router.with_state(state)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
