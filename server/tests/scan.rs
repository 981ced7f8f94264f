//! Host-key discovery against a real sshd, and each error produced for real.

mod common;

use common::{Backend, TestServer, sshd};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::{io::AsyncWriteExt, net::TcpListener};

async fn server(allow_loopback: bool) -> (TestServer, reqwest::Client) {
    let server = TestServer::start_with(Backend::Sqlite, |config| {
        if allow_loopback {
            config.scan_allow = vec!["127.0.0.0/8".parse().unwrap()];
        }
    })
    .await;
    let client = server.signed_in("ops").await;
    (server, client)
}

async fn scan(server: &TestServer, client: &reqwest::Client, body: Value) -> (StatusCode, Value) {
    let response = client
        .post(server.api("/host-keys/scan"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scan_returns_exactly_what_ssh_keyscan_sees() {
    let sshd = sshd::Sshd::start();
    let (server, client) = server(true).await;
    let (status, body) = scan(
        &server,
        &client,
        json!({"host": "127.0.0.1", "port": sshd.port, "timeout_secs": 10}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let keys = body["keys"].as_array().unwrap();
    let mut ours: Vec<String> = keys
        .iter()
        .map(|k| k["public_key"].as_str().unwrap().to_owned())
        .collect();
    let algorithms: Vec<&str> = keys
        .iter()
        .map(|k| k["algorithm"].as_str().unwrap())
        .collect();
    assert_eq!(
        algorithms,
        ["ssh-rsa", "ecdsa-sha2-nistp256", "ssh-ed25519"],
        "stable order"
    );
    for key in keys {
        let line = key["public_key"].as_str().unwrap();
        assert_eq!(
            key["fingerprint"].as_str().unwrap(),
            sshd::fingerprint(line)
        );
        assert!(key["fingerprint"].as_str().unwrap().starts_with("SHA256:"));
    }
    ours.sort();
    assert_eq!(ours, sshd::keyscan(sshd.port));

    // Scanning again gives the same answer in the same order.
    let (_, again) = scan(
        &server,
        &client,
        json!({"host": "127.0.0.1", "port": sshd.port, "timeout_secs": 10}),
    )
    .await;
    assert_eq!(again, body);
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let (server, client) = server(true).await;
    let port = common::postgres::free_port();
    let (status, body) = scan(&server, &client, json!({"host": "127.0.0.1", "port": port})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("connection_refused"))
    );
}

#[tokio::test]
async fn an_http_server_is_not_an_ssh_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let http = tokio::spawn(async move {
        let router = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
        axum::serve(listener, router).await.unwrap();
    });
    let (server, client) = server(true).await;
    let (status, body) = scan(
        &server,
        &client,
        json!({"host": "127.0.0.1", "port": port, "timeout_secs": 5}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("not_ssh")),
        "{body}"
    );
    http.abort();
}

#[tokio::test]
async fn a_silent_listener_times_out() {
    // Accepts connections and never says a word, like a black hole.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let (server, client) = server(true).await;
    let (status, body) = scan(
        &server,
        &client,
        json!({"host": "127.0.0.1", "port": port, "timeout_secs": 1}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::GATEWAY_TIMEOUT, Some("timed_out")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SSH timeout")
    );
    silent.abort();
}

#[tokio::test]
async fn an_unresolvable_name_says_so() {
    let (server, client) = server(true).await;
    let (status, body) = scan(
        &server,
        &client,
        json!({"host": "no-such-host.invalid", "timeout_secs": 5}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name_not_resolved")),
        "{body}"
    );
}

#[tokio::test]
async fn loopback_is_refused_unless_the_operator_allows_it() {
    let sshd = sshd::Sshd::start();
    let (server, client) = server(false).await;
    for host in [
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "::ffff:127.0.0.1",
        "[::1]",
        "169.254.169.254",
    ] {
        let (status, body) = scan(&server, &client, json!({"host": host, "port": sshd.port})).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("target_not_allowed")),
            "{host}: {body}"
        );
    }
}

#[tokio::test]
async fn invalid_scan_requests_are_400s() {
    let (server, client) = server(true).await;
    for (body, code) in [
        (json!({"host": "https://nas2.lan"}), "invalid_host"),
        (json!({"host": ""}), "invalid_host"),
        (json!({"host": "nas2", "port": 0}), "invalid_port"),
        (
            json!({"host": "nas2", "timeout_secs": 0}),
            "invalid_timeout",
        ),
        (
            json!({"host": "nas2", "timeout_secs": 61}),
            "invalid_timeout",
        ),
        (json!({"host": "nas2", "port": 70000}), "invalid_request"),
    ] {
        let (status, answer) = scan(&server, &client, body.clone()).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn scans_are_rate_limited_per_account() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Answers every connection with a line that is not SSH, at once.
    let junk = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(b"HELLO\r\n").await;
        }
    });
    let (server, client) = server(true).await;
    let mut last = StatusCode::OK;
    for _ in 0..31 {
        last = scan(
            &server,
            &client,
            json!({"host": "127.0.0.1", "port": port, "timeout_secs": 2}),
        )
        .await
        .0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // Another account is not affected.
    let other = server.signed_in("other").await;
    let (status, _) = scan(
        &server,
        &other,
        json!({"host": "127.0.0.1", "port": port, "timeout_secs": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    junk.abort();
}
