//! Per-account opaque blobs with optimistic concurrency: every write names
//! the tag it expects, so no write is ever lost silently.

use axum::{
    body::Bytes,
    extract::{
        Path, Query, State,
        rejection::{BytesRejection, QueryRejection},
    },
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use keyhaven_core::api::{BlobInfo, Tag};

use crate::{
    AppState, Error,
    auth::{self, Account},
    events::Change,
    now_ms,
    store::{BlobWrite, DeleteOutcome, Precondition, PutOutcome, StoreError},
};

/// `GET /api/v1/blobs`, or `?names=a,b` for only those (the app syncs
/// two by their tags, and need not read a line per metadata part).
#[derive(serde::Deserialize)]
pub(super) struct ListQuery {
    names: Option<String>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    account: Account,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<axum::Json<Vec<BlobInfo>>, Error> {
    let Query(query) = query.map_err(|_| {
        Error::bad_request("invalid_request", "List blobs with ?names=a,b or no query.")
    })?;
    let wanted = |name: &str| {
        query
            .names
            .as_deref()
            .is_none_or(|names| names.split(',').any(|n| n == name))
    };
    let blobs = state.store.list_blobs(account.id).await?;
    let blobs = blobs
        .into_iter()
        .filter(|b| wanted(&b.name))
        .map(|b| {
            Ok(BlobInfo {
                name: b.name,
                tag: stored(b.tag)?,
                size: b.size.max(0) as u64,
                updated: b.updated_ms.max(0) as u64,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(axum::Json(blobs))
}

/// `GET /api/v1/blobs/{name}`: the bytes, with `ETag`. Another account's
/// blob is a 404, exactly like a missing one.
pub(super) async fn get(
    State(state): State<AppState>,
    account: Account,
    Path(name): Path<String>,
) -> Result<Response, Error> {
    check_name(&name)?;
    let blob = state
        .store
        .get_blob(account.id, &name)
        .await?
        .ok_or_else(Error::not_found)?;
    Ok((
        [
            (header::ETAG, etag(&stored(blob.tag)?)),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
        ],
        blob.data,
    )
        .into_response())
}

/// `PUT /api/v1/blobs/{name}` with `If-Match: "<tag>"` (replace) or
/// `If-None-Match: *` (create).
pub(super) async fn put(
    State(state): State<AppState>,
    account: Account,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    check_name(&name)?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(state.settings.max_blob_bytes)
        } else {
            Error::bad_request("invalid_request", "The request body could not be read.")
        }
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/octet-stream") {
        return Err(Error::api(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send blob bytes with Content-Type: application/octet-stream.",
        ));
    }
    let expected = expected(&headers)?;
    let precondition = expected.precondition();
    let tag = Tag::new(auth::hex(&auth::random_bytes::<16>())).expect("hex digits are a tag");
    let now = now_ms();
    let quota = state.settings.account_quota_bytes as i64;
    match state
        .store
        .put_blob(BlobWrite {
            account: account.id,
            name: &name,
            precondition,
            data: &body,
            new_tag: tag.as_str(),
            now_ms: now,
            quota,
        })
        .await?
    {
        PutOutcome::Stored => {
            state.events.written(Change {
                account: account.id,
                name: name.clone(),
                tag: Some(tag.to_string()),
            });
            let status = match precondition {
                Precondition::Create => StatusCode::CREATED,
                Precondition::Match(_) => StatusCode::OK,
            };
            let info = BlobInfo {
                name,
                tag: tag.clone(),
                size: body.len() as u64,
                updated: now.max(0) as u64,
            };
            Ok((status, [(header::ETAG, etag(&tag))], axum::Json(info)).into_response())
        }
        PutOutcome::Conflict { current } => Err(Error::PreconditionFailed { current }),
        PutOutcome::OverQuota => Err(Error::api(
            StatusCode::PAYLOAD_TOO_LARGE,
            "quota_exceeded",
            format!(
                "This account's data would exceed its {} KiB quota.",
                state.settings.account_quota_bytes / 1024
            ),
        )),
    }
}

/// `DELETE /api/v1/blobs/{name}` with `If-Match`.
pub(super) async fn delete(
    State(state): State<AppState>,
    account: Account,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    check_name(&name)?;
    let Expected::Match(tag) = expected(&headers)? else {
        return Err(Error::bad_request(
            "invalid_precondition",
            "Delete with If-Match and the blob's current ETag.",
        ));
    };
    match state
        .store
        .delete_blob(account.id, &name, tag.as_str())
        .await?
    {
        DeleteOutcome::Deleted => {
            state
                .events
                .announce(Change {
                    account: account.id,
                    name,
                    tag: None,
                })
                .await;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        DeleteOutcome::Conflict { current: None } => Err(Error::not_found()),
        DeleteOutcome::Conflict { current } => Err(Error::PreconditionFailed { current }),
    }
}

/// Names are `[a-z0-9._-]{1,64}`.
fn check_name(name: &str) -> Result<(), Error> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::bad_request(
            "invalid_blob_name",
            "A blob name is 1 to 64 lower-case letters, digits, dots, dashes or underscores.",
        ))
    }
}

/// What a write says it expects.
enum Expected {
    Create,
    Match(Tag),
}

impl Expected {
    fn precondition(&self) -> Precondition<'_> {
        match self {
            Self::Create => Precondition::Create,
            Self::Match(tag) => Precondition::Match(tag.as_str()),
        }
    }
}

/// Reads `If-Match: "<tag>"` or `If-None-Match: *`; neither is a 412 (a
/// write that does not say what it expects could overwrite someone else's).
fn expected(headers: &HeaderMap) -> Result<Expected, Error> {
    if let Some(value) = headers.get(header::IF_NONE_MATCH) {
        return if value.as_bytes() == b"*" {
            Ok(Expected::Create)
        } else {
            Err(Error::bad_request(
                "invalid_precondition",
                "If-None-Match only takes * (create when missing).",
            ))
        };
    }
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(Error::PreconditionFailed { current: None });
    };
    value
        .to_str()
        .ok()
        .and_then(|v| Tag::from_header(v).ok())
        .map(Expected::Match)
        .ok_or_else(|| Error::bad_request("invalid_precondition", "If-Match must hold an ETag."))
}

/// A tag as the store holds it: one the server made.
fn stored(tag: String) -> Result<Tag, Error> {
    Tag::new(tag).map_err(|_| Error::Store(StoreError::Damaged("blob tag")))
}

fn etag(tag: &Tag) -> HeaderValue {
    HeaderValue::try_from(tag.quoted()).expect("a tag is letters and digits")
}

fn too_large(limit: usize) -> Error {
    Error::api(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("A blob can be at most {} KiB.", limit / 1024),
    )
}
