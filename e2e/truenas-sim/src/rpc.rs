//! JSON-RPC 2.0 as TrueNAS speaks it: requests with `params` as an array,
//! each checked against the endpoint's version of TrueNAS's own schemas
//! before anything runs (`-32602` with the middleware's attribute paths);
//! private methods refused on versioned endpoints; results and errors in
//! TrueNAS's shapes.

use serde_json::{Value, json};
use truenas_api::{Refusal, Version};

use crate::{
    errors::{
        INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, call_error, error, invalid, no_such_method,
        validation,
    },
    keychain, semiautomatic, ssh,
    state::{ReplicationTask, Sim},
    totp, users,
};

/// Which API a connection speaks: `/api/current` (the system's own
/// version) or a pinned `/api/vX.Y.Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Current,
    Versioned(Version),
}

/// Per-connection state: the endpoint, who is logged in, or who owes a
/// one-time password.
pub struct Session {
    endpoint: Endpoint,
    pub user: Option<String>,
    pending_otp: Option<String>,
}

impl Session {
    pub fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            user: None,
            pending_otp: None,
        }
    }
}

/// Methods the tests call to set a system up (replication tasks for
/// `used_by` and cascades). Keyhaven never calls them, so no schema of
/// theirs is kept and they are not checked.
const SETUP_ONLY: &[&str] = &["replication.create", "replication.query"];

/// Handles one text frame; returns the reply (None for notifications).
pub async fn handle(sim: &Sim, session: &mut Session, text: &str, now_secs: u64) -> Option<Value> {
    let Ok(request) = serde_json::from_str::<Value>(text) else {
        return Some(
            json!({"jsonrpc": "2.0", "id": null, "error": error(PARSE_ERROR, "Parse error", Value::Null)}),
        );
    };
    let id = request.get("id").cloned();
    let reply = |outcome: Result<Value, Value>| {
        let id = id.clone().unwrap_or(Value::Null);
        Some(match outcome {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
        })
    };
    let (Some("2.0"), Some(method)) = (
        request.get("jsonrpc").and_then(Value::as_str),
        request.get("method").and_then(Value::as_str),
    ) else {
        return reply(Err(error(INVALID_REQUEST, "Invalid Request", Value::Null)));
    };
    let params = match request.get("params") {
        None => Vec::new(),
        Some(Value::Array(params)) => params.clone(),
        Some(_) => return reply(Err(error(INVALID_PARAMS, "Invalid params", Value::Null))),
    };
    let outcome = match check(sim, session.endpoint, method, &params) {
        Ok(()) => call(sim, session, method, &params, now_secs).await,
        Err(refusal) => Err(refusal),
    };
    // A request without an id is a notification: no answer.
    id.as_ref()?;
    reply(outcome)
}

/// What the middleware does before a method runs: does it exist here, is
/// it private, do its arguments fit its model.
fn check(sim: &Sim, endpoint: Endpoint, method: &str, params: &[Value]) -> Result<(), Value> {
    if SETUP_ONLY.contains(&method) {
        return Ok(());
    }
    let version = match endpoint {
        Endpoint::Current => sim.version,
        Endpoint::Versioned(version) => version,
    };
    if truenas_api::is_private(version, method) {
        match endpoint {
            Endpoint::Versioned(_) => return Err(no_such_method(method)),
            Endpoint::Current => eprintln!(
                "truenas-sim: WARNING: Private method {method:?} called on a connection without private_methods enabled"
            ),
        }
    }
    match truenas_api::validate(version, method, params) {
        Ok(()) => Ok(()),
        Err(Refusal::UnknownMethod) => Err(no_such_method(method)),
        Err(Refusal::Invalid(violations)) => Err(invalid(
            &violations
                .into_iter()
                .map(|v| (v.attribute, v.message))
                .collect::<Vec<_>>(),
        )),
    }
}

async fn call(
    sim: &Sim,
    session: &mut Session,
    method: &str,
    params: &[Value],
    now: u64,
) -> Result<Value, Value> {
    let first = params.first().cloned().unwrap_or(Value::Null);
    match method {
        "auth.login_ex" => return login(sim, session, &first),
        "auth.login_ex_continue" => return login_continue(sim, session, &first, now),
        _ => {}
    }
    let Some(caller) = session.user.clone() else {
        return Err(call_error(13, "EACCES", "Not authenticated"));
    };
    match method {
        // The calls that wait on another system or a process.
        "keychaincredential.remote_ssh_semiautomatic_setup" => {
            semiautomatic::setup(sim, &first).await
        }
        "keychaincredential.remote_ssh_host_key_scan" => keychain::host_key_scan(&first).await,
        "replication.list_datasets" => ssh::list_datasets(sim, params).await,
        _ => authenticated(sim, &caller, method, params),
    }
}

fn login(sim: &Sim, session: &mut Session, data: &Value) -> Result<Value, Value> {
    let field = |name: &str| data.get(name).and_then(Value::as_str).unwrap_or_default();
    let username = field("username");
    session.user = None;
    session.pending_otp = None;
    match field("mechanism") {
        "PASSWORD_PLAIN" => {
            let Some(user) = sim
                .user(username)
                .filter(|u| u.password == field("password"))
            else {
                return Ok(json!({"response_type": "AUTH_ERR"}));
            };
            if user.totp.is_some() {
                session.pending_otp = Some(user.username);
                return Ok(json!({"response_type": "OTP_REQUIRED", "username": username}));
            }
            session.user = Some(user.username.clone());
            Ok(success(&user.username))
        }
        "API_KEY_PLAIN" => {
            if sim.check_key(username, field("api_key")) {
                session.user = Some(username.to_owned());
                Ok(success(username))
            } else {
                Ok(json!({"response_type": "AUTH_ERR"}))
            }
        }
        _ => Err(validation("login_data.mechanism", "Not simulated")),
    }
}

fn login_continue(
    sim: &Sim,
    session: &mut Session,
    data: &Value,
    now: u64,
) -> Result<Value, Value> {
    let Some(username) = session.pending_otp.take() else {
        return Err(call_error(22, "EINVAL", "No authentication in progress"));
    };
    let token = data
        .get("otp_token")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let secret = sim.user(&username).and_then(|u| u.totp).unwrap_or_default();
    if totp::verify(&secret, token, now) {
        session.user = Some(username.clone());
        Ok(success(&username))
    } else {
        Ok(json!({"response_type": "AUTH_ERR"}))
    }
}

fn success(username: &str) -> Value {
    json!({"response_type": "SUCCESS", "authenticator": "LEVEL_1",
           "user_info": {"pw_name": username, "privilege": {"roles": {"$set": ["FULL_ADMIN"]}}}})
}

/// What `system.info`'s `version` says for each release.
fn version_string(version: Version) -> &'static str {
    match version {
        Version::V25_04_2 => "25.04.2",
        Version::V25_10_2 => "25.10.2",
        Version::V26_0_0 => "26.0.0-BETA.3",
    }
}

fn authenticated(sim: &Sim, caller: &str, method: &str, params: &[Value]) -> Result<Value, Value> {
    let first = params.first().cloned().unwrap_or(Value::Null);
    // Ids are integers once the schema has passed them.
    let id = first.as_u64().unwrap_or_default();
    let second = params.get(1).cloned().unwrap_or(Value::Null);
    match method {
        "system.info" => Ok(
            json!({"hostname": sim.hostname, "version": version_string(sim.version),
                   "uptime_seconds": 1234.5, "system_product": "Keyhaven test system"}),
        ),
        "api_key.create" => {
            let username = first["username"].as_str().unwrap_or(caller);
            if sim.user(username).is_none() {
                return Err(validation("api_key_create.username", "User does not exist"));
            }
            let name = first["name"].as_str().unwrap_or_default();
            let (key, secret) = sim.create_key(name, username);
            Ok(
                json!({"id": key.id, "name": key.name, "username": key.username, "key": secret,
                      "keyhash": "$pbkdf2-sha256$…", "revoked": false, "local": true,
                      "expires_at": null}),
            )
        }
        "api_key.delete" => {
            let mut keys = sim.keys();
            let before = keys.len();
            keys.retain(|k| k.id != id);
            if keys.len() == before {
                return Err(call_error(
                    2,
                    "ENOENT",
                    &format!("API Key {id} does not exist"),
                ));
            }
            Ok(json!(true))
        }
        "api_key.query" => Ok(Value::Array(
            sim.keys().iter().map(|k| api_key_entry(sim, k)).collect(),
        )),
        "api_key.my_keys" => Ok(Value::Array(
            sim.keys()
                .iter()
                .filter(|k| k.username == caller)
                .map(|k| api_key_entry(sim, k))
                .collect(),
        )),
        "keychaincredential.ssh_pair" => users::ssh_pair(sim, &first),
        "keychaincredential.query" => Ok(keychain::query(sim, &first)),
        "keychaincredential.create" => keychain::create(sim, &first),
        "keychaincredential.update" => keychain::update(sim, id, &second),
        "keychaincredential.delete" => keychain::delete(sim, id, &second),
        "keychaincredential.used_by" => keychain::used_by(sim, id),
        "ssh.config" => Ok(ssh::config(sim)),
        "user.query" => Ok(users::query(sim, &first)),
        "user.update" => users::update(sim, id, &second),
        // Only the fields `used_by` and cascades look at.
        "replication.create" => {
            let mut tasks = sim.replication_tasks();
            let task = ReplicationTask {
                id: tasks.iter().map(|t| t.id).max().unwrap_or(0) + 1,
                name: first["name"].as_str().unwrap_or_default().to_owned(),
                credential: first["ssh_credentials"].as_u64(),
                enabled: true,
            };
            let entry = replication_json(&task);
            tasks.push(task);
            Ok(entry)
        }
        "replication.query" => Ok(Value::Array(
            sim.replication_tasks()
                .iter()
                .map(replication_json)
                .collect(),
        )),
        _ => Err(no_such_method(method)),
    }
}

/// An API key as `api_key.query`/`my_keys` list it (never its secret).
/// `revoked_reason` came with 25.10.
fn api_key_entry(sim: &Sim, key: &crate::state::ApiKey) -> Value {
    let mut entry = json!({"id": key.id, "name": key.name, "username": key.username,
        "user_identifier": 0, "keyhash": "$pbkdf2-sha256$…", "created_at": {"$date": 0},
        "expires_at": null, "local": true, "revoked": false});
    if sim.version >= Version::V25_10_2 {
        entry["revoked_reason"] = Value::Null;
    }
    entry
}

fn replication_json(task: &ReplicationTask) -> Value {
    json!({"id": task.id, "name": task.name, "enabled": task.enabled,
           "ssh_credentials": task.credential.map(|id| json!({"id": id}))})
}
