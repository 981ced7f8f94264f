//! Which addresses a host-key scan may reach. The name is resolved once,
//! every address it resolves to is checked, and the scan connects to the
//! checked address itself, so a second DNS answer (rebinding) can't slip a
//! forbidden target past the check.

use std::net::{IpAddr, SocketAddr};

use axum::http::StatusCode;
use ipnet::IpNet;
use keyhaven_core::api::ScanRequest;

use crate::Error;

pub const MAX_TIMEOUT_SECS: u64 = 60;

/// The request, checked: a host (no URL), a port, a timeout of 1–60 s.
pub fn validate(request: &ScanRequest) -> Result<String, Error> {
    let host = request.host.trim();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.contains("://") {
        return Err(Error::bad_request(
            "invalid_host",
            "Enter a host name or IP address, not a URL.",
        ));
    }
    if host.is_empty()
        || host.len() > 253
        || host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "/?#@".contains(c))
    {
        return Err(Error::bad_request(
            "invalid_host",
            "Enter a host name or IP address.",
        ));
    }
    if request.port == 0 {
        return Err(Error::bad_request(
            "invalid_port",
            "The port must be between 1 and 65535.",
        ));
    }
    if !(1..=MAX_TIMEOUT_SECS).contains(&request.timeout_secs) {
        return Err(Error::bad_request(
            "invalid_timeout",
            format!("The timeout must be between 1 and {MAX_TIMEOUT_SECS} seconds."),
        ));
    }
    Ok(host.to_owned())
}

/// Loopback, link-local (cloud metadata lives there), multicast,
/// broadcast and unspecified addresses are not scan targets unless the
/// operator allowed them. LAN addresses are the normal case.
pub fn is_restricted(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

pub fn is_allowed(ip: IpAddr, allow: &[IpNet]) -> bool {
    let ip = ip.to_canonical();
    !is_restricted(ip) || allow.iter().any(|net| net.contains(&ip))
}

/// Resolves `host` (names, and every IPv4 spelling the system resolver
/// takes: `2130706433`, `0x7f.1`, `0177.0.0.1`) and checks every address.
pub async fn resolve(
    host: &str,
    port: u16,
    allow: &[IpNet],
    timeout: std::time::Duration,
) -> Result<SocketAddr, Error> {
    let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
                Ok(Ok(found)) => found.collect(),
                Ok(Err(_)) => Vec::new(),
                Err(_) => return Err(timed_out(host)),
            }
        }
    };
    let Some(first) = addresses.first() else {
        return Err(Error::api(
            StatusCode::UNPROCESSABLE_ENTITY,
            "name_not_resolved",
            format!("The name {host} could not be resolved. Check it, or enter the IP address."),
        ));
    };
    if let Some(refused) = addresses.iter().find(|a| !is_allowed(a.ip(), allow)) {
        return Err(Error::api(
            StatusCode::FORBIDDEN,
            "target_not_allowed",
            format!(
                "{host} resolves to {}, which this server does not scan (loopback, link-local, multicast and unspecified addresses need the operator's --scan-allow).",
                refused.ip().to_canonical()
            ),
        ));
    }
    Ok(SocketAddr::new(first.ip().to_canonical(), port))
}

pub fn timed_out(host: &str) -> Error {
    Error::api(
        StatusCode::GATEWAY_TIMEOUT,
        "timed_out",
        format!(
            "SSH timeout: {host} did not answer in time. Check the host, the port and any firewall."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn restricted_classes_are_refused_and_lans_allowed() {
        for s in [
            "127.0.0.1",
            "127.9.9.9",
            "::1",
            "169.254.169.254",
            "fe80::1",
            "224.0.0.1",
            "ff02::1",
            "0.0.0.0",
            "::",
            "255.255.255.255",
            "0.1.2.3",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_allowed(ip(s), &[]), "{s} should be refused");
        }
        for s in [
            "192.168.1.10",
            "10.0.0.5",
            "172.16.3.4",
            "fd00::5",
            "8.8.8.8",
        ] {
            assert!(is_allowed(ip(s), &[]), "{s} should be allowed");
        }
    }

    #[test]
    fn the_operator_can_allow_a_network() {
        let allow: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        assert!(is_allowed(ip("127.0.0.1"), &allow));
        assert!(is_allowed(ip("::ffff:127.0.0.1"), &allow));
        assert!(!is_allowed(ip("::1"), &allow));
        assert!(!is_allowed(ip("169.254.169.254"), &allow));
    }

    #[tokio::test]
    async fn every_ipv4_spelling_of_loopback_is_refused() {
        let second = std::time::Duration::from_secs(5);
        for host in [
            "2130706433",
            "0x7f000001",
            "0177.0.0.1",
            "127.1",
            "localhost",
            "::ffff:7f00:1",
        ] {
            let error = resolve(host, 22, &[], second).await.unwrap_err();
            assert!(
                matches!(
                    error,
                    Error::Api {
                        code: "target_not_allowed",
                        ..
                    }
                ),
                "{host}: {error:?}"
            );
        }
    }

    #[test]
    fn requests_are_validated() {
        let request = |host: &str, port, timeout_secs| ScanRequest {
            host: host.into(),
            port,
            timeout_secs,
        };
        assert_eq!(
            validate(&request(" nas2.lan ", 22, 10)).unwrap(),
            "nas2.lan"
        );
        assert_eq!(validate(&request("[fd00::5]", 22, 10)).unwrap(), "fd00::5");
        for (bad, code) in [
            (request("https://nas2", 22, 10), "invalid_host"),
            (request("", 22, 10), "invalid_host"),
            (request("a b", 22, 10), "invalid_host"),
            (request("nas2", 0, 10), "invalid_port"),
            (request("nas2", 22, 0), "invalid_timeout"),
            (request("nas2", 22, 61), "invalid_timeout"),
        ] {
            assert!(
                matches!(validate(&bad), Err(Error::Api { code: c, .. }) if c == code),
                "{bad:?}"
            );
        }
    }
}
