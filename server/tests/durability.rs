//! A separate server process takes a stream of writes, is killed with
//! SIGKILL in the middle of it, and restarts: every write it acknowledged
//! is there, intact.

mod common;

use std::sync::{Arc, Mutex};

use common::process::start_server;
use reqwest::header;
use serde_json::json;

const PASSWORD: &str = "durable password";

fn content(writer: usize, seq: usize) -> Vec<u8> {
    // Large enough to span pages; self-describing so damage shows.
    format!("writer {writer} write {seq} ")
        .repeat(300)
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, url) = start_server(data.path(), |_| {});
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let created = client
        .post(format!("{url}/api/v1/accounts"))
        .json(&json!({"username": "dur", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let acknowledged = Arc::new(Mutex::new(Vec::<(usize, usize)>::new()));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (client, url, acknowledged) = (client.clone(), url.clone(), acknowledged.clone());
            tokio::spawn(async move {
                for seq in 0.. {
                    let sent = client
                        .put(format!("{url}/api/v1/blobs/w{writer}-{seq}"))
                        .header(header::CONTENT_TYPE, "application/octet-stream")
                        .header("if-none-match", "*")
                        .body(content(writer, seq))
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status().is_success() => {
                            acknowledged.lock().unwrap().push((writer, seq));
                        }
                        _ => break, // the server is gone
                    }
                }
            })
        })
        .collect();

    // Kill it in the middle of the stream, once enough writes are in.
    loop {
        if acknowledged.lock().unwrap().len() >= 120 {
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let (mut child, url) = start_server(data.path(), |_| {});
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let signed_in = client
        .post(format!("{url}/api/v1/session"))
        .json(&json!({"username": "dur", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 204);
    for (writer, seq) in &acknowledged {
        let got = client
            .get(format!("{url}/api/v1/blobs/w{writer}-{seq}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.status(),
            200,
            "acknowledged write w{writer}-{seq} is missing"
        );
        assert_eq!(
            got.bytes().await.unwrap().to_vec(),
            content(*writer, *seq),
            "w{writer}-{seq} damaged"
        );
    }
    assert!(acknowledged.len() >= 120);
    child.kill().unwrap();
    child.wait().unwrap();
}
