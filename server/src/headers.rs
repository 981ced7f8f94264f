//! Headers every response carries: a strict Content-Security-Policy and its
//! companions (cross-origin isolation among them), and a cache policy that
//! fits what is being served.

use axum::{
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// No inline script anywhere (the app boots from `boot.js`); wasm may be
/// compiled; the app may talk to its own origin and, over WebSocket, to the
/// TrueNAS systems the user registered (any host, so `ws:`/`wss:`).
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; \
     script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; \
     img-src 'self' data: blob:; \
     font-src 'self'; \
     connect-src 'self' ws: wss:; \
     worker-src 'self'; \
     manifest-src 'self'; \
     base-uri 'none'; \
     form-action 'self'; \
     frame-ancestors 'none'";

pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let cache = cache_policy(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |name, value: &'static str| (name, HeaderValue::from_static(value));
    for (name, value) in [
        set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        set(header::REFERRER_POLICY, "no-referrer"),
        set(header::X_FRAME_OPTIONS, "DENY"),
        // Cross-origin isolation: the page gets SharedArrayBuffer, which
        // Argon2's parallel lanes need (app/src/lanes.rs). Everything the
        // app loads is its own; WebSockets to TrueNAS and opening a system
        // in a new tab are not subresources, so COEP leaves them alone.
        set(
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        set(
            header::HeaderName::from_static("cross-origin-embedder-policy"),
            "require-corp",
        ),
        set(
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        set(
            header::HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ] {
        headers.insert(name, value);
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    response
}

/// API answers are never cached (they may describe secrets' metadata);
/// Trunk's content-hashed files never change; everything else (index.html,
/// boot.js, the worker, the service worker) is revalidated every time.
fn cache_policy(path: &str) -> &'static str {
    if path.starts_with("/api/") {
        "no-store"
    } else if is_content_hashed(path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// Trunk names hashed files `<stem>-<16 hex digits>.<ext>` (e.g.
/// `keyhaven-app-1f0c3a9b2d4e5f60_bg.wasm`).
fn is_content_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    file.split(['-', '_', '.'])
        .any(|part| part.len() == 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_assets_are_immutable() {
        assert_eq!(
            cache_policy("/keyhaven-app-1f0c3a9b2d4e5f60_bg.wasm"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            cache_policy("/style-0123456789abcdef.css"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_policy("/index.html"), "no-cache");
        assert_eq!(cache_policy("/boot.js"), "no-cache");
        assert_eq!(cache_policy("/keyring"), "no-cache");
        assert_eq!(cache_policy("/api/v1/health"), "no-store");
    }
}
