//! The server's one error type, and how each variant answers over HTTP:
//! always JSON `{"error": {"code", "message"}}`, and never a 5xx for bad
//! input (5xx means the server or its database failed).

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use keyhaven_core::api::{ErrorBody, Tag};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A client error with a stable code and a message for people.
    #[error("{message}")]
    Api {
        status: StatusCode,
        code: &'static str,
        message: String,
    },

    /// A write's `If-Match`/`If-None-Match` did not hold (or was missing);
    /// `current` is the blob's tag now, sent back as `ETag`.
    #[error("precondition failed")]
    PreconditionFailed { current: Option<String> },

    /// Too many attempts; retry after this many seconds.
    #[error("{message}")]
    TooManyRequests {
        retry_after_secs: u64,
        message: String,
    },

    /// Too much work at once (password hashes): retry after this many
    /// seconds. 503, not 429: it is the server's capacity, not the client.
    #[error("busy")]
    Busy { retry_after_secs: u64 },

    /// Hashing a password failed: a server fault, not the storage's.
    #[error("password hashing failed: {0}")]
    Hashing(String),

    /// The database did not answer or failed. Details go to the log, never
    /// to the client.
    #[error("storage error: {0}")]
    Store(#[from] crate::store::StoreError),

    /// The TLS certificate or key could not be read, made or used.
    #[error("{0}")]
    Tls(String),

    /// Bad server configuration, found at start-up.
    #[error("{0}")]
    Config(String),
}

impl Error {
    pub fn api(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Api {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::api(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found() -> Self {
        Self::api(
            StatusCode::NOT_FOUND,
            "not_found",
            "Nothing is here. Check the address.",
        )
    }

    pub fn unauthenticated() -> Self {
        Self::api(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign in first.",
        )
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Error::Api {
                status,
                code,
                message,
            } => (status, code, message),
            Error::PreconditionFailed { current } => {
                let message = match &current {
                    Some(_) => {
                        "Someone else changed this since you read it. Fetch it again, merge, and retry."
                    }
                    None => {
                        "This write needs If-Match with the current ETag (or If-None-Match: * to create)."
                    }
                };
                let mut response = (
                    StatusCode::PRECONDITION_FAILED,
                    Json(ErrorBody::new("precondition_failed", message)),
                )
                    .into_response();
                if let Some(etag) = current
                    .and_then(|tag| Tag::new(tag).ok())
                    .and_then(|tag| HeaderValue::try_from(tag.quoted()).ok())
                {
                    response.headers_mut().insert(header::ETAG, etag);
                }
                return response;
            }
            Error::TooManyRequests {
                retry_after_secs,
                message,
            } => {
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(ErrorBody::new("too_many_requests", message)),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                return response;
            }
            Error::Busy { retry_after_secs } => {
                let mut response = (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(ErrorBody::new(
                        "busy",
                        "The server is busy checking other sign-ins. Try again in a moment.",
                    )),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                return response;
            }
            error @ Error::Hashing(_) => {
                tracing::error!(%error, "password hashing failure");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "The server failed to check the password. Try again; if it keeps failing, tell its operator.".to_owned(),
                )
            }
            error @ (Error::Store(_) | Error::Config(_) | Error::Tls(_)) => {
                tracing::error!(%error, "storage failure");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "The server's storage is not answering. Try again in a moment.".to_owned(),
                )
            }
        };
        (status, Json(ErrorBody::new(code, message))).into_response()
    }
}
