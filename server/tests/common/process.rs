//! The real `keyhaven-server` binary as a separate process.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

/// Starts the server on a free port with `data` as its data directory;
/// returns the process and its URL (read from the one line it prints).
pub fn start_server(data: &Path, configure: impl FnOnce(&mut Command)) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyhaven-server"));
    command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .arg("--dist")
        .arg(data.join("no-app"))
        .args(["--signups-per-hour", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    configure(&mut command);
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("Keyhaven listening on ")
        .unwrap()
        .to_owned();
    (child, url)
}
