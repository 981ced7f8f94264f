//! The certificate the server presents, read from PEM files and swapped in
//! place when they change: a renewed certificate (certbot, acme.sh, an
//! internal CA) takes effect on SIGHUP or within seconds of being written,
//! without dropping a connection.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::SystemTime,
};

use sha2::{Digest, Sha256};
use tokio_rustls::rustls::{
    crypto::aws_lc_rs,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
};

use crate::Error;

/// The certificate chain and key files, as given by `--tls-cert`/`--tls-key`
/// (or written by `--tls-self-signed`).
#[derive(Debug, Clone)]
pub struct CertificateFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl CertificateFiles {
    /// Reads and checks both files: the key must be the certificate's.
    pub fn load(&self) -> Result<Arc<CertifiedKey>, Error> {
        let unreadable = |path: &Path, what: &str, error: &dyn std::fmt::Display| {
            Error::Tls(format!(
                "reading the TLS {what} {}: {error}",
                path.display()
            ))
        };
        let chain = CertificateDer::pem_file_iter(&self.cert)
            .and_then(std::iter::Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| unreadable(&self.cert, "certificate", &e))?;
        if chain.is_empty() {
            return Err(unreadable(
                &self.cert,
                "certificate",
                &"it holds no PEM certificate",
            ));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key)
            .map_err(|e| unreadable(&self.key, "key", &e))?;
        let provider = aws_lc_rs::default_provider();
        let certified = CertifiedKey::from_der(chain, key, &provider).map_err(|e| {
            Error::Tls(format!(
                "the TLS key {} does not fit the certificate {}: {e}",
                self.key.display(),
                self.cert.display()
            ))
        })?;
        Ok(Arc::new(certified))
    }

    /// When either file last changed, to notice a renewal.
    pub fn stamp(&self) -> Option<(SystemTime, SystemTime)> {
        let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
        Some((modified(&self.cert)?, modified(&self.key)?))
    }
}

/// Hands every handshake the current certificate; [`Self::replace`] swaps it.
#[derive(Debug)]
pub struct CurrentCertificate(RwLock<Arc<CertifiedKey>>);

impl CurrentCertificate {
    pub fn new(certified: Arc<CertifiedKey>) -> Self {
        Self(RwLock::new(certified))
    }

    pub fn get(&self) -> Arc<CertifiedKey> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn replace(&self, certified: Arc<CertifiedKey>) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = certified;
    }

    /// The SHA-256 fingerprint of the leaf certificate, as browsers show it.
    pub fn fingerprint(&self) -> String {
        let certified = self.get();
        certified
            .cert
            .first()
            .map(|leaf| fingerprint(leaf))
            .unwrap_or_default()
    }
}

impl ResolvesServerCert for CurrentCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.get())
    }
}

/// SHA-256 of a certificate's DER, in the `AB:CD:…` form that browsers'
/// certificate viewers and `openssl x509 -fingerprint -sha256` print.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    let mut out = String::with_capacity(digest.len() * 3);
    for (i, byte) in digest.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{byte:02X}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_read_like_openssl() {
        // `printf abc | sha256sum`, in colon-separated upper-case pairs.
        assert_eq!(
            fingerprint(b"abc"),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:\
             B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let one = rcgen::generate_simple_self_signed(vec!["a.test".into()]).unwrap();
        let other = rcgen::generate_simple_self_signed(vec!["b.test".into()]).unwrap();
        let files = CertificateFiles {
            cert: dir.path().join("cert.pem"),
            key: dir.path().join("key.pem"),
        };
        std::fs::write(&files.cert, one.cert.pem()).unwrap();
        std::fs::write(&files.key, other.signing_key.serialize_pem()).unwrap();
        let error = files.load().unwrap_err().to_string();
        assert!(error.contains("does not fit the certificate"), "{error}");

        std::fs::write(&files.key, one.signing_key.serialize_pem()).unwrap();
        assert!(files.load().is_ok());

        std::fs::write(&files.cert, "not a certificate").unwrap();
        let error = files.load().unwrap_err().to_string();
        assert!(error.contains("holds no PEM certificate"), "{error}");
    }
}
