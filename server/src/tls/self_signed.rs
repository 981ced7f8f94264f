//! `--tls-self-signed`: a certificate made on first start for the names and
//! addresses the server is reached by, kept in the data directory so its
//! fingerprint stays the same across restarts (the user checks it once in
//! the browser). It is made again only when the names change or it nears
//! its end.

use std::{
    net::IpAddr,
    path::{Path, PathBuf},
};

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair, SanType,
};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::CertificateFiles;
use crate::Error;

/// Apple's platforms refuse server certificates valid for longer, even
/// ones the user trusts by hand.
const VALID_DAYS: i64 = 825;
/// Made anew at start-up when fewer days than this are left.
const RENEW_DAYS: i64 = 30;

/// What was made, beside the PEM files: for which names, and until when.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Made {
    names: Vec<String>,
    not_after_unix: i64,
}

/// Whether this start made a new certificate (its fingerprint is new).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Reused,
    Made,
}

/// The files in `<data dir>/tls/`, made if missing, stale or for other names.
pub fn ensure(data_dir: &Path, names: &[String]) -> Result<(CertificateFiles, Outcome), Error> {
    let dir = data_dir.join("tls");
    let files = CertificateFiles {
        cert: dir.join("self-signed.crt"),
        key: dir.join("self-signed.key"),
    };
    let record = dir.join("self-signed.json");
    let now = OffsetDateTime::now_utc();
    if let Some(made) = read_record(&record)
        && made.names == names
        && made.not_after_unix - now.unix_timestamp() > RENEW_DAYS * 86_400
        && files.load().is_ok()
    {
        return Ok((files, Outcome::Reused));
    }
    let (cert_pem, key_pem, not_after) = make(names, now)?;
    let io = |path: &PathBuf, e: std::io::Error| {
        Error::Tls(format!(
            "writing the TLS certificate to {}: {e}",
            path.display()
        ))
    };
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    write_private(&files.key, key_pem.as_bytes()).map_err(|e| io(&files.key, e))?;
    std::fs::write(&files.cert, cert_pem).map_err(|e| io(&files.cert, e))?;
    let made = Made {
        names: names.to_vec(),
        not_after_unix: not_after.unix_timestamp(),
    };
    let json = serde_json::to_vec_pretty(&made).map_err(|e| Error::Tls(e.to_string()))?;
    std::fs::write(&record, json).map_err(|e| io(&record, e))?;
    Ok((files, Outcome::Made))
}

/// The names a certificate is for when none are given: this machine's
/// host name and the loopback names, so `https://localhost:…` and
/// `https://<hostname>:…` both match.
pub fn default_names(listen: IpAddr) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let host = host.trim();
        if !host.is_empty() && host != "localhost" {
            names.push(host.to_owned());
        }
    }
    names.extend(["localhost".into(), "127.0.0.1".into(), "::1".into()]);
    if !listen.is_unspecified() && !listen.is_loopback() {
        names.push(listen.to_string());
    }
    names
}

fn read_record(path: &Path) -> Option<Made> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// An ECDSA P-256 certificate for `names` (host names or IP addresses),
/// for server authentication only.
fn make(names: &[String], now: OffsetDateTime) -> Result<(String, String, OffsetDateTime), Error> {
    let failed = |e: rcgen::Error| Error::Tls(format!("making a self-signed certificate: {e}"));
    let mut params = CertificateParams::default();
    params.subject_alt_names = names
        .iter()
        .map(|name| match name.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) if is_host_name(name) => name
                .clone()
                .try_into()
                .map(SanType::DnsName)
                .map_err(failed),
            Err(_) => Err(Error::Tls(format!(
                "--tls-name {name:?} is neither a host name nor an IP address"
            ))),
        })
        .collect::<Result<_, _>>()?;
    let mut subject = DistinguishedName::new();
    subject.push(
        DnType::CommonName,
        names.first().map_or("Keyhaven", String::as_str),
    );
    subject.push(DnType::OrganizationName, "Keyhaven (self-signed)");
    params.distinguished_name = subject;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // A day's slack for clocks behind ours.
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(VALID_DAYS);
    let key = KeyPair::generate().map_err(failed)?;
    let cert = params.self_signed(&key).map_err(failed)?;
    Ok((cert.pem(), key.serialize_pem(), params.not_after))
}

/// Letters, digits and hyphens between dots (a leading `*.` for a
/// wildcard): what a certificate's DNS name may hold.
fn is_host_name(name: &str) -> bool {
    let name = name.strip_prefix("*.").unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The key file is readable by the server's user only.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["keyhaven.test".into(), "127.0.0.1".into()]
    }

    #[test]
    fn the_certificate_is_kept_until_the_names_change() {
        let data = tempfile::tempdir().unwrap();
        let (files, outcome) = ensure(data.path(), &names()).unwrap();
        assert_eq!(outcome, Outcome::Made);
        let first = std::fs::read(&files.cert).unwrap();

        let (_, outcome) = ensure(data.path(), &names()).unwrap();
        assert_eq!(outcome, Outcome::Reused);
        assert_eq!(std::fs::read(&files.cert).unwrap(), first);

        let (_, outcome) = ensure(data.path(), &["other.test".to_owned()]).unwrap();
        assert_eq!(outcome, Outcome::Made);
        assert_ne!(std::fs::read(&files.cert).unwrap(), first);
    }

    #[test]
    fn a_damaged_key_file_is_replaced_not_served() {
        let data = tempfile::tempdir().unwrap();
        let (files, _) = ensure(data.path(), &names()).unwrap();
        std::fs::write(&files.key, "garbage").unwrap();
        let (files, outcome) = ensure(data.path(), &names()).unwrap();
        assert_eq!(outcome, Outcome::Made);
        assert!(files.load().is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn only_the_server_can_read_the_key() {
        use std::os::unix::fs::PermissionsExt;
        let data = tempfile::tempdir().unwrap();
        let (files, _) = ensure(data.path(), &names()).unwrap();
        let mode = std::fs::metadata(&files.key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_name_that_is_neither_host_nor_address_is_refused() {
        let data = tempfile::tempdir().unwrap();
        for bad in ["bad name", "nas/1", "-nas", "nas..lan", ""] {
            let error = ensure(data.path(), &[bad.to_owned()]).unwrap_err();
            assert!(
                error.to_string().contains("neither a host name"),
                "{bad}: {error}"
            );
        }
        assert!(ensure(data.path(), &["*.nas.lan".into(), "::1".into()]).is_ok());
    }
}
