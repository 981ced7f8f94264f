//! Serving the app in-process: health, the security headers, and deep
//! links that fall back to the app's index.html.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use clap::Parser;
use http_body_util::BodyExt;
use keyhaven_server::{AppState, Config, app, store};
use tower::ServiceExt;

const INDEX: &str = "<!doctype html><title>Keyhaven</title><p>app shell</p>";

async fn test_app() -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), INDEX).unwrap();
    std::fs::write(
        dist.join("keyhaven-app-0123456789abcdef_bg.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .unwrap();
    let config = Config::try_parse_from([
        "keyhaven-server",
        "--data-dir",
        dir.path().join("db").to_str().unwrap(),
        "--dist",
        dist.to_str().unwrap(),
    ])
    .unwrap();
    let store = store::open(&config.effective_database_url()).await.unwrap();
    (app(AppState::new(store, &config)), dir)
}

async fn get(app: &axum::Router, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

#[tokio::test]
async fn health_answers_when_the_store_does() {
    let (app, _dir) = test_app().await;
    let (status, headers, body) = get(&app, "/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["status"], "ok");
}

#[tokio::test]
async fn every_response_carries_a_strict_csp() {
    let (app, _dir) = test_app().await;
    for path in [
        "/",
        "/keyring",
        "/api/v1/health",
        "/api/v1/nope",
        "/missing.js",
    ] {
        let (_, headers, _) = get(&app, path).await;
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer", "{path}");
        // Cross-origin isolated, for Argon2's shared memory.
        assert_eq!(
            headers["cross-origin-opener-policy"], "same-origin",
            "{path}"
        );
        assert_eq!(
            headers["cross-origin-embedder-policy"], "require-corp",
            "{path}"
        );
    }
}

#[tokio::test]
async fn deep_links_get_the_app_and_missing_files_do_not() {
    let (app, _dir) = test_app().await;
    for path in ["/keyring", "/credentials/backup", "/signin", "/"] {
        let (status, headers, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(String::from_utf8(body).unwrap(), INDEX, "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache", "{path}");
    }
    let (status, _, _) = get(&app, "/missing.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wasm_is_served_as_wasm_and_cached_forever() {
    let (app, _dir) = test_app().await;
    let (status, headers, _) = get(&app, "/keyhaven-app-0123456789abcdef_bg.wasm").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
}

#[tokio::test]
async fn unknown_api_routes_are_json_404s() {
    let (app, _dir) = test_app().await;
    let (status, headers, body) = get(&app, "/api/v1/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["error"]["code"], "not_found");
}

/// The app as `build.rs` builds it into the binary.
static EMBEDDED: &[keyhaven_server::embedded::EmbeddedFile] = &[
    keyhaven_server::embedded::EmbeddedFile {
        path: "/index.html",
        body: INDEX.as_bytes(),
        brotli: None,
        gzip: None,
        etag: "\"00000000000000aa\"",
    },
    keyhaven_server::embedded::EmbeddedFile {
        path: "/keyhaven-app-0123456789abcdef_bg.wasm",
        body: b"\0asm\x01\0\0\0",
        brotli: Some(b"brotli"),
        gzip: None,
        etag: "\"00000000000000bb\"",
    },
];

#[tokio::test]
async fn the_app_built_into_the_binary_is_served_like_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::try_parse_from([
        "keyhaven-server",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ])
    .unwrap();
    let store = store::open(&config.effective_database_url()).await.unwrap();
    let mut state = AppState::new(store, &config);
    state.app_files = keyhaven_server::AppFiles::Embedded(EMBEDDED);
    let app = app(state);

    for path in ["/", "/keyring", "/credentials/backup"] {
        let (status, headers, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body, INDEX.as_bytes(), "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
    }
    let wasm = "/keyhaven-app-0123456789abcdef_bg.wasm";
    let response = app
        .clone()
        .oneshot(
            Request::get(wasm)
                .header(header::ACCEPT_ENCODING, "gzip, br")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let (status, _, _) = get(&app, "/missing.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let post = app
        .clone()
        .oneshot(Request::post("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
}
