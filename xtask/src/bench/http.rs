//! Just enough HTTP/1.1 to set up benchmark accounts and time scans, so the
//! harness needs no client library (`Connection: close`, one request per
//! connection).

use std::{
    io::{Read, Write},
    net::TcpStream,
};

use anyhow::{Context, bail};

pub(super) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `addr` is `127.0.0.1:PORT`.
pub(super) fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> anyhow::Result<Response> {
    let mut stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers in the response")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .context("no status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut response = Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    };
    if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        response.body = unchunk(&response.body)?;
    }
    Ok(response)
}

fn unchunk(mut data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("bad chunk")?;
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end])?.trim(), 16)?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            bail!("chunk cut short");
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Creates an account and returns its session cookie (`name=value`).
pub(super) fn create_account(addr: &str, username: &str, password: &str) -> anyhow::Result<String> {
    let body = serde_json::json!({"username": username, "password": password}).to_string();
    let response = request(
        addr,
        "POST",
        "/api/v1/accounts",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )?;
    if response.status != 201 && response.status != 200 {
        bail!(
            "creating account {username}: {} {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    let cookie = response
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .context("no session cookie")?;
    Ok(cookie.to_owned())
}

/// Stores a new blob (`If-None-Match: *`) in the cookie's account.
pub(super) fn create_blob(
    addr: &str,
    cookie: &str,
    name: &str,
    bytes: &[u8],
) -> anyhow::Result<()> {
    let response = request(
        addr,
        "PUT",
        &format!("/api/v1/blobs/{name}"),
        &[
            ("Cookie", cookie),
            ("Content-Type", "application/octet-stream"),
            ("If-None-Match", "*"),
        ],
        bytes,
    )?;
    if response.status >= 300 {
        bail!("storing blob {name}: {}", response.status);
    }
    Ok(())
}
