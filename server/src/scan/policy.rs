//! Which addresses a host-key scan may reach. The name is resolved once,
//! every address it resolves to is checked, and the scan connects to the
//! checked address itself, so a second DNS answer (rebinding) can't slip a
//! forbidden target past the check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::http::StatusCode;
use ipnet::IpNet;
use keyhaven_core::api::ScanRequest;

use crate::Error;

pub(super) const MAX_TIMEOUT_SECS: u64 = 60;

/// The request, checked: a host (no URL), a port, a timeout of 1–60 s.
pub(super) fn validate(request: &ScanRequest) -> Result<String, Error> {
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

/// Cloud metadata services that are not link-local (169.254.169.254 is).
const METADATA_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(100, 100, 100, 200), // Alibaba Cloud
    Ipv4Addr::new(192, 0, 0, 192),     // Oracle Cloud
    Ipv4Addr::new(168, 63, 129, 16),   // Azure's wire server
];
const METADATA_V6: [Ipv6Addr; 1] = [
    Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254), // AWS (IPv6)
];

/// The address an IPv6 form stands for when it carries an IPv4 address:
/// IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64
/// `64:ff9b::a.b.c.d` and 6to4 `2002:AABB:CCDD::`. Checked as that IPv4
/// address, so no spelling reaches what its twin can't.
pub(super) fn canonical(ip: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = ip.to_canonical() else {
        return ip.to_canonical();
    };
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| IpAddr::V4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    match s {
        // IPv4-compatible, except :: and ::1 themselves.
        [0, 0, 0, 0, 0, 0, hi, lo] if (hi, lo) > (0, 1) => v4(hi, lo),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => v4(hi, lo),
        [0x2002, hi, lo, ..] => v4(hi, lo),
        _ => IpAddr::V6(v6),
    }
}

/// Loopback, link-local (cloud metadata lives there), cloud metadata
/// addresses, multicast, broadcast and unspecified addresses are not scan
/// targets unless the operator allowed them, nor IPv6 forms that hide where
/// they lead (site-local, Teredo, local-use NAT64). LAN addresses are the
/// normal case.
pub fn is_restricted(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.octets()[0] == 0
                || METADATA_V4.contains(&v4)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0], s[1]) == (0x2001, 0) // Teredo
                || (s[0], s[1], s[2]) == (0x64, 0xff9b, 1) // local-use NAT64
                || METADATA_V6.contains(&v6)
        }
    }
}

pub fn is_allowed(ip: IpAddr, allow: &[IpNet]) -> bool {
    let ip = canonical(ip);
    !is_restricted(ip) || allow.iter().any(|net| net.contains(&ip))
}

/// Resolves `host` (names, and every IPv4 spelling the system resolver
/// takes: `2130706433`, `0x7f.1`, `0177.0.0.1`) and checks every address.
pub(super) async fn resolve(
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
                canonical(refused.ip())
            ),
        ));
    }
    Ok(SocketAddr::new(canonical(first.ip()), port))
}

pub(super) fn timed_out(host: &str) -> Error {
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
    fn ipv6_forms_of_an_ipv4_address_are_judged_as_that_address() {
        for twin in [
            "127.0.0.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.1.2.3",
            "10.0.0.5",
            "192.168.1.10",
            "8.8.8.8",
        ] {
            let v4: Ipv4Addr = twin.parse().unwrap();
            let [a, b, c, d] = v4.octets();
            let (hi, lo) = (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
            for form in [
                format!("::ffff:{twin}"),
                format!("::{twin}"),
                format!("64:ff9b::{twin}"),
                format!("2002:{hi:x}:{lo:x}::1"),
            ] {
                assert_eq!(canonical(ip(&form)), IpAddr::V4(v4), "{form}");
                assert_eq!(
                    is_allowed(ip(&form), &[]),
                    is_allowed(ip(twin), &[]),
                    "{form}"
                );
            }
        }
        // An allowed network covers every spelling of its addresses.
        let allow: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        assert!(is_allowed(ip("64:ff9b::7f00:1"), &allow));
    }

    #[test]
    fn metadata_site_local_and_opaque_ipv6_forms_are_refused() {
        for s in [
            "fd00:ec2::254",
            "fec0::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "64:ff9b:1::a00:5",
            "192.0.0.192",
            "168.63.129.16",
        ] {
            assert!(!is_allowed(ip(s), &[]), "{s} should be refused");
        }
        // Other unique-local addresses are LANs.
        assert!(is_allowed(ip("fd00:ec2::253"), &[]));
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
