//! Live sync over the real socket: `GET /api/v1/events` announces each
//! committed write of the account's blobs (with the new tag), only to that
//! account, within the stream caps; two servers on one PostgreSQL hear each
//! other's writes through LISTEN/NOTIFY.

mod common;

use std::time::Duration;

use common::{Backend, TestServer};
use serde_json::Value;

/// An open event stream, read event by event.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(server: &TestServer, client: &reqwest::Client) -> Stream {
        let response = client.get(server.api("/events")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        assert_eq!(response.headers()["x-accel-buffering"], "no");
        let mut stream = Stream {
            response,
            buffer: String::new(),
        };
        assert_eq!(stream.next().await.0, "ready");
        stream
    }

    /// The next event's type and data (keep-alive comments skipped).
    async fn next(&mut self) -> (String, Value) {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let field = |name: &str| {
                        block
                            .lines()
                            .find_map(|l| l.strip_prefix(name))
                            .map(str::trim)
                            .map(str::to_owned)
                    };
                    if let Some(event) = field("event:") {
                        let data = serde_json::from_str(&field("data:").unwrap_or_default())
                            .unwrap_or(Value::Null);
                        return (event, data);
                    }
                    continue;
                }
                let chunk = self
                    .response
                    .chunk()
                    .await
                    .unwrap()
                    .expect("the stream stays open");
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("an event within 10 s")
    }
}

/// Writes `name` (creating it); returns the new tag.
async fn write(server: &TestServer, client: &reqwest::Client, name: &str) -> String {
    let response = client
        .put(server.api(&format!("/blobs/{name}")))
        .header("content-type", "application/octet-stream")
        .header("if-none-match", "*")
        .body(vec![1, 2, 3])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_owned()
}

async fn a_write_is_announced_to_its_account_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let ana = server.signed_in("ana").await;
    let bob = server.signed_in("bob").await;
    let mut stream = Stream::open(&server, &ana).await;
    // Bob's write is not Ana's news; Ana's is, with its tag.
    write(&server, &bob, "metadata").await;
    let tag = write(&server, &ana, "keyring").await;
    let (event, data) = stream.next().await;
    assert_eq!(event, "changed");
    assert_eq!(data["name"], "keyring");
    assert_eq!(data["tag"], tag.as_str());
    // A delete is announced without a tag.
    let deleted = ana
        .delete(server.api("/blobs/keyring"))
        .header("if-match", format!("\"{tag}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let (event, data) = stream.next().await;
    assert_eq!(
        (event.as_str(), data["name"].as_str()),
        ("changed", Some("keyring"))
    );
    assert_eq!(data["tag"], Value::Null);
}

on_both_backends!(a_write_is_announced_to_its_account_only);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_hear_each_others_writes() {
    let first = TestServer::start(Backend::Postgres).await;
    let url = first.database_url.clone();
    let second = TestServer::start_with(Backend::Sqlite, |c| c.database_url = Some(url)).await;
    let on_first = first.signed_in("ana").await;
    // The same account, signed in on the second server (one database).
    let on_second = common::client();
    let response = on_second
        .post(second.api("/session"))
        .json(&serde_json::json!({"username": "ana", "password": common::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let mut stream = Stream::open(&second, &on_second).await;
    let tag = write(&first, &on_first, "metadata").await;
    let (event, data) = stream.next().await;
    assert_eq!(
        (event.as_str(), data["name"].as_str()),
        ("changed", Some("metadata"))
    );
    assert_eq!(data["tag"], tag.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_need_a_session_and_are_capped() {
    let server = TestServer::start_with(Backend::Sqlite, |c| c.max_streams_per_account = 1).await;
    let anonymous = common::client()
        .get(server.api("/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let ana = server.signed_in("ana").await;
    let open = Stream::open(&server, &ana).await;
    let refused = ana.get(server.api("/events")).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_streams");
    // Closing the stream frees its place.
    drop(open);
    let mut again = None;
    // (At worst the keep-alive comment, every 15 s, finds it closed.)
    for _ in 0..400 {
        let response = ana.get(server.api("/events")).send().await.unwrap();
        if response.status() == 200 {
            again = Some(response);
            break;
        }
        // The server notices the closed connection on its next write; wait
        // for that rather than a fixed time.
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again.is_some(), "the closed stream's place was freed");
}
