//! The JSON API over a real socket, each test once on SQLite and once on a
//! real PostgreSQL: accounts, sessions, blobs with preconditions, and the
//! shape of every error.

mod common;

use common::{Backend, PASSWORD, TestServer, client};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

on_both_backends!(
    accounts_are_created_signed_in_and_unique,
    sign_in_and_sign_out,
    blobs_follow_their_preconditions,
    racing_writers_exactly_one_wins,
    another_accounts_blob_looks_missing,
    sizes_names_and_types_are_checked,
    bad_input_gets_json_errors_never_500,
    no_signup_refuses_new_accounts,
);

async fn error_code(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.expect("errors are JSON");
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned();
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    (status, code)
}

async fn accounts_are_created_signed_in_and_unique(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = client();
    let response = alice
        .post(server.api("/accounts"))
        .json(&json!({"username": " Alice ", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    for part in ["keyhaven_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: no Secure flag");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"username": "alice"})
    );
    let me = alice.get(server.api("/session")).send().await.unwrap();
    assert_eq!(
        me.json::<Value>().await.unwrap(),
        json!({"username": "alice"})
    );

    let again = client()
        .post(server.api("/accounts"))
        .json(&json!({"username": "alice", "password": "another long password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(again).await,
        (StatusCode::CONFLICT, "username_taken".into())
    );

    let weak = client()
        .post(server.api("/accounts"))
        .json(&json!({"username": "bob", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(weak).await,
        (StatusCode::BAD_REQUEST, "weak_password".into())
    );

    let bad_name = client()
        .post(server.api("/accounts"))
        .json(&json!({"username": "bob smith", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(bad_name).await,
        (StatusCode::BAD_REQUEST, "invalid_username".into())
    );

    // X-Forwarded-Proto from a client that is not a trusted proxy is
    // ignored: the cookie is not Secure.
    let forged = client()
        .post(server.api("/accounts"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"username": "carol", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(
        !forged.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Secure")
    );

    // Behind a trusted TLS-terminating proxy the cookie is Secure.
    let proxied_server = TestServer::start_with(backend, |config| {
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let proxied = client()
        .post(proxied_server.api("/accounts"))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"username": "carol", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(
        proxied.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .ends_with("; Secure")
    );
}

async fn sign_in_and_sign_out(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.signed_in("dana").await;

    let anonymous = client();
    assert_eq!(
        error_code(anonymous.get(server.api("/session")).send().await.unwrap()).await,
        (StatusCode::UNAUTHORIZED, "unauthenticated".into())
    );

    // Wrong password and unknown user answer exactly alike.
    let wrong = anonymous
        .post(server.api("/session"))
        .json(&json!({"username": "dana", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    let unknown = anonymous
        .post(server.api("/session"))
        .json(&json!({"username": "nobody", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.text().await.unwrap(), unknown.text().await.unwrap());

    let dana = client();
    let signed_in = dana
        .post(server.api("/session"))
        .json(&json!({"username": "DANA", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::NO_CONTENT);
    let cookie = signed_in.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let token = cookie.split(';').next().unwrap().to_owned();
    assert_eq!(token.len(), "keyhaven_session=".len() + 64, "256-bit token");
    assert!(
        dana.get(server.api("/blobs"))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );

    let out = dana.delete(server.api("/session")).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(
        out.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The old token is dead on the server, not just forgotten by the client.
    let replay = client()
        .get(server.api("/session"))
        .header(header::COOKIE, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
}

async fn put(
    client: &reqwest::Client,
    url: &str,
    precondition: Option<(&str, &str)>,
    body: &'static [u8],
) -> reqwest::Response {
    let mut request = client
        .put(url)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(body);
    if let Some((name, value)) = precondition {
        request = request.header(name, value);
    }
    request.send().await.unwrap()
}

fn etag(response: &reqwest::Response) -> String {
    response.headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn blobs_follow_their_preconditions(backend: Backend) {
    let server = TestServer::start(backend).await;
    let erin = server.signed_in("erin").await;
    let url = server.api("/blobs/keyring");

    assert_eq!(
        erin.get(&url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    // No precondition: refused, nothing written.
    let blind = put(&erin, &url, None, b"v0").await;
    assert_eq!(blind.status(), StatusCode::PRECONDITION_FAILED);
    assert!(blind.headers().get(header::ETAG).is_none());

    let created = put(&erin, &url, Some(("if-none-match", "*")), b"v1").await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let tag1 = etag(&created);
    let info: Value = created.json().await.unwrap();
    assert_eq!(format!("\"{}\"", info["tag"].as_str().unwrap()), tag1);
    assert_eq!(info["size"], 2);

    let exists = put(&erin, &url, Some(("if-none-match", "*")), b"v1bis").await;
    assert_eq!(exists.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(etag(&exists), tag1, "412 carries the current tag");

    let got = erin.get(&url).send().await.unwrap();
    assert_eq!(etag(&got), tag1);
    assert_eq!(got.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(&got.bytes().await.unwrap()[..], b"v1");

    let updated = put(&erin, &url, Some(("if-match", &tag1)), b"v2").await;
    assert_eq!(updated.status(), StatusCode::OK);
    let tag2 = etag(&updated);
    assert_ne!(tag1, tag2);

    let stale = put(&erin, &url, Some(("if-match", &tag1)), b"lost?").await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(etag(&stale), tag2);
    assert_eq!(
        &erin.get(&url).send().await.unwrap().bytes().await.unwrap()[..],
        b"v2"
    );

    let listed: Value = erin
        .get(server.api("/blobs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "keyring");
    assert_eq!(format!("\"{}\"", listed[0]["tag"].as_str().unwrap()), tag2);
    assert!(listed[0]["updated"].as_i64().unwrap() > 1_700_000_000_000);

    let blind_delete = erin.delete(&url).send().await.unwrap();
    assert_eq!(blind_delete.status(), StatusCode::PRECONDITION_FAILED);
    let stale_delete = erin
        .delete(&url)
        .header("if-match", &tag1)
        .send()
        .await
        .unwrap();
    assert_eq!(stale_delete.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(etag(&stale_delete), tag2);
    let deleted = erin
        .delete(&url)
        .header("if-match", &tag2)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        erin.get(&url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

async fn racing_writers_exactly_one_wins(backend: Backend) {
    let server = TestServer::start(backend).await;
    let fay = server.signed_in("fay").await;
    let url = server.api("/blobs/metadata");
    let tag = etag(&put(&fay, &url, Some(("if-none-match", "*")), b"base").await);

    let writers = (0..12).map(|_| {
        let (fay, url, tag) = (fay.clone(), url.clone(), tag.clone());
        tokio::spawn(async move {
            put(&fay, &url, Some(("if-match", &tag)), b"mine")
                .await
                .status()
        })
    });
    let mut statuses = Vec::new();
    for writer in writers {
        statuses.push(writer.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
            .count(),
        11,
        "{statuses:?}"
    );

    // Two creators racing on a new name: one creates, one is told.
    let new = server.api("/blobs/fresh");
    let (a, b) = tokio::join!(
        put(&fay, &new, Some(("if-none-match", "*")), b"a"),
        put(&fay, &new, Some(("if-none-match", "*")), b"b"),
    );
    let mut both = [a.status(), b.status()];
    both.sort();
    assert_eq!(both, [StatusCode::CREATED, StatusCode::PRECONDITION_FAILED]);
}

async fn another_accounts_blob_looks_missing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let gus = server.signed_in("gus").await;
    let hal = server.signed_in("hal").await;
    let url = server.api("/blobs/keyring");
    let tag = etag(&put(&gus, &url, Some(("if-none-match", "*")), b"gus's").await);

    let theirs = hal.get(&url).send().await.unwrap();
    let missing = hal.get(server.api("/blobs/nothing")).send().await.unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    assert_eq!(theirs.text().await.unwrap(), missing.text().await.unwrap());

    // Hal can't overwrite or delete it with Gus's tag either.
    let overwrite = put(&hal, &url, Some(("if-match", &tag)), b"hal's").await;
    assert_eq!(overwrite.status(), StatusCode::PRECONDITION_FAILED);
    assert!(
        overwrite.headers().get(header::ETAG).is_none(),
        "no tag leaks"
    );
    let delete = hal
        .delete(&url)
        .header("if-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::NOT_FOUND);
    let list: Value = hal
        .get(server.api("/blobs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    // Listing by name gives those only, of the account's own.
    for (who, names, count) in [
        (&gus, "keyring,metadata", 1),
        (&gus, "metadata", 0),
        (&hal, "keyring", 0),
    ] {
        let url = server.api(&format!("/blobs?names={names}"));
        let list: Value = who.get(url).send().await.unwrap().json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), count, "{names}: {list}");
    }
    // Hal's own blob of the same name is separate.
    assert_eq!(
        put(&hal, &url, Some(("if-none-match", "*")), b"hal's")
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        &gus.get(&url).send().await.unwrap().bytes().await.unwrap()[..],
        b"gus's"
    );
}

async fn sizes_names_and_types_are_checked(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.max_blob_bytes = 1000;
        config.account_quota_bytes = 1500;
    })
    .await;
    let ivy = server.signed_in("ivy").await;
    let big = ivy
        .put(server.api("/blobs/a"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header("if-none-match", "*")
        .body(vec![0u8; 1001])
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(big).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );

    let first = ivy
        .put(server.api("/blobs/a"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header("if-none-match", "*")
        .body(vec![0u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let over = ivy
        .put(server.api("/blobs/b"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header("if-none-match", "*")
        .body(vec![0u8; 600])
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(over).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded".into())
    );

    for name in ["UPPER", "with%20space", "a..b/c", &"x".repeat(65)] {
        let response = ivy
            .get(server.api(&format!("/blobs/{name}")))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(
                response.status(),
                StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND
            ),
            "{name}: {}",
            response.status()
        );
        assert!(response.json::<Value>().await.is_ok(), "{name}: JSON error");
    }
    let bad_name = ivy.get(server.api("/blobs/UPPER")).send().await.unwrap();
    assert_eq!(
        error_code(bad_name).await,
        (StatusCode::BAD_REQUEST, "invalid_blob_name".into())
    );

    let as_json = ivy
        .put(server.api("/blobs/c"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("if-none-match", "*")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(as_json).await,
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type".into()
        )
    );
}

async fn bad_input_gets_json_errors_never_500(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anonymous = client();
    let cases: Vec<(reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            anonymous
                .post(server.api("/session"))
                .header(header::CONTENT_TYPE, "application/json")
                .body("{not json"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            anonymous
                .post(server.api("/session"))
                .header(header::CONTENT_TYPE, "text/plain")
                .body("{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            anonymous
                .post(server.api("/session"))
                .json(&json!({"username": 5})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            anonymous
                .post(server.api("/accounts"))
                .json(&json!({"username": "x", "password": "y".repeat(20_000)})),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            anonymous.get(server.api("/nope")),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            anonymous.put(server.api("/health")),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            anonymous.get(server.api("/blobs")),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            anonymous
                .post(server.api("/host-keys/scan"))
                .json(&json!({"host": "nas"})),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            anonymous
                .get(server.api("/session"))
                .header(header::COOKIE, "keyhaven_session=garbage; other=1"),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
    ];
    for (request, status, code) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(error_code(response).await, (status, code.to_owned()));
    }
    // A password in a badly typed body is never echoed back.
    let echoed = anonymous
        .post(server.api("/session"))
        .json(&json!({"username": "x", "password": ["hunter2-secret"]}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!echoed.contains("hunter2"), "{echoed}");
}

async fn no_signup_refuses_new_accounts(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.no_signup = true).await;
    let response = client()
        .post(server.api("/accounts"))
        .json(&json!({"username": "jo", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(response).await,
        (StatusCode::FORBIDDEN, "signup_disabled".into())
    );
}

/// Failed sign-ins are refused with 429 and Retry-After after ten (the
/// slow-down before that is unit-tested in `limiter.rs`); other users are
/// unaffected. The limiter is in memory, so one backend suffices.
#[tokio::test]
async fn repeated_failures_are_slowed_then_refused() {
    let server = TestServer::start(Backend::Sqlite).await;
    server.signed_in("kim").await;
    let attacker = client();
    let attempt = || {
        attacker
            .post(server.api("/session"))
            .json(&json!({"username": "kim", "password": "guess guess guess"}))
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(attempt().await.unwrap().status());
    }
    assert!(
        statuses[..10]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    let refused = attempt().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    // Even the right password is refused while locked out...
    let locked = client()
        .post(server.api("/session"))
        .json(&json!({"username": "kim", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...but another user signs in as usual.
    server.signed_in("lee").await;
}
