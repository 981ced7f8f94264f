//! Installing what the build and the tests need, only when it is missing or
//! the wrong version. Everything comes from crates.io, npm or Debian.

use std::path::Path;

use anyhow::{Context, bail};

use crate::{
    Workspace,
    cmd::{self, command, first_line},
    step,
};

pub(crate) const TRUNK_VERSION: &str = "0.21.14";
/// Must equal the `wasm-bindgen` version pinned in Cargo.toml.
pub(crate) const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// Debian packages the tests use, and a file each one installs.
const TEST_PACKAGES: &[(&str, &str)] = &[
    ("chromium", "/usr/bin/chromium"),
    ("chromium-driver", "/usr/bin/chromedriver"),
    ("openssh-server", "/usr/sbin/sshd"),
    ("openssh-client", "/usr/bin/ssh-keyscan"),
    ("openssl", "/usr/bin/openssl"),
    ("postgresql", "/usr/lib/postgresql"),
    // The e2e rollback test replays an old blob into the server's database.
    ("sqlite3", "/usr/bin/sqlite3"),
    // Scan-refusal tests run in a network namespace with only loopback up.
    ("iproute2", "/bin/ip"),
    ("util-linux", "/usr/bin/unshare"),
];

/// The wasm target, Trunk, wasm-bindgen and wasm-opt.
pub(crate) fn ensure_build_tools(ws: &Workspace) -> anyhow::Result<()> {
    ensure_wasm_target(ws)?;
    ensure_cargo_install(
        ws,
        "trunk",
        TRUNK_VERSION,
        &["install", "--locked", "trunk", "--version", TRUNK_VERSION],
        "Trunk bundles the browser app; building it takes about 8 minutes once",
    )?;
    // Without --locked: its lockfile names a crate version crates.io lacks.
    ensure_cargo_install(
        ws,
        "wasm-bindgen",
        WASM_BINDGEN_VERSION,
        &[
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ],
        "wasm-bindgen (and its test runner) must match the library version exactly; about 3 minutes once",
    )?;
    ensure_wasm_split(ws)?;
    ensure_npm(
        ws,
        &ws.root,
        "wasm-opt from binaryen 132 (Debian's older wasm-opt breaks the app)",
    )
}

/// The splitter the app's `split!` functions need (cargo-leptos's, as a
/// program).
pub(crate) const WASM_SPLIT_VERSION: &str = "0.2.4";

/// `wasm-split-cli` has no `--version`: cargo's list of installed packages
/// says which one is there.
fn ensure_wasm_split(ws: &Workspace) -> anyhow::Result<()> {
    let installed = command(&ws.root, "cargo", &ws.root)
        .args(["install", "--list"])
        .output()
        .context("running cargo install --list")?;
    let wanted = format!("wasm_split_cli_support v{WASM_SPLIT_VERSION}:");
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|line| line.trim() == wanted)
    {
        return Ok(());
    }
    step(&format!(
        "Installing wasm-split-cli {WASM_SPLIT_VERSION}: it splits the app's wasm so Backup Credentials loads when first opened; about 3 minutes once"
    ));
    cmd::run(
        command(&ws.root, "cargo", &ws.root)
            .args([
                "install",
                "--locked",
                "wasm_split_cli_support",
                "--features",
                "build-binary",
            ])
            .args(["--version", WASM_SPLIT_VERSION])
            .env_remove("CARGO_TARGET_DIR"),
    )
}

/// Everything for `cargo xtask test`: the build tools, Debian packages for
/// the browser, SSH, OpenSSL-interop and PostgreSQL tests, and Playwright.
pub(crate) fn ensure_test_tools(ws: &Workspace) -> anyhow::Result<()> {
    ensure_build_tools(ws)?;
    ensure_debian_packages()?;
    ensure_npm(
        ws,
        &ws.root.join("e2e"),
        "Playwright for the end-to-end tests (no browser download; Debian's Chromium is used)",
    )
}

/// Everything for `cargo xtask bench`: the test tools (hash-wasm comes with
/// e2e's npm packages), Debian's `wrk` load generator and `argon2` (the
/// reference implementation's CLI, native Argon2id on threads).
pub(crate) fn ensure_bench_tools(ws: &Workspace) -> anyhow::Result<()> {
    ensure_test_tools(ws)?;
    install_debian(&[("wrk", "/usr/bin/wrk"), ("argon2", "/usr/bin/argon2")])
}

fn ensure_wasm_target(ws: &Workspace) -> anyhow::Result<()> {
    let installed = command(&ws.root, "rustup", &ws.root)
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|line| line.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    step("Adding the wasm32-unknown-unknown target (the app is compiled to WebAssembly)");
    cmd::run(command(&ws.root, "rustup", &ws.root).args([
        "target",
        "add",
        "wasm32-unknown-unknown",
    ]))
}

fn ensure_cargo_install(
    ws: &Workspace,
    program: &str,
    version: &str,
    install_args: &[&str],
    why: &str,
) -> anyhow::Result<()> {
    let found = first_line(&ws.root, program, &["--version"]);
    if found.as_deref() == Some(&format!("{program} {version}")) {
        return Ok(());
    }
    let now = found.unwrap_or_else(|| "not installed".into());
    step(&format!(
        "Installing {program} {version} ({now} now): {why}"
    ));
    // Tools are built outside the workspace's target directory so that they
    // don't share (and invalidate) its build cache.
    cmd::run(
        command(&ws.root, "cargo", &ws.root)
            .args(install_args)
            .env_remove("CARGO_TARGET_DIR"),
    )
}

/// `npm ci` in `dir` when its node_modules is missing or older than its
/// lockfile.
fn ensure_npm(ws: &Workspace, dir: &Path, why: &str) -> anyhow::Result<()> {
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let modified = |path: &Path| path.metadata().and_then(|m| m.modified()).ok();
    if let (Some(installed), Some(lock)) = (modified(&installed), modified(&lock))
        && installed >= lock
    {
        return Ok(());
    }
    step(&format!(
        "npm ci in {}: {why}",
        dir.strip_prefix(&ws.root).unwrap_or(dir).display()
    ));
    cmd::run(
        command(&ws.root, "npm", dir)
            .args(["ci", "--no-audit", "--no-fund"])
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
    )
}

fn ensure_debian_packages() -> anyhow::Result<()> {
    install_debian(TEST_PACKAGES)
}

/// Installs the packages whose marker file is missing (as root, with apt),
/// or says how to.
fn install_debian(packages: &[(&str, &str)]) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(_, file)| !Path::new(file).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    if !is_root {
        bail!(
            "these Debian packages are needed: {}. Install them with\n  sudo apt-get install -y {}",
            missing.join(", "),
            missing.join(" ")
        );
    }
    step(&format!(
        "Installing Debian packages: {} (browsers, a real sshd, a real PostgreSQL, the load generator)",
        missing.join(", ")
    ));
    cmd::run(std::process::Command::new("apt-get").arg("update"))?;
    cmd::run(
        std::process::Command::new("apt-get")
            .args(["install", "-y"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}
