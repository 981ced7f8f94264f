//! Serving the built app: files from `dist/` or built into the binary
//! (brotli/gzip variants that the build wrote beside them when the client
//! accepts them), and `index.html` for deep links such as `/keyring`, so a
//! reload on any route works.

use std::{convert::Infallible, path::PathBuf};

use axum::{
    body::Body,
    extract::Request,
    http::{Method, StatusCode},
    response::{IntoResponse, Response},
};
use tower::{ServiceExt, service_fn, util::BoxCloneSyncService};
use tower_http::services::{ServeDir, ServeFile};

use crate::{Error, embedded};

pub(crate) type SpaService = BoxCloneSyncService<Request, Response, Infallible>;

/// Where the built app comes from.
#[derive(Debug, Clone)]
pub enum AppFiles {
    /// Trunk's output on disk (`--dist`, or `./dist`).
    Dir(PathBuf),
    /// Built into the binary (`build.rs`).
    Embedded(&'static [embedded::EmbeddedFile]),
}

impl AppFiles {
    /// Whether there is an app to serve at all.
    pub fn has_app(&self) -> bool {
        match self {
            Self::Dir(dist) => dist.join("index.html").is_file(),
            Self::Embedded(files) => embedded::find(files, "/").is_some(),
        }
    }
}

pub(crate) fn service(files: &AppFiles) -> SpaService {
    match files {
        AppFiles::Dir(dist) => from_dir(dist),
        AppFiles::Embedded(files) => from_binary(files),
    }
}

fn from_binary(files: &'static [embedded::EmbeddedFile]) -> SpaService {
    BoxCloneSyncService::new(service_fn(move |request: Request| async move {
        let method = request.method();
        if method != Method::GET && method != Method::HEAD {
            return Ok(Error::not_found().into_response());
        }
        let path = request.uri().path();
        let file = embedded::find(files, path).or_else(|| {
            is_deep_link(path)
                .then(|| embedded::find(files, "/"))
                .flatten()
        });
        Ok(match file {
            Some(file) => embedded::respond(file, method, request.headers()),
            None if is_deep_link(path) => app_not_built(),
            None => Error::not_found().into_response(),
        })
    }))
}

fn from_dir(dist: &std::path::Path) -> SpaService {
    let files = ServeDir::new(dist)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true);
    let index = ServeFile::new(dist.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    BoxCloneSyncService::new(service_fn(move |request: Request| {
        let files = files.clone();
        let index = index.clone();
        async move {
            if request.method() != Method::GET && request.method() != Method::HEAD {
                return Ok(Error::not_found().into_response());
            }
            let deep_link = is_deep_link(request.uri().path());
            // Keep only what ServeFile needs to answer the index request.
            let mut index_request = Request::new(Body::empty());
            *index_request.method_mut() = request.method().clone();
            *index_request.headers_mut() = request.headers().clone();

            let response = files
                .oneshot(request)
                .await
                .map(IntoResponse::into_response);
            let Ok(response) = response;
            if response.status() != StatusCode::NOT_FOUND || !deep_link {
                return Ok(response);
            }
            let response = index
                .oneshot(index_request)
                .await
                .map(IntoResponse::into_response);
            let Ok(response) = response;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(app_not_built());
            }
            Ok(response)
        }
    }))
}

/// A route of the app (`/keyring`, `/credentials/backup`), as opposed to a
/// missing file (`/missing.js`), which should stay a 404.
fn is_deep_link(path: &str) -> bool {
    !path.rsplit('/').next().unwrap_or_default().contains('.')
}

fn app_not_built() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(keyhaven_core::api::ErrorBody::new(
            "app_not_built",
            "The web app has not been built. Run `cargo xtask run`, or point --dist at Trunk's output.",
        )),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::is_deep_link;

    #[test]
    fn routes_are_deep_links_and_files_are_not() {
        assert!(is_deep_link("/"));
        assert!(is_deep_link("/keyring"));
        assert!(is_deep_link("/credentials/backup"));
        assert!(!is_deep_link("/missing.js"));
        assert!(!is_deep_link("/icons/app.svg"));
    }
}
