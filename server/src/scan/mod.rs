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

use crate::Error;

/// Scans an account may start per minute.
const SCANS_PER_MINUTE: u32 = 30;

pub struct Scanner {
    allow: Vec<IpNet>,
    recent: Mutex<HashMap<i64, (i64, u32)>>,
}

impl Scanner {
    pub fn new(allow: Vec<IpNet>) -> Self {
        Self {
            allow,
            recent: Mutex::new(HashMap::new()),
        }
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
        self.count(account, now_ms)?;
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

    fn count(&self, account: i64, now_ms: i64) -> Result<(), Error> {
        let mut recent = self.recent.lock().expect("not poisoned");
        recent.retain(|_, (since, _)| now_ms - *since < 60_000);
        let (_, count) = recent.entry(account).or_insert((now_ms, 0));
        if *count >= SCANS_PER_MINUTE {
            return Err(Error::TooManyRequests {
                retry_after_secs: 60,
                message: "Too many host-key scans. Wait a minute and try again.".into(),
            });
        }
        *count += 1;
        Ok(())
    }
}

fn not_ssh(host: &str) -> Error {
    Error::api(
        StatusCode::BAD_GATEWAY,
        "not_ssh",
        format!("{host} answered, but not as an SSH server. Check the port."),
    )
}
