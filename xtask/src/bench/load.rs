//! Server-side measurements: host-key scans against ssh-keyscan, and the
//! server under load (wrk) on SQLite and PostgreSQL.

use std::{path::Path, process::Command, time::Instant};

use anyhow::{Context, bail};

use super::{crypto::time_command, http, report::Row};
use crate::Workspace;

use super::{BENCH_PASSWORD, KEYGEN_RUNS, WRK_RUNS};

pub(super) fn scans(addr: &str, port: u16) -> anyhow::Result<Vec<Row>> {
    let scan_body = serde_json::json!({"host": "127.0.0.1", "port": port}).to_string();
    let scan = |cookie: &str| -> anyhow::Result<f64> {
        let start = Instant::now();
        let response = http::request(
            addr,
            "POST",
            "/api/v1/host-keys/scan",
            &[("Cookie", cookie), ("Content-Type", "application/json")],
            scan_body.as_bytes(),
        )?;
        let elapsed = start.elapsed().as_secs_f64() * 1000.0;
        let keys: serde_json::Value = serde_json::from_slice(&response.body)?;
        if response.status != 200 || keys["keys"].as_array().map_or(0, Vec::len) < 3 {
            bail!("scan failed: {} {keys}", response.status);
        }
        Ok(elapsed)
    };
    let cookie = http::create_account(
        addr,
        &format!("scan-{}", std::process::id()),
        BENCH_PASSWORD,
    )?;
    let ours = (0..KEYGEN_RUNS)
        .map(|_| scan(&cookie))
        .collect::<anyhow::Result<Vec<f64>>>()?;
    let port_arg = port.to_string();
    let keyscan = (0..KEYGEN_RUNS)
        .map(|_| {
            time_command(
                "ssh-keyscan",
                &["-p", &port_arg, "-t", "rsa,ecdsa,ed25519", "127.0.0.1"],
                || {},
            )
        })
        .collect::<anyhow::Result<Vec<f64>>>()?;

    // 100 at once: 25 accounts × 4 (an account may run 4 scans at once).
    let cookies = (0..25)
        .map(|n| {
            http::create_account(
                addr,
                &format!("scan-{}-{n}", std::process::id()),
                BENCH_PASSWORD,
            )
        })
        .collect::<anyhow::Result<Vec<String>>>()?;
    let mut concurrent = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        std::thread::scope(|scope| -> anyhow::Result<()> {
            let handles: Vec<_> = cookies
                .iter()
                .flat_map(|c| std::iter::repeat_n(c, 4))
                .map(|cookie| scope.spawn(|| scan(cookie)))
                .collect();
            for handle in handles {
                handle.join().expect("scan thread")?;
            }
            Ok(())
        })?;
        concurrent.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(vec![
        Row::new("host-key scan, all key types (server endpoint)", "ms", ours)
            .anchor("ssh-keyscan -t rsa,ecdsa,ed25519", keyscan)
            .target("≤ 1.2× ssh-keyscan"),
        Row::new("100 concurrent scans, wall time", "ms", concurrent),
    ])
}

/// wrk GET and durable PUT, 64 connections, several runs.
pub(super) fn server_load(ws: &Workspace, addr: &str, backend: &str) -> anyhow::Result<Vec<Row>> {
    let scripts = ws.root.join("xtask/bench");
    let run = std::cell::Cell::new(0);
    // Each run gets fresh accounts: GET reads one 2 KiB blob; PUT creates
    // blobs spread over 16 accounts (users hold a few blobs each, and the
    // quota check sums an account's blobs).
    let wrk = |script: &str| -> anyhow::Result<(f64, f64)> {
        run.set(run.get() + 1);
        let accounts = (0..16)
            .map(|n| {
                let name = format!("load-{}-{backend}-{}-{n}", std::process::id(), run.get());
                http::create_account(addr, &name, BENCH_PASSWORD)
            })
            .collect::<anyhow::Result<Vec<String>>>()?;
        let cookie = accounts[0].clone();
        http::create_blob(addr, &cookie, "keyring", &[7u8; 2048])?;
        let output = Command::new("wrk")
            .args(["-t2", "-c64", "-d5s", "--latency", "-s"])
            .arg(scripts.join(script))
            .arg(format!("http://{addr}"))
            .env("COOKIE", &cookie)
            .env("COOKIES", accounts.join(","))
            .output()
            .context("running wrk")?;
        let text = String::from_utf8_lossy(&output.stdout);
        if text.contains("Non-2xx") {
            bail!("wrk saw errors:\n{text}");
        }
        parse_wrk(&text).with_context(|| format!("reading wrk's output:\n{text}"))
    };
    // The floor: the same server, middleware and connections answering its
    // health route (no session, no store), run between the others so the
    // machine's state is shared. A ratio that drops is Keyhaven's code.
    let health = || -> anyhow::Result<f64> {
        let output = Command::new("wrk")
            .args(["-t2", "-c64", "-d5s", "--latency"])
            .arg(format!("http://{addr}/api/v1/health"))
            .output()
            .context("running wrk")?;
        let text = String::from_utf8_lossy(&output.stdout);
        if text.contains("Non-2xx") {
            bail!("wrk saw errors:\n{text}");
        }
        Ok(parse_wrk(&text)
            .with_context(|| format!("reading wrk's output:\n{text}"))?
            .0)
    };
    let mut rows = Vec::new();
    for (script, what, target) in [
        ("get.lua", "blob GET", "≥ 10,000 req/s"),
        ("put.lua", "durable blob PUT", "≥ 1,000 req/s"),
    ] {
        let mut runs = Vec::new();
        let mut floor = Vec::new();
        for _ in 0..WRK_RUNS {
            floor.push(health()?);
            runs.push(wrk(script)?);
        }
        rows.push(
            Row::new(
                format!("{what}, {backend}, 64 connections"),
                "req/s",
                runs.iter().map(|r| r.0).collect(),
            )
            .anchor("health route, same server and middleware", floor)
            .target(target),
        );
        rows.push(Row::new(
            format!("{what}, {backend}, p99 latency"),
            "ms",
            runs.iter().map(|r| r.1).collect(),
        ));
    }
    Ok(rows)
}

/// Sign-ins with the right password: below the hashing gate's cap (64
/// connections) and past it (256: the waiting room is 64 per core), where
/// the share answered 503 is the point.
pub(super) fn sign_in_load(
    ws: &Workspace,
    binary: &Path,
    addr: &str,
    backend: &str,
) -> anyhow::Result<Vec<Row>> {
    let users: Vec<String> = (0..256)
        .map(|n| format!("signin-{}-{backend}-{n}", std::process::id()))
        .collect();
    for user in &users {
        http::create_account(addr, user, BENCH_PASSWORD)?;
    }
    let users = users.join(",");
    let script = ws.root.join("xtask/bench/signin.lua");
    let wrk = |connections: u32| -> anyhow::Result<(f64, f64, f64)> {
        let output = Command::new("wrk")
            .args([
                "-t2",
                &format!("-c{connections}"),
                "-d5s",
                "--latency",
                "-s",
            ])
            .arg(&script)
            .arg(format!("http://{addr}"))
            .env("KH_USERS", &users)
            .env("KH_PASSWORD", BENCH_PASSWORD)
            .output()
            .context("running wrk")?;
        let text = String::from_utf8_lossy(&output.stdout);
        let (rate, p99) =
            parse_wrk(&text).with_context(|| format!("reading wrk's output:\n{text}"))?;
        let count = |prefix: &str| -> f64 {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(prefix))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0.0)
        };
        let total = text
            .lines()
            .find_map(|l| l.trim().split_once(" requests in "))
            .and_then(|(n, _)| n.trim().parse::<f64>().ok())
            .unwrap_or(0.0);
        let refused = count("Non-2xx or 3xx responses:");
        let share = if total > 0.0 {
            refused / total * 100.0
        } else {
            0.0
        };
        if connections <= 64 && refused > 0.0 {
            bail!("sign-ins below the cap were refused:\n{text}");
        }
        Ok((rate * (1.0 - share / 100.0), p99, share))
    };
    // The ceiling: the password checks per second these cores do with the
    // server's Argon2id parameters, with nothing else (`--hash-rate`),
    // measured between the sign-in runs.
    let mut below = Vec::new();
    let mut raw = Vec::new();
    for _ in 0..WRK_RUNS {
        raw.push(hash_rate(binary)?);
        below.push(wrk(64)?);
    }
    let past = (0..WRK_RUNS)
        .map(|_| wrk(256))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(vec![
        Row::new(
            format!("sign-in, {backend}, 64 connections"),
            "req/s",
            below.iter().map(|r| r.0).collect(),
        )
        .anchor("password checks alone, same cores (--hash-rate)", raw),
        Row::new(
            format!("sign-in, {backend}, p99 latency"),
            "ms",
            below.iter().map(|r| r.1).collect(),
        ),
        Row::new(
            format!("sign-in past the cap, {backend}, 256 connections (204s)"),
            "req/s",
            past.iter().map(|r| r.0).collect(),
        ),
        Row::new(
            format!("sign-in past the cap, {backend}, p99 latency"),
            "ms",
            past.iter().map(|r| r.1).collect(),
        ),
        Row::new(
            format!("sign-in past the cap, {backend}, answered 503"),
            "%",
            past.iter().map(|r| r.2).collect(),
        ),
    ])
}

/// `keyhaven-server --hash-rate`: password checks per second.
fn hash_rate(binary: &Path) -> anyhow::Result<f64> {
    let output = Command::new(binary)
        .arg("--hash-rate")
        .output()
        .context("running keyhaven-server --hash-rate")?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("reading --hash-rate's output: {text}"))
}

/// Requests per second and the 99th percentile latency (ms).
pub(super) fn parse_wrk(text: &str) -> Option<(f64, f64)> {
    let rate = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))?
        .trim()
        .parse()
        .ok()?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))?
        .trim();
    let (number, factor) = if let Some(v) = p99.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = p99.strip_suffix("ms") {
        (v, 1.0)
    } else {
        (p99.strip_suffix('s')?, 1000.0)
    };
    Some((rate, number.parse::<f64>().ok()? * factor))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_wrk_output() {
        let text = "Running 5s test @ http://127.0.0.1:1\n  Latency Distribution\n     50%    2.50ms\n     99%  812.00us\n  91000 requests in 5.00s, 1MB read\nRequests/sec:  18200.50\nTransfer/sec: 1MB\n";
        assert_eq!(super::parse_wrk(text), Some((18200.5, 0.812)));
        let slow = "     99%    1.20s\nRequests/sec:  900.00\n";
        assert_eq!(super::parse_wrk(slow), Some((900.0, 1200.0)));
        assert_eq!(super::parse_wrk("garbage"), None);
    }
}
