//! HTTPS without a reverse proxy: the certificate (given, or made for the
//! server's names on first start), the listener that also redirects plain
//! `http://` on the same port, and reloading a renewed certificate.
//!
//! A browser gives the app `crypto.subtle`, service workers and Web Locks
//! only in a secure context, so anything but `http://localhost` must be
//! served over TLS: by this module, or by a proxy (`--trusted-proxy`).

mod certificate;
mod listener;
pub mod redirect;
pub mod self_signed;

use std::{sync::Arc, time::Duration};

use tokio::net::TcpListener;
use tokio_rustls::{
    TlsAcceptor,
    rustls::{ServerConfig, crypto::aws_lc_rs},
};

pub use certificate::{CertificateFiles, CurrentCertificate, fingerprint};
pub use listener::TlsListener;

use crate::{Config, Error};

/// How often the certificate files are checked for a renewal.
const RELOAD_POLL: Duration = Duration::from_secs(5);

/// The server's TLS setup, made from [`Config`] at start-up.
pub struct Tls {
    pub certificate: Arc<CurrentCertificate>,
    pub files: CertificateFiles,
    /// With `--tls-self-signed`: whether this start made the certificate.
    pub self_signed: Option<self_signed::Outcome>,
    acceptor: TlsAcceptor,
}

impl Tls {
    /// `None` when TLS is off (no `--tls-cert`, no `--tls-self-signed`).
    pub fn from_config(config: &Config) -> Result<Option<Self>, Error> {
        let (files, self_signed) = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => (
                CertificateFiles {
                    cert: cert.clone(),
                    key: key.clone(),
                },
                None,
            ),
            _ if config.tls_self_signed => {
                let names = if config.tls_names.is_empty() {
                    self_signed::default_names(config.listen.ip())
                } else {
                    config.tls_names.clone()
                };
                let (files, outcome) = self_signed::ensure(&config.data_dir, &names)?;
                (files, Some(outcome))
            }
            _ => return Ok(None),
        };
        let certificate = Arc::new(CurrentCertificate::new(files.load()?));
        let mut server =
            ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| Error::Tls(e.to_string()))?
                .with_no_client_auth()
                .with_cert_resolver(certificate.clone());
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Some(Self {
            certificate,
            files,
            self_signed,
            acceptor: TlsAcceptor::from(Arc::new(server)),
        }))
    }

    /// Serves TLS on `tcp`, and redirects plain HTTP arriving there.
    pub fn listener(&self, tcp: TcpListener) -> std::io::Result<TlsListener> {
        let port = tcp.local_addr()?.port();
        TlsListener::new(tcp, self.acceptor.clone(), redirect::router(port))
    }

    /// Takes in a renewed certificate on SIGHUP, or when its files change.
    /// A file that doesn't read (half written, a key that doesn't fit)
    /// leaves the current certificate in place.
    pub fn reload_on_change(&self) {
        let certificate = self.certificate.clone();
        let files = self.files.clone();
        // Registered before this returns: a SIGHUP sent once the server
        // says it listens must not find the default action (exit) in place.
        let mut hangup = hangup_signal();
        tokio::spawn(async move {
            let mut stamp = files.stamp();
            let mut poll = tokio::time::interval(RELOAD_POLL);
            loop {
                let asked = tokio::select! {
                    _ = poll.tick() => false,
                    Some(()) = recv(&mut hangup) => true,
                };
                let now = files.stamp();
                if !asked && now == stamp {
                    continue;
                }
                stamp = now;
                match files.load() {
                    Ok(renewed) => {
                        certificate.replace(renewed);
                        tracing::info!(
                            fingerprint = %certificate.fingerprint(),
                            "TLS certificate loaded"
                        );
                    }
                    Err(error) => {
                        tracing::warn!(%error, "kept the current TLS certificate");
                    }
                }
            }
        });
    }
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = Option<()>;

fn hangup_signal() -> Hangup {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::hangup()).ok()
    }
    #[cfg(not(unix))]
    None
}

async fn recv(hangup: &mut Hangup) -> Option<()> {
    #[cfg(unix)]
    if let Some(signal) = hangup {
        return signal.recv().await;
    }
    let _ = hangup;
    std::future::pending().await
}
