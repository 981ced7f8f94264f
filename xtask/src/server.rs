//! Starting keyhaven-server: in the foreground for `run`, in the background
//! (with its own data directory) for the end-to-end tests.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, ChildStdout, Command, ExitCode, Stdio},
    time::Duration,
};

use anyhow::{Context, bail};

use crate::{Workspace, step};

pub(crate) struct RunningServer {
    child: Child,
    pub url: String,
    /// With TLS on, the certificate's SHA-256 fingerprint it printed.
    pub fingerprint: Option<String>,
}

impl RunningServer {
    /// Starts the server and waits until it prints the address it listens
    /// on. It serves the app built into it (`build.rs` embeds `dist/`).
    pub(crate) fn start(ws: &Workspace, binary: &Path, args: &[String]) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .current_dir(&ws.root)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (url, fingerprint, stdout) = match read_url(stdout) {
            Ok(found) => found,
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(error);
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut BufReader::new(stdout), &mut std::io::sink());
        });
        Ok(Self {
            child,
            url,
            fingerprint,
        })
    }

    /// SIGTERM (graceful shutdown), then SIGKILL if it hangs.
    pub(crate) fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads up to the `Keyhaven listening on <url>` line, echoing what comes
/// before it and keeping the TLS fingerprint.
fn read_url(stdout: ChildStdout) -> anyhow::Result<(String, Option<String>, ChildStdout)> {
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    let mut fingerprint = None;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            bail!("keyhaven-server exited before it was listening (its log is above)");
        }
        if let Some(url) = line.trim().strip_prefix("Keyhaven listening on ") {
            let url = url.to_string();
            let rest = reader.buffer().to_vec();
            let stdout = reader.into_inner();
            if !rest.is_empty() {
                print!("{}", String::from_utf8_lossy(&rest));
            }
            return Ok((url, fingerprint, stdout));
        }
        if let Some(found) = line
            .trim()
            .strip_prefix("TLS certificate SHA-256 fingerprint: ")
        {
            fingerprint = Some(found.to_owned());
        }
        print!("{line}");
    }
}

/// `cargo xtask run`: serve with `./data/` until Ctrl-C (which reaches the
/// server too; it shuts down gracefully and this returns its status).
pub(crate) fn serve_foreground(
    ws: &Workspace,
    binary: &Path,
    flags: &[String],
) -> anyhow::Result<ExitCode> {
    // Ctrl-C goes to the whole process group; the server handles it, and we
    // wait for it to finish instead of dying first.
    ctrlc::set_handler(|| {}).context("installing the Ctrl-C handler")?;
    step("Starting keyhaven-server (data in ./data/)");
    let server = RunningServer::start(ws, binary, flags)?;
    eprintln!("\n    Keyhaven is running at {}", server.url);
    match &server.fingerprint {
        Some(fingerprint) => eprintln!(
            "    Its TLS certificate's SHA-256 fingerprint is\n    {fingerprint}\n    \
             (check that your browser shows the same before you trust it)"
        ),
        None if !server.url.starts_with("http://127.")
            && !server.url.starts_with("http://[::1]") =>
        {
            eprintln!(
                "    Over plain http, browsers on other machines turn off RSA keys and offline\n    \
                 use: add --tls-self-signed (or --tls-cert/--tls-key) for https://"
            );
        }
        None => {}
    }
    eprintln!("    Press Ctrl-C to stop it.\n");
    let mut child = server.child;
    let status = child.wait()?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
