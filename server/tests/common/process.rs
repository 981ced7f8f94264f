//! The real `keyhaven-server` binary as a separate process.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

/// Starts the server on a free port with `data` as its data directory;
/// returns the process and its URL (read from the last line it prints).
pub(crate) fn start_server(data: &Path, configure: impl FnOnce(&mut Command)) -> (Child, String) {
    let (child, url, _) = start_server_printing(data, configure);
    (child, url)
}

/// [`start_server`], with the lines printed before the URL (the TLS
/// certificate's fingerprint, the redirect's address).
pub(crate) fn start_server_printing(
    data: &Path,
    configure: impl FnOnce(&mut Command),
) -> (Child, String, Vec<String>) {
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
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut before = Vec::new();
    loop {
        let mut line = String::new();
        assert_ne!(
            stdout.read_line(&mut line).unwrap(),
            0,
            "the server exited before listening; printed {before:?}"
        );
        match line.trim().strip_prefix("Keyhaven listening on ") {
            Some(url) => return (child, url.to_owned(), before),
            None => before.push(line.trim().to_owned()),
        }
    }
}
