//! Wire types of the server's JSON API (`/api/v1`), used by both the app and
//! the server so the two can't drift apart.

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// `GET /api/v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// Every error the API returns: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable (`not_found`, `precondition_failed`, ...).
    pub code: String,
    /// For people: what happened and what to do next.
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

/// `POST /api/v1/accounts` and `POST /api/v1/session`. The password is
/// zeroized on drop and never printed.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

/// `GET /api/v1/session`, and the answer to creating an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmI {
    pub username: String,
}

/// One blob as `GET /api/v1/blobs` lists it, and as a write answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobInfo {
    pub name: String,
    /// The blob's current entity tag (also sent as `ETag`, in quotes).
    pub tag: String,
    pub size: u64,
    /// Milliseconds since the Unix epoch.
    pub updated: i64,
}

/// `POST /api/v1/host-keys/scan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    pub host: String,
    #[serde(default = "default_ssh_port")]
    pub port: u16,
    #[serde(default = "default_scan_timeout")]
    pub timeout_secs: u64,
}

fn default_ssh_port() -> u16 {
    22
}

fn default_scan_timeout() -> u64 {
    10
}

/// One host key an SSH server offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKey {
    /// The key's algorithm as OpenSSH names it (`ssh-ed25519`, `ssh-rsa`, ...).
    pub algorithm: String,
    /// The OpenSSH public key line, without host or comment.
    pub public_key: String,
    /// `SHA256:` and the unpadded base64 digest, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
}

/// The answer to a scan: every key, in a stable order (RSA, ECDSA by curve
/// size, Ed25519, as TrueNAS lists them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanResult {
    pub keys: Vec<HostKey>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_the_documented_shape() {
        let json = serde_json::to_value(ErrorBody::new("not_found", "No such blob.")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "not_found", "message": "No such blob."}})
        );
    }

    #[test]
    fn credentials_never_print_the_password() {
        let credentials: Credentials =
            serde_json::from_str(r#"{"username":"ana","password":"hunter2hunter2"}"#).unwrap();
        let debug = format!("{credentials:?}");
        assert!(
            debug.contains("ana") && !debug.contains("hunter2"),
            "{debug}"
        );
    }

    #[test]
    fn scan_requests_default_to_port_22_and_ten_seconds() {
        let request: ScanRequest = serde_json::from_str(r#"{"host":"nas2.lan"}"#).unwrap();
        assert_eq!((request.port, request.timeout_secs), (22, 10));
        assert!(serde_json::from_str::<ScanRequest>(r#"{"host":"h","port":70000}"#).is_err());
    }
}

/// Blob versions on the wire: the server's tags are ASCII letters and
/// digits, bare everywhere but in `ETag`, `If-Match` and `If-None-Match`,
/// where HTTP quotes them. Both sides quote and unquote here only.
pub mod etag {
    /// The longest tag either side accepts.
    pub const MAX_LEN: usize = 128;

    /// The tag in a header value: `"abc"`, `W/"abc"` or bare `abc`; `None`
    /// unless it is 1 to [`MAX_LEN`] ASCII letters and digits.
    pub fn parse(value: &str) -> Option<&str> {
        let tag = value.trim().trim_start_matches("W/").trim_matches('"');
        (!tag.is_empty() && tag.len() <= MAX_LEN && tag.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then_some(tag)
    }

    /// The header value for a tag: `"abc"`.
    pub fn quote(tag: &str) -> String {
        format!("\"{tag}\"")
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn tags_are_quoted_and_read_back() {
            assert_eq!(quote("3fa9"), "\"3fa9\"");
            assert_eq!(parse(&quote("3fa9")), Some("3fa9"));
            assert_eq!(parse("W/\"3fa9\""), Some("3fa9"));
            assert_eq!(parse(" 3fa9 "), Some("3fa9"));
            for junk in ["", "\"\"", "\"a b\"", "\"a,b\"", &"a".repeat(MAX_LEN + 1)] {
                assert_eq!(parse(junk), None, "{junk:?}");
            }
            assert_eq!(parse(&"a".repeat(MAX_LEN)).map(str::len), Some(MAX_LEN));
        }
    }
}
