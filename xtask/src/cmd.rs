//! Running commands with the tool directories on PATH.

use std::{
    ffi::OsString,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{Context, bail};

/// PATH with npm's local binaries (wasm-opt from binaryen) and cargo's
/// install directory first, so the pinned tools win over anything else.
pub(crate) fn tool_path(root: &Path) -> OsString {
    let mut dirs = vec![root.join("node_modules/.bin"), cargo_bin_dir()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).expect("PATH entries are valid")
}

pub(crate) fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"))
        .join("bin")
}

/// A command that runs in `dir` with the tool PATH.
pub(crate) fn command(root: &Path, program: &str, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir).env("PATH", tool_path(root));
    command
}

/// Runs a command to completion, failing with its name when it fails.
pub(crate) fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

/// Runs a command like [`run`], passing its standard error on except the
/// lines that contain one of `harmless`: a tool's known noise that says
/// nothing a person could act on.
pub(crate) fn run_without(command: &mut Command, harmless: &[&str]) -> anyhow::Result<()> {
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let stderr = child.stderr.take().expect("piped");
    for line in BufReader::new(stderr).lines() {
        let line = line?;
        if !harmless.iter().any(|h| line.contains(h)) {
            eprintln!("{line}");
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

/// The first line a command prints, or None when it can't be run.
pub(crate) fn first_line(root: &Path, program: &str, args: &[&str]) -> Option<String> {
    let output = command(root, program, root).args(args).output().ok()?;
    output.status.success().then(|| {
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    })
}
