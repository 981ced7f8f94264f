//! The server under abuse, on real sockets: parallel password guessing,
//! forged and trusted forwarded addresses, sign-up floods, a burst of
//! sign-ins against a real server process (its peak memory read from
//! /proc), concurrent writes against the quota on PostgreSQL, and host-key
//! scans of every IPv6 spelling of a refused IPv4 address (in a network
//! namespace with only loopback, so nothing can leave the machine).

mod common;

use std::{net::IpAddr, process::Command};

use common::{Backend, PASSWORD, TestServer, client, process::start_server};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn sign_in(
    server_url: &str,
    username: &str,
    password: &str,
    from: Option<&str>,
) -> StatusCode {
    let mut request = client()
        .post(format!("{server_url}/api/v1/session"))
        .json(&json!({"username": username, "password": password}));
    if let Some(from) = from {
        request = request.header("x-forwarded-for", from);
    }
    request.send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_passwords_are_counted_before_any_is_checked() {
    let server = TestServer::start(Backend::Sqlite).await;
    server.signed_in("ana").await;
    let statuses =
        join_all((0..60).map(|_| sign_in(&server.url, "ana", "not the password", None))).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + refused, 60, "{statuses:?}");
    assert!(checked <= 10, "{checked} passwords were checked");
    // The right password is refused too now: the account is being guessed.
    assert_eq!(
        sign_in(&server.url, "ana", PASSWORD, None).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarded_for_buys_no_fresh_attempts() {
    let server = TestServer::start(Backend::Sqlite).await;
    // 50 failures from this address, each claiming to come from elsewhere.
    // (All at once: each waits out its slow-down in parallel.)
    let statuses = join_all((0..50).map(|n| {
        let url = server.url.clone();
        async move {
            let from = format!("203.0.113.{n}");
            sign_in(&url, &format!("nobody{n}"), "wrong password", Some(&from)).await
        }
    }))
    .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    let status = sign_in(
        &server.url,
        "someone",
        "wrong password",
        Some("198.51.100.77"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_has_its_own_count() {
    let server = TestServer::start_with(Backend::Sqlite, |config| {
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let statuses = join_all((0..50).map(|n| {
        let url = server.url.clone();
        async move {
            sign_in(
                &url,
                &format!("nobody{n}"),
                "wrong password",
                Some("203.0.113.1"),
            )
            .await
        }
    }))
    .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert_eq!(
        sign_in(&server.url, "nobody", "wrong password", Some("203.0.113.1")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy is not locked out.
    assert_eq!(
        sign_in(&server.url, "nobody", "wrong password", Some("203.0.113.2")).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signup_flood_gets_429_and_signup_can_be_limited_to_networks() {
    let server =
        TestServer::start_with(Backend::Sqlite, |config| config.signups_per_hour = 3).await;
    let statuses = join_all((0..8).map(|n| {
        client()
            .post(server.api("/accounts"))
            .json(&json!({"username": format!("flood{n}"), "password": PASSWORD}))
            .send()
    }))
    .await;
    let created = statuses
        .iter()
        .filter(|r| r.as_ref().unwrap().status() == StatusCode::CREATED)
        .count();
    let refused: Vec<_> = statuses
        .iter()
        .map(|r| r.as_ref().unwrap())
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!((created, refused.len()), (3, 5));
    assert!(
        refused
            .iter()
            .all(|r| r.headers().contains_key("retry-after"))
    );

    let lan_only = TestServer::start_with(Backend::Sqlite, |config| {
        config.signup_allow = vec!["10.0.0.0/8".parse().unwrap()];
    })
    .await;
    let response = client()
        .post(lan_only.api("/accounts"))
        .json(&json!({"username": "outsider", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "signup_not_allowed");
}

/// VmHWM (peak resident memory) of a process, in KiB.
fn peak_memory_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_sign_ins_stays_small_and_never_fails() {
    let data = tempfile::tempdir().unwrap();
    // Behind a (trusted) proxy, so 96 different clients each get to hash.
    let (mut child, url) = start_server(data.path(), |command| {
        command.args(["--trusted-proxy", "127.0.0.1/32"]);
    });
    let statuses = join_all((0..96).map(|n| {
        let url = url.clone();
        async move {
            sign_in(
                &url,
                &format!("unknown{n}"),
                "a wrong password",
                Some(&format!("203.0.113.{n}")),
            )
            .await
        }
    }))
    .await;
    let peak_mib = peak_memory_kib(child.id()) / 1024;
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    let unauthorized = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(
        unauthorized, 96,
        "the waiting room holds a burst of this size"
    );
    assert!(peak_mib < 256, "peak memory {peak_mib} MiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_cannot_exceed_the_quota_on_postgresql() {
    const BLOB: usize = 16 * 1024;
    let server = TestServer::start_with(Backend::Postgres, |config| {
        config.account_quota_bytes = 4 * BLOB;
    })
    .await;
    let account = server.signed_in("quota").await;
    let body = vec![7u8; BLOB];
    let responses = join_all((0..32).map(|n| {
        account
            .put(server.api(&format!("/blobs/b{n}")))
            .header("if-none-match", "*")
            .header("content-type", "application/octet-stream")
            .body(body.clone())
            .send()
    }))
    .await;
    let statuses: Vec<StatusCode> = responses
        .iter()
        .map(|r| r.as_ref().unwrap().status())
        .collect();
    let stored = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(stored, 4, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::PAYLOAD_TOO_LARGE)
    );
    let listed: Value = account
        .get(server.api("/blobs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let total: u64 = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["size"].as_u64().unwrap())
        .sum();
    assert!(total <= 4 * BLOB as u64, "{total} bytes stored");
}

/// Host-key scans of each IPv6 spelling of an IPv4 address answer exactly
/// as the IPv4 address does. Run inside `unshare -n` with only loopback up
/// (the test re-runs itself there), so an address that slipped through
/// could reach nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ipv6_form_is_refused_like_its_ipv4_twin() {
    if std::env::var_os("KEYHAVEN_IN_NETNS").is_none() {
        let test = "every_ipv6_form_is_refused_like_its_ipv4_twin";
        let exe = std::env::current_exe().unwrap();
        let run = Command::new("unshare")
            .args([
                "-n",
                "sh",
                "-c",
                r#"ip link set lo up && exec "$0" --exact "$1" --test-threads 1"#,
            ])
            .arg(exe)
            .arg(test)
            .env("KEYHAVEN_IN_NETNS", "1")
            .output()
            .expect("unshare runs (as root)");
        // Its own output stays here (the inner run's summary line is not
        // another test), shown when it failed.
        assert!(
            run.status.success() && String::from_utf8_lossy(&run.stdout).contains("1 passed"),
            "the test failed inside its network namespace:\n{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        return;
    }
    // Nothing but loopback here: a connection anywhere else fails at once.
    assert!(std::net::TcpStream::connect("192.0.2.1:22").is_err());
    let server = TestServer::start(Backend::Sqlite).await;
    let account = server.signed_in("scanner").await;
    let scan = |host: String| {
        let account = account.clone();
        let url = server.api("/host-keys/scan");
        async move {
            let response = account
                .post(url)
                .json(&json!({"host": host, "port": 22, "timeout_secs": 2}))
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            (
                status,
                body["error"]["code"].as_str().unwrap_or("").to_owned(),
            )
        }
    };
    for twin in [
        "127.0.0.1",
        "169.254.169.254",
        "100.100.100.200",
        "10.0.0.5",
    ] {
        let v4: std::net::Ipv4Addr = twin.parse().unwrap();
        let [a, b, c, d] = v4.octets();
        let (hi, lo) = (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
        let expected = scan(twin.to_owned()).await;
        if twin != "10.0.0.5" {
            assert_eq!(
                expected,
                (StatusCode::FORBIDDEN, "target_not_allowed".into()),
                "{twin}"
            );
        }
        for form in [
            format!("::ffff:{twin}"),
            format!("::{twin}"),
            format!("64:ff9b::{twin}"),
            format!("2002:{hi:x}:{lo:x}::1"),
        ] {
            assert!(form.parse::<IpAddr>().is_ok());
            assert_eq!(scan(form.clone()).await, expected, "{form} vs {twin}");
        }
    }
    for refused in [
        "fd00:ec2::254",
        "fec0::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    ] {
        assert_eq!(
            scan(refused.to_owned()).await,
            (StatusCode::FORBIDDEN, "target_not_allowed".into()),
            "{refused}"
        );
    }
}
