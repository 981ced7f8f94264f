//! Field rules as TrueNAS applies them (plus the ranges TrueNAS leaves
//! unchecked), with messages for the forms.

use std::net::{IpAddr, Ipv6Addr};

use super::{Field, Reason};
use crate::Error;

/// TrueNAS's longest Connect Timeout, in seconds.
pub const MAX_CONNECT_TIMEOUT: u32 = 300;

/// A host name (RFC 1123 labels) or an IP address.
pub fn validate_host(host: &str) -> Result<(), Error> {
    check_host(host, Field::Host)
}

/// [`validate_host`] for the host typed in `field`.
fn check_host(host: &str, field: Field) -> Result<(), Error> {
    let bad = || Error::field(field, Reason::NotAHost(host.to_owned()));
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    if host.is_empty() || host.len() > 253 {
        return Err(bad());
    }
    let labels_ok = host.trim_end_matches('.').split('.').all(|label| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    if labels_ok { Ok(()) } else { Err(bad()) }
}

/// Splits `scheme://host[:port][/path]` (scheme optional) into its parts.
fn split_url(input: &str) -> (Option<&str>, &str, Option<&str>) {
    let (scheme, rest) = match input.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, input),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(bracketed) = authority.strip_prefix('[') {
        // [IPv6]:port
        let (host, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
        return (scheme, host, after.strip_prefix(':'));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (scheme, host, Some(port)),
        _ => (scheme, authority, None),
    }
}

/// The SSH connection form's Host: a host name or address; a URL pasted
/// there loses its scheme, port and path, as TrueNAS does.
pub fn host_from_input(input: &str) -> Result<String, Error> {
    let input = input.trim();
    if input.is_empty() {
        return Err(Error::field(Field::Host, Reason::Required));
    }
    let (_, host, _) = split_url(input);
    let host = host.to_ascii_lowercase();
    validate_host(&host)?;
    Ok(host)
}

/// A TrueNAS URL as the forms take it: a value without a scheme gets the
/// page's (`http` or `https`), as TrueNAS does; the result is
/// `scheme://host[:port]` in lower case, without path or trailing slash.
pub fn normalize_truenas_url(input: &str, page_scheme: &str) -> Result<String, Error> {
    let input = input.trim();
    if input.is_empty() {
        return Err(Error::field(Field::TrueNasUrl, Reason::Required));
    }
    let (scheme, host, port) = split_url(input);
    let scheme = scheme.unwrap_or(page_scheme).to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(Error::field(Field::TrueNasUrl, Reason::Scheme(scheme)));
    }
    let host = host.to_ascii_lowercase();
    check_host(&host, Field::TrueNasUrl)?;
    let port = match port.filter(|p| !p.is_empty()) {
        Some(port) => {
            Some(check_port(port).map_err(|_| Error::field(Field::TrueNasUrl, Reason::PortRange))?)
        }
        None => None,
    };
    let host = if host.parse::<Ipv6Addr>().is_ok() {
        format!("[{host}]")
    } else {
        host
    };
    let default = if scheme == "https" { 443 } else { 80 };
    Ok(match port {
        Some(port) if port != default => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// 1–65535 (TrueNAS checks no range; a port outside it can't work).
pub fn check_port(input: &str) -> Result<u16, Error> {
    match input.trim().parse::<u32>() {
        Ok(port) if (1..=65535).contains(&port) => Ok(port as u16),
        _ => Err(Error::field(Field::Port, Reason::PortRange)),
    }
}

/// Connect Timeout in seconds, 1–300.
pub fn check_connect_timeout(input: &str) -> Result<u32, Error> {
    match input.trim().parse::<u32>() {
        Ok(seconds) if (1..=MAX_CONNECT_TIMEOUT).contains(&seconds) => Ok(seconds),
        _ => Err(Error::field(
            Field::ConnectTimeout,
            Reason::ConnectTimeoutRange {
                max: MAX_CONNECT_TIMEOUT,
            },
        )),
    }
}

/// Whether a secret (an API key, an admin password) may be sent to this
/// TrueNAS URL: over TLS, or in plain text only to this very machine —
/// an IP literal in 127.0.0.0/8, `::1`, or `localhost` itself. A name that
/// merely starts with `127.` (`127.attacker.example`) is not loopback.
/// (TrueNAS also revokes an API key that arrives over plain `ws://`.)
pub fn secret_transport_allowed(url: &str) -> bool {
    let (scheme, host, _) = split_url(url.trim());
    match scheme.map(str::to_ascii_lowercase).as_deref() {
        Some("https") => true,
        Some("http") => {
            host.eq_ignore_ascii_case("localhost")
                || host.parse::<IpAddr>().is_ok_and(|ip| match ip {
                    // Not `to_canonical()`: ::ffff:10.0.0.1 is no loopback.
                    IpAddr::V4(v4) => v4.is_loopback(),
                    IpAddr::V6(v6) => v6.is_loopback(),
                })
        }
        _ => false,
    }
}
