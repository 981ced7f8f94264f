//! No password, session token or blob content ever reaches the logs, even
//! at debug level.

mod common;

use std::process::Command;

use common::process::start_server;

use reqwest::header;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_log() {
    let data = tempfile::tempdir().unwrap();
    let log_path = data.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let (mut child, url) = start_server(data.path(), |command| {
        command.env("RUST_LOG", "debug").stderr(log);
    });

    let password = "log-canary-password-7f3a";
    let wrong = "log-canary-wrong-91bd";
    let blob = "log-canary-blob-5c2e";
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{url}/api/v1/accounts"))
        .json(&json!({"username": "logger", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let cookie = created.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_owned();
    let failed = client
        .post(format!("{url}/api/v1/session"))
        .json(&json!({"username": "logger", "password": wrong}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    let put = client
        .put(format!("{url}/api/v1/blobs/keyring"))
        .header(header::COOKIE, format!("keyhaven_session={token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header("if-none-match", "*")
        .body(blob)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("account created"),
        "the log is being written:\n{log}"
    );
    assert!(log.contains("failed sign-in"), "{log}");
    for secret in [password, wrong, blob, &token] {
        assert!(!log.contains(secret), "{secret} leaked into the log");
    }
}
