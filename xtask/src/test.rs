//! `cargo xtask test`: lints, Rust tests, wasm tests in Chromium, and the
//! Playwright suite against a fresh server; one summary line at the end.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, ExitCode, Stdio},
};

use anyhow::Context;

use crate::{
    Workspace, build,
    cmd::{self, command},
    server::RunningServer,
    step, tools,
};

/// Chromium flags for running as root in a container with no network
/// beyond the package registries.
pub(crate) const CHROMIUM_ARGS: &[&str] = &[
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

/// A suite `cargo xtask test --only` can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suite {
    Fmt,
    Clippy,
    Rust,
    Wasm,
    E2e,
}

impl Suite {
    const ALL: [Suite; 5] = [
        Suite::Fmt,
        Suite::Clippy,
        Suite::Rust,
        Suite::Wasm,
        Suite::E2e,
    ];

    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "fmt" => Self::Fmt,
            "clippy" => Self::Clippy,
            "rust" => Self::Rust,
            "wasm" => Self::Wasm,
            "e2e" => Self::E2e,
            _ => return None,
        })
    }
}

/// What `cargo xtask test [--only SUITE,…] [-- PLAYWRIGHT ARGS]` asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Selection {
    pub suites: Vec<Suite>,
    /// Passed to `playwright test`: spec files, `-g <title>`, ….
    pub e2e_args: Vec<String>,
}

impl Selection {
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let (ours, e2e_args) = match args.iter().position(|a| a == "--") {
            Some(at) => (&args[..at], args[at + 1..].to_vec()),
            None => (args, Vec::new()),
        };
        let mut suites = Vec::new();
        let mut rest = ours.iter();
        while let Some(arg) = rest.next() {
            let names = match arg.strip_prefix("--only=") {
                Some(names) => names,
                None if arg == "--only" => rest.next().ok_or("--only needs a suite")?,
                None => return Err(format!("unknown argument {arg:?}")),
            };
            for name in names.split(',') {
                suites.push(Suite::named(name).ok_or_else(|| {
                    format!("unknown suite {name:?}: choose from fmt, clippy, rust, wasm, e2e")
                })?);
            }
        }
        if suites.is_empty() {
            suites = Suite::ALL.to_vec();
        }
        if !e2e_args.is_empty() && !suites.contains(&Suite::E2e) {
            return Err("arguments after -- are for the e2e suite, which is not selected".into());
        }
        Ok(Self { suites, e2e_args })
    }

    fn has(&self, suite: Suite) -> bool {
        self.suites.contains(&suite)
    }
}

pub(crate) fn run(ws: &Workspace, selection: &Selection) -> anyhow::Result<ExitCode> {
    tools::ensure_test_tools(ws)?;
    let mut tally = Tally::default();

    if selection.has(Suite::E2e) {
        // First: the server binary every later step builds carries `dist/`
        // (build.rs), and the e2e suite runs that binary without `--dist`.
        let app_built = build::app(ws);
        if let Err(error) = &app_built {
            eprintln!("xtask: the app did not build: {error:#}");
        }
        tally.record("app build (Trunk)", 0, 0, app_built.is_ok());
    }
    if selection.has(Suite::Fmt) {
        check(
            ws,
            &mut tally,
            "cargo fmt --check",
            &["fmt", "--all", "--check"],
        );
    }
    if selection.has(Suite::Clippy) {
        clippy(ws, &mut tally);
    }
    if selection.has(Suite::Rust) {
        step("Rust tests: cargo test --workspace");
        let mut cargo = command(&ws.root, "cargo", &ws.root);
        cargo.args(["test", "--workspace"]);
        let (passed, failed, ok) = run_counting(&mut cargo)?;
        tally.record("cargo test", passed, failed, ok);
    }
    if selection.has(Suite::Wasm) {
        wasm(ws, &mut tally)?;
    }
    if selection.has(Suite::E2e) {
        match e2e(ws, &selection.e2e_args) {
            Ok((passed, failed, ok)) => tally.record("e2e (Playwright)", passed, failed, ok),
            Err(error) => {
                eprintln!("xtask: e2e could not run: {error:#}");
                tally.record("e2e (Playwright)", 0, 0, false);
            }
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

fn clippy(ws: &Workspace, tally: &mut Tally) {
    check(
        ws,
        tally,
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
        tally,
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
}

fn wasm(ws: &Workspace, tally: &mut Tally) -> anyhow::Result<()> {
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
    Ok(())
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
fn e2e(ws: &Workspace, playwright_args: &[String]) -> anyhow::Result<(u64, u64, bool)> {
    // The server and the simulator as `cargo test --workspace` builds them
    // (nothing to do after the Rust suite ran; `cargo build -p` would
    // unify features differently and rebuild them).
    step("Building the server and the TrueNAS simulator for the e2e tests");
    cmd::run(command(&ws.root, "cargo", &ws.root).args([
        "test",
        "--workspace",
        "--no-run",
        "--quiet",
    ]))?;
    let binary = ws.target.join("debug/keyhaven-server");
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
    // For the live-sync test of two servers sharing one database.
    let postgres = crate::bench::services::Postgres::start()?;
    let status = command(&ws.root, "npx", &ws.root.join("e2e"))
        .args(["playwright", "test"])
        .args(playwright_args)
        .env("KEYHAVEN_URL", &server.url)
        .env("KEYHAVEN_DATA_DIR", &data)
        .env("KEYHAVEN_E2E_POSTGRES", postgres.url())
        // Built by `cargo test --workspace` (it has tests of its own).
        .env("KEYHAVEN_SIM_BIN", ws.target.join("debug/truenas-sim"))
        // For `fleet-account`: the scale test's account.
        .env("KEYHAVEN_XTASK", std::env::current_exe()?)
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
    use super::{Selection, Suite, parse_test_result};

    fn parse(args: &[&str]) -> Result<Selection, String> {
        Selection::parse(
            &args
                .iter()
                .map(std::string::ToString::to_string)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn only_picks_suites_and_the_rest_goes_to_playwright() {
        assert_eq!(parse(&[]).unwrap().suites, Suite::ALL.to_vec());
        assert_eq!(
            parse(&["--only", "fmt,clippy"]).unwrap().suites,
            vec![Suite::Fmt, Suite::Clippy]
        );
        let e2e = parse(&["--only=e2e", "--", "https.spec.ts", "-g", "banner"]).unwrap();
        assert_eq!(e2e.suites, vec![Suite::E2e]);
        assert_eq!(e2e.e2e_args, ["https.spec.ts", "-g", "banner"]);
        assert!(
            parse(&["--only", "unit"])
                .unwrap_err()
                .contains("unknown suite")
        );
        assert!(parse(&["--only"]).is_err());
        assert!(parse(&["--only", "rust", "--", "x.spec.ts"]).is_err());
        assert!(parse(&["--fast"]).is_err());
    }

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
