//! Host-key discovery: what the browser can't do itself. One SSH handshake
//! per host-key algorithm, all at once, each bounded by the timeout;
//! nothing is authenticated.

mod policy;
mod ssh;

use std::{collections::HashMap, sync::Mutex, time::Duration};

use axum::http::StatusCode;
use futures::future::join_all;
use ipnet::IpNet;
use keyhaven_core::api::{HostKey, ScanRequest, ScanResult};
use russh::keys::HashAlg;

pub use policy::{is_allowed, is_restricted};
use ssh::Failure;

use crate::{Error, rate::RateWindow};

/// Scans an account may start per minute.
const SCANS_PER_MINUTE: u32 = 30;
/// Scans running at once, per account and on the whole server: a scan
/// holds a handful of sockets for up to its timeout.
pub const SCANS_AT_ONCE_PER_ACCOUNT: u32 = 4;
const SCANS_AT_ONCE: usize = 128;

pub struct Scanner {
    allow: Vec<IpNet>,
    recent: RateWindow<i64>,
    running: Mutex<HashMap<i64, u32>>,
    slots: tokio::sync::Semaphore,
}

/// A running scan's place; freed when dropped.
struct Running<'a> {
    scanner: &'a Scanner,
    account: i64,
    _slot: tokio::sync::SemaphorePermit<'a>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut running = self.scanner.running.lock().expect("not poisoned");
        if let Some(count) = running.get_mut(&self.account) {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.account);
            }
        }
    }
}

impl Scanner {
    pub fn new(allow: Vec<IpNet>) -> Self {
        Self {
            allow,
            recent: RateWindow::new(
                SCANS_PER_MINUTE,
                60_000,
                "Too many host-key scans. Wait a minute and try again.",
            ),
            running: Mutex::new(HashMap::new()),
            slots: tokio::sync::Semaphore::new(SCANS_AT_ONCE),
        }
    }

    /// A place for one more running scan, or 429.
    fn start(&self, account: i64) -> Result<Running<'_>, Error> {
        let busy = |message: &str| Error::TooManyRequests {
            retry_after_secs: 5,
            message: message.to_owned(),
        };
        let slot = self.slots.try_acquire().map_err(|_| {
            busy("The server is running many host-key scans. Try again in a few seconds.")
        })?;
        let mut running = self.running.lock().expect("not poisoned");
        let count = running.entry(account).or_insert(0);
        if *count >= SCANS_AT_ONCE_PER_ACCOUNT {
            return Err(busy(
                "Several host-key scans of yours are still running. Wait for them, then try again.",
            ));
        }
        *count += 1;
        Ok(Running {
            scanner: self,
            account,
            _slot: slot,
        })
    }

    /// Every host key `request.host` offers, or a distinct error: invalid
    /// input, target not allowed, name not resolved, refused, timed out,
    /// not an SSH server.
    pub async fn scan(
        &self,
        account: i64,
        request: &ScanRequest,
        now_ms: i64,
    ) -> Result<ScanResult, Error> {
        let host = policy::validate(request)?;
        let _running = self.start(account)?;
        self.recent.count(account, now_ms)?;
        let timeout = Duration::from_secs(request.timeout_secs);
        let address = policy::resolve(&host, request.port, &self.allow, timeout).await?;

        let attempts = ssh::ALGORITHMS
            .iter()
            .map(|algorithms| ssh::host_key(address, algorithms, timeout));
        let mut keys = Vec::new();
        let mut failures = Vec::new();
        for outcome in join_all(attempts).await {
            match outcome {
                Ok(key) => keys.push(HostKey {
                    algorithm: key.algorithm().as_str().to_owned(),
                    public_key: key.to_openssh().map_err(|_| not_ssh(&host))?,
                    fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
                }),
                Err(failure) => failures.push(failure),
            }
        }
        if !keys.is_empty() {
            return Ok(ScanResult { keys });
        }
        Err(if failures.contains(&Failure::Refused) {
            Error::api(
                StatusCode::BAD_GATEWAY,
                "connection_refused",
                format!(
                    "{host} refused the connection on port {}. Check the port, and that the SSH service is running.",
                    request.port
                ),
            )
        } else if failures.contains(&Failure::TimedOut) {
            policy::timed_out(&host)
        } else if let Some(Failure::Unreachable(reason)) = failures
            .iter()
            .find(|f| matches!(f, Failure::Unreachable(_)))
        {
            Error::api(
                StatusCode::BAD_GATEWAY,
                "unreachable",
                format!("{host} can't be reached: {reason}."),
            )
        } else {
            not_ssh(&host)
        })
    }
}

fn not_ssh(host: &str) -> Error {
    Error::api(
        StatusCode::BAD_GATEWAY,
        "not_ssh",
        format!("{host} answered, but not as an SSH server. Check the port."),
    )
}
