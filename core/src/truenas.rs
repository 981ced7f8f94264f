//! What a TrueNAS system's answers mean: JSON-RPC 2.0 replies and errors,
//! login outcomes, and the hints its word-only refusals deserve. The app
//! does the talking (a WebSocket from the browser); this decides.

use serde_json::Value;

pub mod calls;
pub mod keychain;
pub mod pairing;
pub mod version;

/// A JSON-RPC error from a TrueNAS system, as its middleware sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpcError {
    /// `-32602`: the arguments failed validation, field by field.
    Invalid(Vec<FieldError>),
    /// `-32001`: the call failed; `reason` says why in words.
    Call {
        /// TrueNAS's error name (`EINVAL`, `ENOENT`, …), when it sends one.
        errname: Option<String>,
        /// What went wrong, in TrueNAS's words.
        reason: String,
    },
    /// Anything else (method missing, bad request, not authenticated…).
    /// Any other error: its code and message.
    Other {
        /// The JSON-RPC error code.
        code: i64,
        /// Its message.
        message: String,
    },
}

/// One entry of `-32602`'s `data.extra`: `[attribute, message, errno]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted, prefixed by the call's schema (`keychain_credential_create.name`).
    pub attribute: String,
    /// What TrueNAS says about the field.
    pub message: String,
}

impl FieldError {
    /// The attribute without the argument's name and without the union
    /// members Pydantic names in the path (`KeychainCredentialCreateSSHCredentialsEntry`,
    /// a tag such as `PASSWORD_PLAIN`): `name`, `attributes.host`.
    pub fn field(&self) -> &str {
        let mut rest = self
            .attribute
            .split_once('.')
            .map_or(self.attribute.as_str(), |(_, field)| field);
        while let Some((first, after)) = rest.split_once('.')
            && first.starts_with(|c: char| c.is_ascii_uppercase())
        {
            rest = after;
        }
        rest
    }
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(fields) if fields.is_empty() => f.write_str("invalid arguments"),
            Self::Invalid(fields) => {
                let mut first = true;
                for error in fields {
                    if !first {
                        f.write_str("; ")?;
                    }
                    first = false;
                    match error.field() {
                        "" => f.write_str(&error.message)?,
                        field => write!(f, "{field}: {}", error.message)?,
                    }
                }
                Ok(())
            }
            Self::Call { reason, .. } => f.write_str(reason),
            Self::Other { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for RpcError {}

impl RpcError {
    /// Reads a reply's `error` object. Unknown shapes still give a message.
    pub fn from_error(error: &Value) -> Self {
        let code = error["code"].as_i64().unwrap_or(0);
        let data = &error["data"];
        let reason = data["reason"]
            .as_str()
            .or(error["message"].as_str())
            .unwrap_or("the system refused the request")
            .to_owned();
        match code {
            -32602 => Self::Invalid(
                data["extra"]
                    .as_array()
                    .map(|extra| {
                        Self::closest_member(extra.iter().filter_map(field_error).collect())
                    })
                    .filter(|fields: &Vec<FieldError>| !fields.is_empty())
                    .unwrap_or_else(|| {
                        vec![FieldError {
                            attribute: String::new(),
                            message: reason,
                        }]
                    }),
            ),
            -32001 => Self::Call {
                errname: data["errname"].as_str().map(str::to_owned),
                reason,
            },
            _ => Self::Other {
                code,
                message: reason,
            },
        }
    }

    /// The errors that matter when a union was refused: Pydantic lists each
    /// member's failures (`…SSHKeyPairEntry.…` and `…SSHCredentialsEntry.…`),
    /// and the member the call meant is the one with the fewest.
    pub fn closest_member(fields: Vec<FieldError>) -> Vec<FieldError> {
        let member = |e: &FieldError| -> Option<String> {
            e.attribute
                .split('.')
                .skip(1)
                .find(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
                .map(str::to_owned)
        };
        let mut counts: Vec<(String, usize)> = Vec::new();
        for name in fields.iter().filter_map(member) {
            match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => counts.push((name, 1)),
            }
        }
        let Some((best, _)) = counts.iter().min_by_key(|(_, count)| *count).cloned() else {
            return fields;
        };
        fields
            .into_iter()
            .filter(|e| member(e).is_none_or(|m| m == best))
            .collect()
    }

    /// A message for one field (`name`, `attributes.host`…), when the
    /// system named it.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        match self {
            Self::Invalid(fields) => fields
                .iter()
                .find(|e| e.field() == field)
                .map(|e| e.message.as_str()),
            _ => None,
        }
    }
}

fn field_error(entry: &Value) -> Option<FieldError> {
    let entry = entry.as_array()?;
    Some(FieldError {
        attribute: entry.first()?.as_str()?.to_owned(),
        message: entry.get(1)?.as_str()?.to_owned(),
    })
}

/// A JSON-RPC reply: its id and its outcome. `None` for what isn't a reply
/// (a notification, or text that isn't JSON-RPC).
pub fn reply(text: &str) -> Option<(u64, Result<Value, RpcError>)> {
    let reply: Value = serde_json::from_str(text).ok()?;
    let id = reply.get("id")?.as_u64()?;
    let outcome = match reply.get("error") {
        Some(error) => Err(RpcError::from_error(error)),
        None => Ok(reply.get("result").cloned().unwrap_or(Value::Null)),
    };
    Some((id, outcome))
}

/// What a login attempt came to (`auth.login_ex`'s `response_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// Logged in.
    Success,
    /// The system wants a one-time password next.
    OtpRequired,
    /// `AUTH_ERR`, `EXPIRED`, `DENIED`, `REDIRECT` or anything unknown: no
    /// session either way.
    Rejected,
}

/// What `auth.login_ex` (or its continuation) answered.
pub fn login_outcome(result: &Value) -> Login {
    match result["response_type"].as_str() {
        Some("SUCCESS") => Login::Success,
        Some("OTP_REQUIRED") => Login::OtpRequired,
        _ => Login::Rejected,
    }
}

/// What to do about a refusal of the semi-automatic setup's calls
/// (`ssh_pair`, `user.query`). TrueNAS says these in words only: no code
/// tells a missing user from a missing home directory.
pub fn refusal_hint(reason: &str) -> Option<&'static str> {
    if reason.starts_with("User ") && reason.contains("does not exist") {
        Some("Check Username: the user must exist on that system.")
    } else if reason.starts_with("Home directory") {
        Some("Give the user a home directory on that system, then Save again.")
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
