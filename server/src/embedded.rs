//! The app built into the binary: `build.rs` writes a table of `dist/`'s
//! files (each with its brotli and gzip copies) for `main.rs` to include,
//! so deploying Keyhaven is copying one file. Served as `ServeDir` serves a
//! directory: the best encoding the browser accepts, an `ETag` per
//! encoding, 304 for a copy the browser already has.

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};

/// One file of the built app.
#[derive(Debug)]
pub struct EmbeddedFile {
    /// The URL path, such as `/index.html`.
    pub path: &'static str,
    pub body: &'static [u8],
    pub brotli: Option<&'static [u8]>,
    pub gzip: Option<&'static [u8]>,
    /// A hash of `body`, quoted: the tag of the uncompressed copy.
    pub etag: &'static str,
}

/// The file for a URL path: `/` and directories mean their `index.html`.
pub fn find(files: &'static [EmbeddedFile], path: &str) -> Option<&'static EmbeddedFile> {
    let index;
    let path = if path.ends_with('/') {
        index = format!("{path}index.html");
        index.as_str()
    } else {
        path
    };
    files.iter().find(|file| file.path == path)
}

/// Answers a GET or HEAD for `file`.
pub fn respond(file: &'static EmbeddedFile, method: &Method, request: &HeaderMap) -> Response {
    let (body, encoding) = choose_encoding(file, request);
    let etag = match encoding {
        Some(encoding) => format!("{}-{encoding}\"", file.etag.trim_end_matches('"')),
        None => file.etag.to_owned(),
    };
    let mut response = if not_modified(request, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let length = HeaderValue::from(body.len() as u64);
        let mut response = Response::new(if method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(body)
        });
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, content_type(file.path));
        headers.insert(header::CONTENT_LENGTH, length);
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    response
}

/// Brotli, then gzip, then none: the smallest the browser accepts.
fn choose_encoding(
    file: &'static EmbeddedFile,
    request: &HeaderMap,
) -> (&'static [u8], Option<&'static str>) {
    let accepted = |name: &str| {
        list_items(request, header::ACCEPT_ENCODING).any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    match (file.brotli, file.gzip) {
        (Some(brotli), _) if accepted("br") => (brotli, Some("br")),
        (_, Some(gzip)) if accepted("gzip") => (gzip, Some("gzip")),
        _ => (file.body, None),
    }
}

fn not_modified(request: &HeaderMap, etag: &str) -> bool {
    list_items(request, header::IF_NONE_MATCH).any(|tag| {
        let tag = tag.trim();
        tag == "*" || tag.trim_start_matches("W/") == etag
    })
}

/// The comma-separated items of every `name` header.
fn list_items(request: &HeaderMap, name: header::HeaderName) -> impl Iterator<Item = &str> {
    request
        .get_all(name)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
}

fn content_type(path: &str) -> HeaderValue {
    let extension = path.rsplit('.').next().unwrap_or_default();
    HeaderValue::from_static(match extension {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "webmanifest" => "application/manifest+json",
        "json" => "application/json",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    static FILES: &[EmbeddedFile] = &[
        EmbeddedFile {
            path: "/index.html",
            body: b"<!doctype html>",
            brotli: Some(b"brotli bytes"),
            gzip: Some(b"gzip bytes"),
            etag: "\"0123\"",
        },
        EmbeddedFile {
            path: "/icon.svg",
            body: b"<svg/>",
            brotli: None,
            gzip: None,
            etag: "\"4567\"",
        },
    ];

    fn get(path: &str, headers: &[(&'static str, &'static str)]) -> Response {
        let mut request = HeaderMap::new();
        for (name, value) in headers {
            request.append(*name, HeaderValue::from_static(value));
        }
        respond(find(FILES, path).unwrap(), &Method::GET, &request)
    }

    fn header(response: &Response, name: header::HeaderName) -> &str {
        response.headers().get(name).unwrap().to_str().unwrap()
    }

    #[test]
    fn the_root_is_the_index_and_unknown_paths_are_nothing() {
        assert_eq!(find(FILES, "/").unwrap().path, "/index.html");
        assert!(find(FILES, "/missing.js").is_none());
    }

    #[test]
    fn the_smallest_accepted_encoding_is_sent() {
        let response = get("/index.html", &[("accept-encoding", "gzip, deflate, br")]);
        assert_eq!(header(&response, header::CONTENT_ENCODING), "br");
        assert_eq!(header(&response, header::CONTENT_LENGTH), "12");
        assert_eq!(header(&response, header::ETAG), "\"0123-br\"");
        assert_eq!(
            header(&response, header::CONTENT_TYPE),
            "text/html; charset=utf-8"
        );

        let response = get("/index.html", &[("accept-encoding", "br;q=0, gzip")]);
        assert_eq!(header(&response, header::CONTENT_ENCODING), "gzip");

        let response = get("/index.html", &[]);
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(header(&response, header::ETAG), "\"0123\"");

        // No compressed copy: the file as it is, whatever is accepted.
        let response = get("/icon.svg", &[("accept-encoding", "br")]);
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(header(&response, header::CONTENT_TYPE), "image/svg+xml");
    }

    #[test]
    fn a_copy_the_browser_has_is_not_sent_again() {
        let response = get(
            "/index.html",
            &[("accept-encoding", "br"), ("if-none-match", "\"0123-br\"")],
        );
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        // The tag of another encoding is another copy.
        let response = get(
            "/index.html",
            &[("accept-encoding", "br"), ("if-none-match", "\"0123\"")],
        );
        assert_eq!(response.status(), StatusCode::OK);
    }
}
