//! The Keyhaven server's API (`/api/v1`), from the browser. The session
//! cookie rides along (same origin); secrets never do: blobs are sent
//! already encrypted, or hold no secret.

use gloo_net::http::{Request, Response};
use keyhaven_core::api::{BlobInfo, Credentials, ErrorBody, Tag, WhoAmI};

/// A failed call. Its `Display` is the message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401: not signed in (or the session ended).
    Unauthenticated,
    /// 412: someone else wrote first; `current` is the tag there now.
    Conflict { current: Option<Tag> },
    /// The network or the server is unreachable.
    Offline,
    /// The server refused or failed: its status, its error code and its
    /// message for people.
    Server {
        status: u16,
        code: String,
        message: String,
    },
    /// The server answered, but not in a form this app reads (a proxy's
    /// error page, or a server of another version).
    BadAnswer { status: u16 },
    /// The request could not be put together (a body that doesn't
    /// serialize); nothing was sent.
    Unsendable(String),
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// 404: what was asked for is not there.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::Server { status: 404, .. } | Self::BadAnswer { status: 404 }
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unauthenticated => f.write_str("Your session ended. Sign in again."),
            Self::Conflict { .. } => f.write_str("Someone else changed this at the same time."),
            Self::Offline => {
                f.write_str("The Keyhaven server can't be reached. Check your connection.")
            }
            Self::Server { message, .. } => f.write_str(message),
            Self::Unsendable(detail) => write!(f, "This request could not be prepared: {detail}."),
            Self::BadAnswer { status } => write!(
                f,
                "The Keyhaven server answered in a way this app can't read (HTTP {status}). \
                 Reload the page; if it keeps happening, something between you and the server \
                 (a proxy) or a server of another version is answering."
            ),
        }
    }
}

async fn error_of(response: Response) -> ApiError {
    let status = response.status();
    if status == 412 {
        return ApiError::Conflict {
            current: etag(&response),
        };
    }
    let body = response.json::<ErrorBody>().await.ok();
    match body {
        // A wrong password is a 401 too; only a missing session means
        // "sign in again".
        Some(body) if status == 401 && body.error.code == "unauthenticated" => {
            ApiError::Unauthenticated
        }
        Some(body) => ApiError::Server {
            status,
            code: body.error.code,
            message: body.error.message,
        },
        None => ApiError::BadAnswer { status },
    }
}

fn etag(response: &Response) -> Option<Tag> {
    response
        .headers()
        .get("etag")
        .and_then(|t| Tag::from_header(&t).ok())
}

/// A blob answer's tag: without one, the answer can't be relied on.
fn required_etag(response: &Response) -> Result<Tag, ApiError> {
    etag(response).ok_or(ApiError::BadAnswer {
        status: response.status(),
    })
}

async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, ApiError> {
    let request = request.map_err(|e| ApiError::Unsendable(e.to_string()))?;
    let response = request.send().await.map_err(|_| ApiError::Offline)?;
    if (200..300).contains(&response.status()) {
        Ok(response)
    } else {
        Err(error_of(response).await)
    }
}

/// A successful answer's JSON body.
async fn read_json<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    response
        .json()
        .await
        .map_err(|_| ApiError::BadAnswer { status })
}

/// Who is signed in, or `None`.
pub async fn whoami() -> Result<Option<String>, ApiError> {
    match send(Request::get("/api/v1/session").build()).await {
        Ok(response) => read_json::<WhoAmI>(response)
            .await
            .map(|w| Some(w.username)),
        Err(ApiError::Unauthenticated) => Ok(None),
        Err(other) => Err(other),
    }
}

pub async fn sign_in(credentials: &Credentials) -> Result<(), ApiError> {
    send(Request::post("/api/v1/session").json(credentials))
        .await
        .map(drop)
}

pub async fn create_account(credentials: &Credentials) -> Result<(), ApiError> {
    send(Request::post("/api/v1/accounts").json(credentials))
        .await
        .map(drop)
}

pub async fn sign_out() -> Result<(), ApiError> {
    send(Request::delete("/api/v1/session").build())
        .await
        .map(drop)
}

/// The keyring's and the metadata's top blob: names, tags, sizes (not
/// their bytes; not the metadata's parts, a line each).
pub async fn list_blobs() -> Result<Vec<BlobInfo>, ApiError> {
    read_json(send(Request::get("/api/v1/blobs?names=keyring,metadata").build()).await?).await
}

/// A blob and its tag, or `None` when the account has none by that name.
pub async fn get_blob(name: &str) -> Result<Option<(Vec<u8>, Tag)>, ApiError> {
    match send(Request::get(&format!("/api/v1/blobs/{name}")).build()).await {
        Ok(response) => {
            let tag = required_etag(&response)?;
            let bytes = response.binary().await.map_err(|_| ApiError::Offline)?;
            Ok(Some((bytes, tag)))
        }
        Err(error) if error.is_not_found() => Ok(None),
        Err(other) => Err(other),
    }
}

/// Writes a blob over the version `expected` names (`None`: create it);
/// returns the new tag. A stale `expected` is [`ApiError::Conflict`].
pub async fn put_blob(name: &str, bytes: &[u8], expected: Option<&Tag>) -> Result<Tag, ApiError> {
    let request = Request::put(&format!("/api/v1/blobs/{name}"))
        .header("content-type", "application/octet-stream");
    let request = match expected {
        Some(tag) => request.header("if-match", &tag.quoted()),
        None => request.header("if-none-match", "*"),
    };
    let body = js_sys::Uint8Array::from(bytes);
    let response = send(request.body(body)).await?;
    required_etag(&response)
}

/// Deletes a blob if it is still at version `tag`.
pub async fn delete_blob(name: &str, tag: &Tag) -> Result<(), ApiError> {
    send(
        Request::delete(&format!("/api/v1/blobs/{name}"))
            .header("if-match", &tag.quoted())
            .build(),
    )
    .await
    .map(drop)
}

/// Every host key the SSH server at `host:port` offers, asked of the
/// Keyhaven server (a browser can't speak SSH).
pub async fn scan_host_keys(
    host: &str,
    port: u16,
    timeout_secs: u64,
) -> Result<keyhaven_core::api::ScanResult, ApiError> {
    let request = keyhaven_core::api::ScanRequest {
        host: host.to_owned(),
        port,
        timeout_secs,
    };
    read_json(send(Request::post("/api/v1/host-keys/scan").json(&request)).await?).await
}
