//! `cargo xtask test`: lints, Rust tests, wasm tests in Chromium, and the
//! Playwright suite against a fresh server; one summary line at the end.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, ExitCode, Stdio},
};

use anyhow::Context;

use crate::{Workspace, build, cmd::command, server::RunningServer, step, tools};

/// Chromium flags for running as root in a container with no network
/// beyond the package registries.
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    /// One line per step, for the summary.
    steps: Vec<String>,
}

impl Tally {
    fn record(&mut self, name: &str, passed: u64, failed: u64, ok: bool) {
        // A step that failed without a failing test (a build error, a lint)
        // still counts as one failure.
        let failed = if ok || failed > 0 { failed } else { 1 };
        self.passed += passed;
        self.failed += failed;
        let verdict = if failed == 0 { "ok" } else { "FAILED" };
        self.steps.push(format!(
            "{verdict:>6}  {name}: {passed} passed, {failed} failed"
        ));
    }
}

pub fn run(ws: &Workspace) -> anyhow::Result<ExitCode> {
    tools::ensure_test_tools(ws)?;
    let mut tally = Tally::default();

    // First: the server binary every later step builds carries `dist/`
    // (build.rs), and the e2e suite runs that binary without `--dist`.
    let app_built = build::app(ws);
    if let Err(error) = &app_built {
        eprintln!("xtask: the app did not build: {error:#}");
    }
    tally.record("app build (Trunk)", 0, 0, app_built.is_ok());

    check(
        ws,
        &mut tally,
        "cargo fmt --check",
        &["fmt", "--all", "--check"],
    );
    check(
        ws,
        &mut tally,
        "clippy (native)",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    );
    check(
        ws,
        &mut tally,
        "clippy (wasm32)",
        &[
            "clippy",
            "--package",
            "keyhaven-core",
            "--package",
            "keyhaven-app",
            "--all-targets",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ],
    );

    step("Rust tests: cargo test --workspace");
    let mut cargo = command(&ws.root, "cargo", &ws.root);
    cargo.args(["test", "--workspace"]);
    let (passed, failed, ok) = run_counting(&mut cargo)?;
    tally.record("cargo test", passed, failed, ok);

    step("wasm tests in headless Chromium (wasm-bindgen-test)");
    let mut wasm = command(&ws.root, "cargo", &ws.root);
    wasm.args([
        "test",
        "--package",
        "keyhaven-core",
        "--package",
        "keyhaven-app",
        "--target",
        "wasm32-unknown-unknown",
        "--test",
        "wasm",
    ])
    .env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        "wasm-bindgen-test-runner",
    )
    .env("CHROMEDRIVER", "/usr/bin/chromedriver")
    // Debian's Chromium, and no background traffic (the network is closed).
    .env(
        "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
        ws.root.join("xtask/webdriver.json"),
    )
    .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    let (passed, failed, ok) = run_counting(&mut wasm)?;
    tally.record("wasm tests", passed, failed, ok);

    match e2e(ws) {
        Ok((passed, failed, ok)) => tally.record("e2e (Playwright)", passed, failed, ok),
        Err(error) => {
            eprintln!("xtask: e2e could not run: {error:#}");
            tally.record("e2e (Playwright)", 0, 0, false);
        }
    }

    eprintln!("\nSummary");
    for line in &tally.steps {
        eprintln!("{line}");
    }
    println!("{} passed, {} failed", tally.passed, tally.failed);
    Ok(if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A step with no test count: it passes or it doesn't.
fn check(ws: &Workspace, tally: &mut Tally, name: &str, args: &[&str]) {
    step(name);
    let ok = command(&ws.root, "cargo", &ws.root)
        .args(args)
        .status()
        .is_ok_and(|status| status.success());
    tally.record(name, 0, 0, ok);
}

/// Runs a libtest-style command, echoing its output and adding up its
/// `test result: ... N passed; M failed` lines.
fn run_counting(command: &mut Command) -> anyhow::Result<(u64, u64, bool)> {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let (mut passed, mut failed) = (0, 0);
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        println!("{line}");
        if let Some((p, f)) = parse_test_result(&line) {
            passed += p;
            failed += f;
        }
    }
    let ok = child.wait()?.success();
    Ok((passed, failed, ok))
}

fn parse_test_result(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let count = |word: &str| -> Option<u64> {
        rest.split(';')
            .find_map(|part| part.trim().strip_suffix(word))
            .and_then(|n| n.rsplit(' ').next().unwrap_or(n).trim().parse().ok())
    };
    Some((count(" passed")?, count(" failed")?))
}

/// Starts the server (with the app built into it) on a free port with a
/// temporary data directory, and runs Playwright against it.
fn e2e(ws: &Workspace) -> anyhow::Result<(u64, u64, bool)> {
    // `cargo test --workspace` just built the server binary for its own
    // tests; `cargo build -p` would unify features differently and rebuild.
    let binary = ws.target.join("debug/keyhaven-server");
    let binary = if binary.exists() {
        binary
    } else {
        build::server(ws, build::Profile::Debug)?
    };
    let data = std::env::temp_dir().join(format!("keyhaven-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&data)?;
    let report = data.join("playwright-report.json");

    step("End-to-end tests: Playwright in Chromium against a fresh server");
    let server = RunningServer::start(
        ws,
        &binary,
        &[
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--data-dir".into(),
            data.display().to_string(),
            // The tests' sshd listens on loopback, which scans refuse by default.
            "--scan-allow".into(),
            "127.0.0.1/32".into(),
            // Every test signs up from this one address.
            "--signups-per-hour".into(),
            "100000".into(),
        ],
    )?;
    eprintln!("    server at {}, data in {}", server.url, data.display());
    let status = command(&ws.root, "npx", &ws.root.join("e2e"))
        .args(["playwright", "test"])
        .env("KEYHAVEN_URL", &server.url)
        .env("KEYHAVEN_DATA_DIR", &data)
        // Built by `cargo test --workspace` (it has tests of its own).
        .env("KEYHAVEN_SIM_BIN", ws.target.join("debug/truenas-sim"))
        // For tests that need a server of their own (restarted, its
        // database edited, a new release served).
        .env("KEYHAVEN_SERVER_BIN", &binary)
        // For a test that serves a release of its own (a copy of this one).
        .env("KEYHAVEN_DIST", ws.dist())
        .env("KEYHAVEN_CHROMIUM_ARGS", CHROMIUM_ARGS.join(" "))
        .env("PLAYWRIGHT_JSON_OUTPUT_NAME", &report)
        .status();
    server.stop();
    let ok = status.context("starting Playwright")?.success();
    let (passed, failed) = read_playwright_report(&report).unwrap_or((0, 0));
    let _ = std::fs::remove_dir_all(&data);
    Ok((passed, failed, ok))
}

fn read_playwright_report(path: &PathBuf) -> Option<(u64, u64)> {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let stats = &json["stats"];
    let passed = stats["expected"].as_u64()? + stats["flaky"].as_u64().unwrap_or(0);
    Some((passed, stats["unexpected"].as_u64()?))
}

#[cfg(test)]
mod tests {
    use super::parse_test_result;

    #[test]
    fn reads_libtest_summaries() {
        assert_eq!(
            parse_test_result(
                "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s"
            ),
            Some((12, 0))
        );
        assert_eq!(
            parse_test_result("test result: FAILED. 3 passed; 2 failed; 0 ignored"),
            Some((3, 2))
        );
        assert_eq!(parse_test_result("running 3 tests"), None);
    }
}
