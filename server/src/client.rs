//! Who is on the other end of a request. Behind a reverse proxy every
//! request comes from the proxy's address, and only the proxy knows the
//! client's: `X-Forwarded-For` and `X-Forwarded-Proto` are believed only
//! from a proxy the operator named (`--trusted-proxy`), reading the
//! forwarded chain from the right and stopping at the first hop that is not
//! one of those proxies. Anyone else's forwarded headers are ignored, so a
//! forged `X-Forwarded-For` buys no fresh sign-in attempts.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use ipnet::IpNet;

use crate::{AppState, Error};

/// The client of a request: its address, and whether it reached us over
/// https (through a trusted proxy that says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Client {
    pub addr: IpAddr,
    pub https: bool,
}

impl Client {
    pub(crate) fn of(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> Self {
        let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(&ip.to_canonical()));
        if !is_trusted(peer) {
            return Self {
                addr: peer,
                https: false,
            };
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut addr = peer;
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            addr = ip.to_canonical();
            if !is_trusted(addr) {
                break;
            }
        }
        let https = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        Self { addr, https }
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .ok_or_else(|| Error::Config("the server was started without peer addresses".into()))?;
        Ok(Self::of(
            peer,
            &parts.headers,
            &state.settings.trusted_proxies,
        ))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::try_from(*value).unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_socket_is_the_client() {
        let forged = headers(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(
            Client::of(ip("198.51.100.2"), &forged, &[]),
            Client {
                addr: ip("198.51.100.2"),
                https: false
            }
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // A client that forges a first hop can't hide behind it.
        let chain = headers(&[
            ("x-forwarded-for", "1.2.3.4, 203.0.113.7"),
            ("x-forwarded-for", "10.0.0.3"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(
            Client::of(ip("10.0.0.2"), &chain, &trusted),
            Client {
                addr: ip("203.0.113.7"),
                https: true
            }
        );
        // Garbage stops the walk at the last hop that could be read.
        let garbage = headers(&[("x-forwarded-for", "nonsense, 10.0.0.9")]);
        assert_eq!(
            Client::of(ip("10.0.0.2"), &garbage, &trusted).addr,
            ip("10.0.0.9")
        );
        // No header: the proxy itself.
        assert_eq!(
            Client::of(ip("10.0.0.2"), &HeaderMap::new(), &trusted).addr,
            ip("10.0.0.2")
        );
        // Mapped IPv4 is the same client as plain IPv4.
        let mapped = headers(&[("x-forwarded-for", "::ffff:203.0.113.7")]);
        assert_eq!(
            Client::of(ip("10.0.0.2"), &mapped, &trusted).addr,
            ip("203.0.113.7")
        );
    }
}
