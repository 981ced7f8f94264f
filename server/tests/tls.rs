//! The server's own HTTPS, over real TLS from a rustls client: the
//! self-signed certificate and the fingerprint it prints, `Secure` cookies
//! and HSTS, plain http redirected, and a renewed certificate taken in.

mod common;

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

use axum::http::{StatusCode, header};
use common::{
    PASSWORD,
    https::{Https, read_pem},
    process::start_server_printing,
};
use serde_json::json;
use sha2::{Digest, Sha256};

struct Stop(Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_self_signed_server_prints_the_fingerprint_of_the_certificate_it_serves() {
    let data = tempfile::tempdir().unwrap();
    let (child, url, printed) = start_server_printing(data.path(), |command| {
        command.args(["--tls-self-signed", "--tls-name", "127.0.0.1"]);
    });
    let _stop = Stop(child);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let cert_file = data.path().join("tls/self-signed.crt");
    let certs = read_pem(&cert_file);
    let der = certs[0].to_vec();
    let expected: Vec<String> = Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let line = format!(
        "TLS certificate SHA-256 fingerprint: {}",
        expected.join(":")
    );
    assert!(printed.contains(&line), "{printed:?} lacks {line}");

    // The same certificate is what a client gets, and it verifies for the
    // name it was made for.
    let https = Https::trusting(&url, &certs);
    let health = https.get("/api/v1/health").await.unwrap();
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.certificate, der);
    assert_eq!(
        health.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );

    // Under TLS the session cookie is Secure without any flag.
    let created = https
        .post_json(
            "/api/v1/accounts",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await
        .unwrap();
    assert_eq!(created.status, StatusCode::CREATED);
    let cookie = created.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");

    // A second start keeps the certificate (and so its fingerprint).
    drop(_stop);
    let (child, _, again) = start_server_printing(data.path(), |command| {
        command.args(["--tls-self-signed", "--tls-name", "127.0.0.1"]);
    });
    let _stop = Stop(child);
    assert!(again.contains(&line), "{again:?}");
    assert!(!again.iter().any(|l| l.starts_with("Made a self-signed")));
}

#[tokio::test]
async fn plain_http_is_redirected_on_the_tls_port_and_the_redirect_port() {
    let data = tempfile::tempdir().unwrap();
    let (child, url, printed) = start_server_printing(data.path(), |command| {
        command.args([
            "--tls-self-signed",
            "--tls-name",
            "127.0.0.1",
            "--http-redirect-listen",
            "127.0.0.1:0",
        ]);
    });
    let _stop = Stop(child);
    let port = url.rsplit(':').next().unwrap();
    let redirect_addr = printed
        .iter()
        .find_map(|l| l.strip_prefix("Redirecting http://"))
        .and_then(|l| l.strip_suffix(" to https://"))
        .expect("the redirect's address is printed")
        .to_owned();

    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let same_port = plain
        .get(format!("http://127.0.0.1:{port}/keyring?tab=1"))
        .send()
        .await
        .unwrap();
    redirects_to(
        &same_port,
        &format!("https://127.0.0.1:{port}/keyring?tab=1"),
    );
    // Plain http never reaches the app: no cookie, no API.
    let api = plain
        .post(format!("http://127.0.0.1:{port}/api/v1/accounts"))
        .json(&json!({"username": "bob", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    redirects_to(&api, &format!("https://127.0.0.1:{port}/api/v1/accounts"));
    assert!(api.headers().get(header::SET_COOKIE).is_none());

    let other_port = plain
        .get(format!("http://{redirect_addr}/signin"))
        .header(header::HOST, "keyhaven.test")
        .send()
        .await
        .unwrap();
    redirects_to(&other_port, &format!("https://keyhaven.test:{port}/signin"));
}

/// A permanent redirect (the method kept) to `location`.
fn redirects_to(response: &reqwest::Response, location: &str) {
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()[header::LOCATION], location);
}

/// A certificate for 127.0.0.1 named `name` (the client tells trusted
/// certificates apart by name): writes its PEM files, returns its DER.
fn make_certificate(dir: &Path, name: &str) -> Vec<u8> {
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".into()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.join(format!("{name}.crt")), cert.pem()).unwrap();
    std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
    cert.der().to_vec()
}

/// Replaces the served files with `name`'s, as a renewal tool does.
fn install(dir: &Path, name: &str) {
    for ext in ["crt", "key"] {
        std::fs::copy(
            dir.join(format!("{name}.{ext}")),
            dir.join(format!("served.{ext}")),
        )
        .unwrap();
    }
}

/// Waits until the server presents `expected` (a reload is asynchronous).
async fn wait_for_certificate(https: &Https, expected: &[u8], within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let last = match https.get("/api/v1/health").await {
            Ok(answer) if answer.certificate == expected => return,
            Ok(_) => "the old certificate".to_owned(),
            Err(error) => error,
        };
        assert!(
            Instant::now() < deadline,
            "the server never presented the new certificate: {last}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_renewed_certificate_is_taken_in_on_sighup_and_on_change_and_a_broken_one_is_not() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let first = make_certificate(dir, "first");
    let second = make_certificate(dir, "second");
    let third = make_certificate(dir, "third");
    install(dir, "first");
    let (child, url, printed) = start_server_printing(dir, |command| {
        command
            .arg("--tls-cert")
            .arg(dir.join("served.crt"))
            .arg("--tls-key")
            .arg(dir.join("served.key"))
            .stderr(std::process::Stdio::piped());
    });
    let mut stop = Stop(child);
    assert!(
        printed
            .iter()
            .any(|l| l.starts_with("TLS certificate SHA-256"))
    );
    let trusted: Vec<_> = ["first", "second", "third"]
        .iter()
        .flat_map(|name| read_pem(&dir.join(format!("{name}.crt"))))
        .collect();
    let https = Https::trusting(&url, &trusted);
    assert_eq!(https.get("/").await.unwrap().certificate, first);

    install(dir, "second");
    let pid = stop.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    wait_for_certificate(&https, &second, Duration::from_secs(10)).await;

    // Without a signal: the changed files are noticed (checked every 5 s).
    install(dir, "third");
    wait_for_certificate(&https, &third, Duration::from_secs(20)).await;

    // A half-written certificate is not served; the last good one stays.
    std::fs::write(dir.join("served.crt"), "-----BEGIN CERTIFICATE-----\n").unwrap();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let stderr = BufReader::new(stop.0.stderr.take().unwrap());
    let kept = tokio::task::spawn_blocking(move || {
        stderr
            .lines()
            .map_while(Result::ok)
            .find(|line| line.contains("kept the current TLS certificate"))
    })
    .await
    .unwrap();
    assert!(kept.is_some());
    assert_eq!(https.get("/").await.unwrap().certificate, third);
}
