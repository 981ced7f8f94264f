//! The server's one error type, and how each variant answers over HTTP.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use keyhaven_core::api::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The route or the thing it names does not exist (or is not yours:
    /// another account's blob answers exactly like a missing one).
    #[error("not found")]
    NotFound,

    /// The database did not answer or failed. Details go to the log, never
    /// to the client.
    #[error("storage error: {0}")]
    Store(#[from] sqlx::Error),

    #[error("storage error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            Error::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "Nothing is here. Check the address.",
            ),
            Error::Store(_) | Error::Migrate(_) => {
                tracing::error!(error = %self, "storage failure");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "The server's storage is not answering. Try again in a moment.",
                )
            }
        };
        (status, Json(ErrorBody::new(code, message))).into_response()
    }
}
