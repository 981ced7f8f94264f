//! A JSON body extractor whose rejections are our JSON errors: 415 without
//! `Content-Type: application/json`, 400 for malformed or mis-shaped JSON,
//! 413 past the body limit. Messages never echo the body (it may hold a
//! password).

use axum::{
    extract::{FromRequest, Request, rejection::JsonRejection},
    http::StatusCode,
};
use serde::de::DeserializeOwned;

use crate::Error;

pub(crate) struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Error> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::MissingJsonContentType(_) => Error::api(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Send the request body as JSON, with Content-Type: application/json.",
                ),
                JsonRejection::JsonSyntaxError(_) => {
                    Error::bad_request("malformed_json", "The request body is not valid JSON.")
                }
                JsonRejection::JsonDataError(_) => Error::bad_request(
                    "invalid_request",
                    "The request body is JSON, but not the fields this request takes.",
                ),
                other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Error::api(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "The request body is too large.",
                ),
                _ => Error::bad_request("invalid_request", "The request body could not be read."),
            }),
        }
    }
}
