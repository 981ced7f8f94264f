//! `cargo xtask bench`: every measurement of design.md's "Speed and size",
//! each beside its anchor measured in the same run, in one table printed and
//! written to `target/bench/report.md` and `report.json`.
//!
//! Nothing here is a test: no threshold fails the run; the table says where
//! each number stands against its target.

mod crypto;
pub(crate) mod fleet_account;
mod http;
mod load;
mod report;
mod scale;
pub(crate) mod services;

use std::{
    path::Path,
    process::{Command, ExitCode},
};

use keyhaven_core::keyring::{EntryValue, KdfParams, Keyring};
use rand_core::OsRng;
use secrecy::SecretString;

use crate::{Workspace, build, server::RunningServer, step, tools};
use crypto::{browser, live_sync, native_kdf, ssh_keygen_anchors};
use load::{scans, server_load, sign_in_load};
use report::Row;
use services::{Postgres, Sshd};

/// Repetitions: browser unlock and page loads, server load runs, scans.
const RUNS: usize = 7;
const KEYGEN_RUNS: usize = 15;
const WRK_RUNS: usize = 3;
/// Edits timed from one browser to another (live sync).
const LIVE_EDITS: usize = 30;
const BENCH_PASSWORD: &str = "benchmark account password";
const BENCH_PASSPHRASE: &str = "benchmark keyring passphrase";

pub(crate) fn run(ws: &Workspace) -> anyhow::Result<ExitCode> {
    tools::ensure_bench_tools(ws)?;
    let sizes = build::app(ws)?;
    let binary = build::release_server(ws)?;
    let mut rows = Vec::new();

    step("App size: the wasm the browser downloads");
    let brotli: usize = sizes.iter().map(|s| s.3).sum();
    for (name, raw, gzip, br) in &sizes {
        eprintln!("    {name}: {raw} raw, {gzip} gzip, {br} brotli");
    }
    // The first load: the app's main module. Not the key worker (started
    // when a passphrase is asked for) nor the split-off routes (loaded when
    // their screen first opens).
    let first: usize = sizes
        .iter()
        .filter(|(name, ..)| name.starts_with("app-") && name.ends_with("_bg.wasm"))
        .map(|s| s.3)
        .sum();
    rows.push(
        Row::new(
            "first load: the app's main wasm module, brotli",
            "KiB",
            vec![kib(first)],
        )
        .target("≤ 250 KiB"),
    );
    rows.push(Row::new(
        "app wasm, brotli (all modules)",
        "KiB",
        vec![kib(brotli)],
    ));
    rows.push(Row::new(
        "app wasm, raw (all modules)",
        "KiB",
        vec![kib(sizes.iter().map(|s| s.1).sum())],
    ));

    let sshd = Sshd::start()?;
    let data = fresh_data_dir()?;
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
    step("Live sync: one browser's edit seen by another (SQLite, one server)");
    rows.extend(live_sync(
        ws,
        &server.url,
        &server.url,
        "one server, SQLite",
    )?);

    step("Scale: fleets of 10, 100 and 1,000 systems in the browser");
    let scale_rows = scale::run(ws, &server.url, &addr)?;

    step("Host-key scan against a loopback sshd");
    rows.extend(scans(&addr, sshd.port)?);

    step("Server load on SQLite (wrk, 64 connections)");
    rows.extend(server_load(ws, &addr, "SQLite")?);
    step("Sign-ins on SQLite (wrk, below and past the hashing cap)");
    rows.extend(sign_in_load(ws, &binary, &addr, "SQLite")?);
    server.stop();
    let _ = std::fs::remove_dir_all(&data);

    step("Server load on PostgreSQL (wrk, 64 connections)");
    let postgres = Postgres::start()?;
    let on_postgres = [
        "--database-url".into(),
        postgres.url(),
        "--signups-per-hour".into(),
        "100000".into(),
        "--trusted-proxy".into(),
        "127.0.0.1/32".into(),
    ];
    let server = start_server(ws, &binary, &on_postgres)?;
    let addr = server.url.trim_start_matches("http://").to_owned();
    step("Live sync across two servers on one PostgreSQL");
    let other = start_server(ws, &binary, &on_postgres)?;
    rows.extend(live_sync(
        ws,
        &server.url,
        &other.url,
        "two servers, one PostgreSQL",
    )?);
    other.stop();
    rows.extend(server_load(ws, &addr, "PostgreSQL")?);
    rows.extend(sign_in_load(ws, &binary, &addr, "PostgreSQL")?);
    server.stop();
    drop(postgres);
    drop(sshd);

    let machine = machine();
    let table = report::markdown(&rows);
    let growth = scale::markdown(&scale_rows);
    println!("\n{machine}\n\n{table}\nAt fleet scale:\n\n{growth}");
    let out = ws.target.join("bench");
    report::write(&out, &rows, &machine)?;
    scale::write(&out, &scale_rows, &machine)?;
    eprintln!(
        "    written to {} and {} (plot: scale.svg)",
        out.join("report.md").display(),
        out.join("scale.md").display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask bench scale`: the scale rows alone (a server on SQLite).
pub(crate) fn run_scale(ws: &Workspace) -> anyhow::Result<ExitCode> {
    tools::ensure_bench_tools(ws)?;
    build::app(ws)?;
    let binary = build::release_server(ws)?;
    let data = fresh_data_dir()?;
    let server = start_server(
        ws,
        &binary,
        &["--data-dir".into(), data.display().to_string()],
    )?;
    let addr = server.url.trim_start_matches("http://").to_owned();
    step("Scale: fleets of 10, 100 and 1,000 systems in the browser");
    let rows = scale::run(ws, &server.url, &addr)?;
    server.stop();
    let _ = std::fs::remove_dir_all(&data);
    let machine = machine();
    println!("\n{machine}\n\n{}", scale::markdown(&rows));
    let out = ws.target.join("bench");
    scale::write(&out, &rows, &machine)?;
    eprintln!("    written to {}", out.join("scale.md").display());
    Ok(ExitCode::SUCCESS)
}

/// An empty directory for the bench server's SQLite file.
fn fresh_data_dir() -> anyhow::Result<std::path::PathBuf> {
    let data = std::env::temp_dir().join(format!("keyhaven-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    Ok(data)
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

/// The machine, for the report: CPU model and count, memory, Chromium.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
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
