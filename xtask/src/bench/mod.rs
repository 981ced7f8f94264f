//! `cargo xtask bench`: every measurement of design.md's "Speed and size",
//! each beside its anchor measured in the same run, in one table printed and
//! written to `target/bench/report.md` and `report.json`.
//!
//! Nothing here is a test: no threshold fails the run; the table says where
//! each number stands against its target.

mod http;
mod report;
mod services;

use std::{
    path::Path,
    process::{Command, ExitCode},
    time::Instant,
};

use anyhow::{Context, bail};
use keyhaven_core::keyring::{EntryValue, KdfParams, Keyring};
use rand_core::OsRng;
use secrecy::SecretString;

use crate::{Workspace, build, server::RunningServer, step, tools};
use report::Row;
use services::{Postgres, Sshd};

/// Repetitions: browser unlock and page loads, server load runs, scans.
const RUNS: usize = 7;
const KEYGEN_RUNS: usize = 15;
const WRK_RUNS: usize = 3;
const BENCH_PASSWORD: &str = "benchmark account password";
const BENCH_PASSPHRASE: &str = "benchmark keyring passphrase";

pub fn run(ws: &Workspace) -> anyhow::Result<ExitCode> {
    tools::ensure_bench_tools(ws)?;
    let sizes = build::app(ws)?;
    let binary = build::release_server(ws)?;
    let mut rows = Vec::new();

    step("App size: the wasm the browser downloads");
    let brotli: usize = sizes.iter().map(|s| s.3).sum();
    for (name, raw, gzip, br) in &sizes {
        eprintln!("    {name}: {raw} raw, {gzip} gzip, {br} brotli");
    }
    rows.push(
        Row::new("app wasm, brotli (all modules)", "KiB", vec![kib(brotli)]).target("≤ 250 KiB"),
    );
    rows.push(Row::new(
        "app wasm, raw (all modules)",
        "KiB",
        vec![kib(sizes.iter().map(|s| s.1).sum())],
    ));

    let sshd = Sshd::start()?;
    let data = std::env::temp_dir().join(format!("keyhaven-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    let server = start_server(
        ws,
        &binary,
        &[
            "--data-dir".into(),
            data.display().to_string(),
            // The bench creates hundreds of accounts from one address, and
            // its sign-in load names a client per request (as a proxy does).
            "--signups-per-hour".into(),
            "100000".into(),
            "--trusted-proxy".into(),
            "127.0.0.1/32".into(),
        ],
    )?;
    let addr = server.url.trim_start_matches("http://").to_owned();

    step("Browser: page load, unlock, key generation (headless Chromium)");
    let account = setup_bench_account(&addr)?;
    rows.extend(browser(ws, &server.url, &account)?);
    rows.extend(native_kdf(ws)?);
    rows.extend(ssh_keygen_anchors(&rows)?);

    step("Host-key scan against a loopback sshd");
    rows.extend(scans(&addr, sshd.port)?);

    step("Server load on SQLite (wrk, 64 connections)");
    rows.extend(server_load(ws, &addr, "SQLite")?);
    step("Sign-ins on SQLite (wrk, below and past the hashing cap)");
    rows.extend(sign_in_load(ws, &addr, "SQLite")?);
    server.stop();
    let _ = std::fs::remove_dir_all(&data);

    step("Server load on PostgreSQL (wrk, 64 connections)");
    let postgres = Postgres::start()?;
    let server = start_server(
        ws,
        &binary,
        &[
            "--database-url".into(),
            postgres.url(),
            "--signups-per-hour".into(),
            "100000".into(),
            "--trusted-proxy".into(),
            "127.0.0.1/32".into(),
        ],
    )?;
    let addr = server.url.trim_start_matches("http://").to_owned();
    rows.extend(server_load(ws, &addr, "PostgreSQL")?);
    rows.extend(sign_in_load(ws, &addr, "PostgreSQL")?);
    server.stop();
    drop(postgres);
    drop(sshd);

    let machine = machine();
    let table = report::markdown(&rows);
    println!("\n{machine}\n\n{table}");
    let out = ws.target.join("bench");
    report::write(&out, &rows, &machine)?;
    eprintln!("    written to {}", out.join("report.md").display());
    Ok(ExitCode::SUCCESS)
}

fn kib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

fn start_server(ws: &Workspace, binary: &Path, extra: &[String]) -> anyhow::Result<RunningServer> {
    let mut args = vec![
        "--listen".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--scan-allow".to_owned(),
        "127.0.0.1/32".to_owned(),
        // Load runs write thousands of blobs.
        "--account-quota-bytes".to_owned(),
        "4000000000".to_owned(),
    ];
    args.extend_from_slice(extra);
    RunningServer::start(ws, binary, &args)
}

/// An account holding a keyring of 100 API keys under BENCH_PASSPHRASE,
/// built natively with core (the browser then unlocks it).
fn setup_bench_account(addr: &str) -> anyhow::Result<String> {
    let username = format!("bench-{}", std::process::id());
    let cookie = http::create_account(addr, &username, BENCH_PASSWORD)?;
    let passphrase = SecretString::from(BENCH_PASSPHRASE.to_owned());
    let mut keyring =
        Keyring::create_with_passphrase("bench", &passphrase, KdfParams::DEFAULT, 0, &mut OsRng)?;
    for n in 0..100 {
        let value = EntryValue::ApiKey {
            username: "root".into(),
            key: SecretString::from(format!("{n}-{}", "k".repeat(64))),
        };
        keyring.set(&format!("api-key/s{n}"), &value, 0, &mut OsRng)?;
    }
    let bytes = keyring.seal(&mut OsRng);
    http::create_blob(addr, &cookie, "keyring", &bytes)?;
    Ok(username)
}

fn browser(ws: &Workspace, url: &str, username: &str) -> anyhow::Result<Vec<Row>> {
    let output = crate::cmd::command(&ws.root, "node", &ws.root.join("e2e"))
        .arg("bench/browser.mjs")
        .env("KEYHAVEN_URL", url)
        .env("BENCH_USER", username)
        .env("BENCH_PASSWORD", BENCH_PASSWORD)
        .env("BENCH_PASSPHRASE", BENCH_PASSPHRASE)
        .env("BENCH_RUNS", RUNS.to_string())
        .env("BENCH_KEYGEN_RUNS", KEYGEN_RUNS.to_string())
        .env(
            "KEYHAVEN_CHROMIUM_ARGS",
            crate::test::CHROMIUM_ARGS.join(" "),
        )
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running e2e/bench/browser.mjs")?;
    if !output.status.success() {
        bail!("the browser benchmark failed");
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let json: serde_json::Value = serde_json::from_str(text.lines().last().unwrap_or_default())
        .context("the browser benchmark's JSON")?;
    let samples = |value: &serde_json::Value| -> Vec<f64> {
        value
            .as_array()
            .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
            .unwrap_or_default()
    };
    let mut rows =
        vec![
        Row::new("app load to interactive sign-in, cold", "ms", samples(&json["load_cold"])),
        Row::new(
            "app load to interactive sign-in, warm (service worker's cache)",
            "ms",
            samples(&json["load_warm"]),
        ),
        Row::new(
            "app load to interactive sign-in, offline (service worker alone)",
            "ms",
            samples(&json["load_offline"]),
        ),
        Row::new(
            "unlock in browser (Argon2id 64 MiB t=3 p=4 in the app's worker + 100-entry keyring)",
            "ms",
            samples(&json["unlock"]),
        )
        .anchor("hash-wasm argon2id, same browser", samples(&json["hash_wasm"]))
        .target("≤ 0.6× hash-wasm"),
        Row::new(
            "long-task observer check: a deliberate 80 ms task is seen as",
            "ms",
            vec![json["calibration_longest_task"].as_f64().unwrap_or(f64::NAN)],
        ),
        Row::new(
            "longest main-thread task during unlock",
            "ms",
            vec![json["unlock_longest_task"].as_f64().unwrap_or(f64::NAN)],
        )
        .target("< 50 ms"),
    ];
    for (kind, target) in [
        ("Ed25519", "< 5 ms"),
        ("ECDSA", ""),
        ("RSA 3072", "≤ 0.5× ssh-keygen"),
        ("RSA 4096", "≤ 0.5× ssh-keygen"),
    ] {
        rows.push(
            Row::new(
                format!("keygen in browser, {kind} (as the app does it)"),
                "ms",
                samples(&json["keygen"][kind]),
            )
            .target(target),
        );
    }
    rows.push(Row::new(
        "import a passphrase-protected OpenSSH key (bcrypt-pbkdf, 16 rounds), Save to saved",
        "ms",
        samples(&json["import_encrypted"]),
    ));
    rows.push(
        Row::new(
            "longest main-thread task during that import",
            "ms",
            vec![
                json["import_encrypted_longest_task"]
                    .as_f64()
                    .unwrap_or(f64::NAN),
            ],
        )
        .target("< 50 ms"),
    );
    rows.push(
        Row::new(
            "longest main-thread task during RSA 4096 generation",
            "ms",
            vec![
                json["keygen_longest_task"]["RSA 4096"]
                    .as_f64()
                    .unwrap_or(f64::NAN),
            ],
        )
        .target("< 50 ms"),
    );
    Ok(rows)
}

/// The KDF natively (Criterion), to give the wasm/native ratio.
fn native_kdf(ws: &Workspace) -> anyhow::Result<Vec<Row>> {
    step("Native Argon2id (Criterion)");
    crate::cmd::run(crate::cmd::command(&ws.root, "cargo", &ws.root).args([
        "bench",
        "-p",
        "keyhaven-core",
        "--bench",
        "core",
        "--",
        "unlock/",
    ]))?;
    let dir = ws.target.join("criterion/unlock");
    let argon2 = criterion_samples(&dir.join("argon2id 64MiB t=3 p=4/new/sample.json"))?;
    let unlock = criterion_samples(&dir.join("unlock and read 100 entries/new/sample.json"))?;
    Ok(vec![
        Row::new("native Argon2id 64 MiB t=3 p=4 (Criterion)", "ms", argon2),
        Row::new("native unlock + read 100 entries (Criterion)", "ms", unlock),
    ])
}

/// Per-iteration times (ms) from Criterion's `sample.json`.
fn criterion_samples(path: &Path) -> anyhow::Result<Vec<f64>> {
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    )?;
    let iters = json["iters"].as_array().context("iters")?;
    let times = json["times"].as_array().context("times")?;
    Ok(iters
        .iter()
        .zip(times)
        .filter_map(|(i, t)| Some(t.as_f64()? / i.as_f64()? / 1e6))
        .collect())
}

/// Wall time of `program args` (a fresh process each time), in ms.
fn time_command(program: &str, args: &[&str], setup: impl Fn()) -> anyhow::Result<f64> {
    setup();
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| format!("running {program}"))?;
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    if !status.success() {
        bail!("{program} {args:?} failed");
    }
    Ok(elapsed)
}

/// `ssh-keygen` for each browser key-generation row, as its anchor, and the
/// wasm/native ratio for the KDF.
fn ssh_keygen_anchors(rows: &[Row]) -> anyhow::Result<Vec<Row>> {
    step("Anchors: ssh-keygen for each key type");
    let dir = std::env::temp_dir().join(format!("keyhaven-bench-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let key = dir.join("key");
    let key_arg = key.display().to_string();
    let clear = || {
        let _ = std::fs::remove_file(&key);
        let _ = std::fs::remove_file(dir.join("key.pub"));
    };
    let mut out = Vec::new();
    for (kind, args) in [
        ("Ed25519", vec!["-t", "ed25519"]),
        ("ECDSA", vec!["-t", "ecdsa", "-b", "256"]),
        ("RSA 3072", vec!["-t", "rsa", "-b", "3072"]),
        ("RSA 4096", vec!["-t", "rsa", "-b", "4096"]),
    ] {
        let mut all = vec!["-q", "-N", "", "-f", &key_arg];
        all.extend(args.iter().copied());
        let times = (0..KEYGEN_RUNS)
            .map(|_| time_command("ssh-keygen", &all, clear))
            .collect::<anyhow::Result<Vec<f64>>>()?;
        let name = format!("keygen in browser, {kind} (as the app does it)");
        if let Some(row) = rows.iter().find(|r| r.work == name) {
            out.push(
                Row::new(format!("{name} vs ssh-keygen"), "ms", row.samples.clone())
                    .anchor(format!("ssh-keygen {}", args.join(" ")), times)
                    .target(row.target.clone()),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let unlock = rows
        .iter()
        .find(|r| r.work.starts_with("unlock in browser"));
    let native = rows.iter().find(|r| r.work.starts_with("native Argon2id"));
    if let (Some(unlock), Some(native)) = (unlock, native) {
        out.push(
            Row::new(
                "unlock in browser vs native Argon2id",
                "ms",
                unlock.samples.clone(),
            )
            .anchor("native Argon2id (Criterion)", native.samples.clone())
            .target("≤ 1.2× native"),
        );
    }
    Ok(out)
}

fn scans(addr: &str, port: u16) -> anyhow::Result<Vec<Row>> {
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
fn server_load(ws: &Workspace, addr: &str, backend: &str) -> anyhow::Result<Vec<Row>> {
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
    let mut rows = Vec::new();
    for (script, what, target) in [
        ("get.lua", "blob GET", "≥ 10,000 req/s"),
        ("put.lua", "durable blob PUT", "≥ 1,000 req/s"),
    ] {
        let runs = (0..WRK_RUNS)
            .map(|_| wrk(script))
            .collect::<anyhow::Result<Vec<(f64, f64)>>>()?;
        rows.push(
            Row::new(
                format!("{what}, {backend}, 64 connections"),
                "req/s",
                runs.iter().map(|r| r.0).collect(),
            )
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
fn sign_in_load(ws: &Workspace, addr: &str, backend: &str) -> anyhow::Result<Vec<Row>> {
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
    let below = (0..WRK_RUNS)
        .map(|_| wrk(64))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let past = (0..WRK_RUNS)
        .map(|_| wrk(256))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(vec![
        Row::new(
            format!("sign-in, {backend}, 64 connections"),
            "req/s",
            below.iter().map(|r| r.0).collect(),
        ),
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

/// Requests per second and the 99th percentile latency (ms).
fn parse_wrk(text: &str) -> Option<(f64, f64)> {
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

/// The machine, for the report: CPU model and count, memory, Chromium.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches(" kB").parse::<u64>().ok())
        .map_or(String::new(), |kb| {
            format!("{:.1} GiB", kb as f64 / 1048576.0)
        });
    let chromium = Command::new("chromium")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("Machine: {model}, {cores} cores, {memory} RAM; {chromium}.")
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
