//! Plain `http://` requests, when the server speaks TLS: a permanent
//! redirect to the same host and path over `https://`. Used on the TLS
//! port itself and on `--http-redirect-listen` (port 80, say).

use axum::{
    Router,
    http::{HeaderMap, StatusCode, Uri, header, uri::Authority},
    response::{IntoResponse, Response},
};

pub fn router(https_port: u16) -> Router {
    Router::new().fallback(move |headers: HeaderMap, uri: Uri| async move {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        match location(host, &uri, https_port) {
            Some(location) => (
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, location.clone())],
                format!("Keyhaven is served over HTTPS: {location}\n"),
            )
                .into_response(),
            None => missing_host(),
        }
    })
}

/// `https://<the requested host>:<the TLS port><path>`, or nothing when the
/// request names no usable host.
pub fn location(host: Option<&str>, uri: &Uri, https_port: u16) -> Option<String> {
    let authority: Authority = host?.parse().ok()?;
    let host = authority.host();
    if host.is_empty() || authority.as_str().contains('@') {
        return None;
    }
    let port = if https_port == 443 {
        String::new()
    } else {
        format!(":{https_port}")
    };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    Some(format!("https://{host}{port}{path}"))
}

fn missing_host() -> Response {
    (
        StatusCode::BAD_REQUEST,
        "Keyhaven is served over HTTPS only. Open it with https:// in front of its address.\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn keeps_host_and_path_and_moves_to_the_tls_port() {
        assert_eq!(
            location(Some("nas.lan:8080"), &uri("/keyring?x=1"), 8443).as_deref(),
            Some("https://nas.lan:8443/keyring?x=1")
        );
        assert_eq!(
            location(Some("nas.lan"), &uri("/"), 443).as_deref(),
            Some("https://nas.lan/")
        );
        assert_eq!(
            location(Some("[::1]:80"), &uri("/signin"), 8443).as_deref(),
            Some("https://[::1]:8443/signin")
        );
    }

    #[test]
    fn a_missing_or_odd_host_gets_no_redirect() {
        assert_eq!(location(None, &uri("/"), 443), None);
        assert_eq!(location(Some(""), &uri("/"), 443), None);
        assert_eq!(location(Some("evil.test@nas.lan"), &uri("/"), 443), None);
        assert_eq!(location(Some("nas.lan/path"), &uri("/"), 443), None);
    }
}
