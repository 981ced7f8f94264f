//! One SSH handshake that stops at the server's host key: offer a single
//! host-key algorithm, take the key the server proves it holds, and hang up
//! before any authentication (as `ssh-keyscan` does).

use std::{
    borrow::Cow,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use russh::{
    client,
    keys::{Algorithm, EcdsaCurve, HashAlg, PublicKey, PublicKeyOrCertificate},
};

/// The host-key algorithms asked for, one handshake each, in the order
/// TrueNAS lists keys (RSA, ECDSA by curve size, Ed25519). RSA offers both
/// SHA-2 signature schemes (OpenSSH 9 has no SHA-1 `ssh-rsa`).
pub(super) const ALGORITHMS: &[&[Algorithm]] = &[
    &[
        Algorithm::Rsa {
            hash: Some(HashAlg::Sha512),
        },
        Algorithm::Rsa {
            hash: Some(HashAlg::Sha256),
        },
    ],
    &[Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP256,
    }],
    &[Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP384,
    }],
    &[Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP521,
    }],
    &[Algorithm::Ed25519],
];

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Failure {
    Refused,
    TimedOut,
    /// The server does not have a key of this type.
    NoSuchKey,
    /// Whatever answered does not speak SSH.
    NotSsh,
    /// Another network error (unreachable, reset).
    Unreachable(String),
}

/// Captures the host key and rejects it, which ends the connection.
struct Capture(Arc<Mutex<Option<PublicKey>>>);

impl client::Handler for Capture {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        if let PublicKeyOrCertificate::PublicKey { key, .. } = key {
            *self.0.lock().expect("not poisoned") = Some(key.clone());
        }
        Ok(false)
    }
}

pub(super) async fn host_key(
    address: SocketAddr,
    algorithms: &'static [Algorithm],
    timeout: Duration,
) -> Result<PublicKey, Failure> {
    let captured = Arc::new(Mutex::new(None));
    let config = Arc::new(client::Config {
        preferred: russh::Preferred {
            key: Cow::Borrowed(algorithms),
            ..russh::Preferred::default()
        },
        inactivity_timeout: Some(timeout),
        nodelay: true,
        ..client::Config::default()
    });
    let attempt = async {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::ConnectionRefused => Failure::Refused,
                std::io::ErrorKind::TimedOut => Failure::TimedOut,
                _ => Failure::Unreachable(e.to_string()),
            })?;
        let _ = stream.set_nodelay(true);
        client::connect_stream(config, stream, Capture(captured.clone()))
            .await
            .map(drop)
            .map_err(classify)
    };
    let outcome = tokio::time::timeout(timeout, attempt)
        .await
        .unwrap_or(Err(Failure::TimedOut));
    if let Some(key) = captured.lock().expect("not poisoned").take() {
        return Ok(key);
    }
    match outcome {
        Ok(()) => Err(Failure::NotSsh),
        Err(failure) => Err(failure),
    }
}

fn classify(error: russh::Error) -> Failure {
    match error {
        // The server has no key of the one type offered: it says so, or
        // just hangs up.
        russh::Error::NoCommonAlgo { .. } | russh::Error::HUP | russh::Error::Disconnect => {
            Failure::NoSuchKey
        }
        russh::Error::IO(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Failure::Refused
        }
        russh::Error::ConnectionTimeout | russh::Error::InactivityTimeout => Failure::TimedOut,
        _ => Failure::NotSsh,
    }
}
