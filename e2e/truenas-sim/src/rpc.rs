//! JSON-RPC 2.0 as TrueNAS speaks it over `/api/current`: requests with
//! `params` as an array; results; errors with TrueNAS's codes and shapes.

use std::io::Write;

use serde_json::{Value, json};

use crate::{
    keychain, semiautomatic,
    state::{ReplicationTask, Sim},
    totp,
};

/// Per-connection state: who is logged in, or who owes a one-time password.
#[derive(Default)]
pub struct Session {
    pub user: Option<String>,
    pending_otp: Option<String>,
}

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const CALL_ERROR: i64 = -32001;

fn error(code: i64, message: &str, data: Value) -> Value {
    json!({"code": code, "message": message, "data": data})
}

/// `-32001 Method call error` with TrueNAS's errno fields.
pub(crate) fn call_error(errno: i64, errname: &str, reason: &str) -> Value {
    error(
        CALL_ERROR,
        "Method call error",
        json!({"error": errno, "errname": errname, "reason": reason, "trace": null, "extra": null}),
    )
}

/// `-32602 Invalid params` with a validation error on one attribute.
pub(crate) fn validation(attribute: &str, message: &str) -> Value {
    error(
        INVALID_PARAMS,
        "Invalid params",
        json!({"error": 22, "errname": "EINVAL", "reason": format!("[EINVAL] {attribute}: {message}"),
               "trace": null, "extra": [[attribute, message, 22]]}),
    )
}

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
    let outcome = call(sim, session, method, &params, now_secs).await;
    // A request without an id is a notification: no answer.
    id.as_ref()?;
    reply(outcome)
}

async fn call(
    sim: &Sim,
    session: &mut Session,
    method: &str,
    params: &[Value],
    now: u64,
) -> Result<Value, Value> {
    match method {
        "auth.login_ex" => login(sim, session, params.first().unwrap_or(&Value::Null)),
        "auth.login_ex_continue" => {
            login_continue(sim, session, params.first().unwrap_or(&Value::Null), now)
        }
        "system.info"
        | "api_key.create"
        | "api_key.delete"
        | "api_key.query"
        | "keychaincredential.ssh_pair"
        | "user.query"
        | "user.update"
        | "keychaincredential.query"
        | "keychaincredential.create"
        | "keychaincredential.update"
        | "keychaincredential.delete"
        | "keychaincredential.used_by"
        | "keychaincredential.remote_ssh_host_key_scan"
        | "replication.create"
        | "replication.query" => {
            let Some(user) = session.user.clone() else {
                return Err(call_error(13, "EACCES", "Not authenticated"));
            };
            authenticated(sim, &user, method, params)
        }
        // The one call that waits on another system.
        "keychaincredential.remote_ssh_semiautomatic_setup" => {
            if session.user.is_none() {
                return Err(call_error(13, "EACCES", "Not authenticated"));
            }
            semiautomatic::setup(sim, params.first().unwrap_or(&Value::Null)).await
        }
        _ => Err(error(METHOD_NOT_FOUND, "Method not found", Value::Null)),
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
        _ => Err(validation("login_ex.mechanism", "Invalid choice")),
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
    if data.get("mechanism").and_then(Value::as_str) == Some("OTP_TOKEN")
        && totp::verify(&secret, token, now)
    {
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

fn authenticated(sim: &Sim, caller: &str, method: &str, params: &[Value]) -> Result<Value, Value> {
    let first = params.first().cloned().unwrap_or(Value::Null);
    match method {
        "system.info" => Ok(json!({"hostname": sim.hostname, "version": "TrueNAS-25.04.2",
                                   "uptime_seconds": 1234.5, "system_product": "Keyhaven test system"})),
        "api_key.create" => {
            let name = first.get("name").and_then(Value::as_str).unwrap_or_default();
            if name.is_empty() {
                return Err(validation("api_key_create.name", "Field required"));
            }
            let username = first.get("username").and_then(Value::as_str).unwrap_or(caller);
            if sim.user(username).is_none() {
                return Err(validation("api_key_create.username", "User does not exist"));
            }
            let (key, secret) = sim.create_key(name, username);
            Ok(json!({"id": key.id, "name": key.name, "username": key.username, "key": secret,
                      "keyhash": "$pbkdf2-sha256$…", "revoked": false, "local": true}))
        }
        "api_key.delete" => {
            let id = first.as_u64().ok_or_else(|| validation("api_key_delete.id", "Not an integer"))?;
            let mut keys = sim.keys();
            let before = keys.len();
            keys.retain(|k| k.id != id);
            if keys.len() == before {
                return Err(call_error(2, "ENOENT", &format!("API Key {id} does not exist")));
            }
            Ok(json!(true))
        }
        "api_key.query" => Ok(Value::Array(
            sim.keys()
                .iter()
                .map(|k| json!({"id": k.id, "name": k.name, "username": k.username, "revoked": false}))
                .collect(),
        )),
        "keychaincredential.ssh_pair" => ssh_pair(sim, &first),
        "keychaincredential.query" => Ok(keychain::query(sim, &first)),
        "keychaincredential.create" => keychain::create(sim, &first),
        "keychaincredential.update" => keychain::update(
            sim,
            id_param(&first, "keychain_credentials_update.id")?,
            params.get(1).unwrap_or(&Value::Null),
        ),
        "keychaincredential.delete" => keychain::delete(
            sim,
            id_param(&first, "keychain_credential_delete.id")?,
            params.get(1).unwrap_or(&Value::Null),
        ),
        "keychaincredential.used_by" => {
            keychain::used_by(sim, id_param(&first, "keychain_credential_used_by.id")?)
        }
        "keychaincredential.remote_ssh_host_key_scan" => keychain::host_key_scan(&first),
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
            sim.replication_tasks().iter().map(replication_json).collect(),
        )),
        "user.query" => {
            let wanted = username_filter(&first);
            Ok(Value::Array(
                sim.users()
                    .iter()
                    .filter(|u| wanted.as_deref().is_none_or(|w| w == u.username))
                    .map(|u| json!({"id": u.id, "username": u.username, "shell": u.shell, "home": u.home,
                                    "sudo_commands_nopasswd": u.sudo_commands_nopasswd}))
                    .collect(),
            ))
        }
        "user.update" => {
            let id = first.as_u64().ok_or_else(|| validation("user_update.id", "Not an integer"))?;
            let changes = params.get(1).cloned().unwrap_or(Value::Null);
            let mut users = sim.users();
            let user = users
                .iter_mut()
                .find(|u| u.id == id)
                .ok_or_else(|| call_error(2, "ENOENT", &format!("User {id} does not exist")))?;
            if let Some(shell) = changes.get("shell").and_then(Value::as_str) {
                user.shell = shell.to_owned();
            }
            if let Some(commands) = changes.get("sudo_commands_nopasswd").and_then(Value::as_array) {
                user.sudo_commands_nopasswd = commands.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect();
            }
            Ok(json!({"id": user.id, "username": user.username, "shell": user.shell,
                      "sudo_commands_nopasswd": user.sudo_commands_nopasswd}))
        }
        _ => Err(error(METHOD_NOT_FOUND, "Method not found", Value::Null)),
    }
}

fn id_param(value: &Value, attribute: &str) -> Result<u64, Value> {
    value
        .as_u64()
        .ok_or_else(|| validation(attribute, "Input should be a valid integer"))
}

fn replication_json(task: &ReplicationTask) -> Value {
    json!({"id": task.id, "name": task.name, "enabled": task.enabled,
           "ssh_credentials": task.credential.map(|id| json!({"id": id}))})
}

/// `[["username", "=", "x"]]` → `x`.
fn username_filter(filters: &Value) -> Option<String> {
    filters.as_array()?.iter().find_map(|f| {
        let f = f.as_array()?;
        (f.first()?.as_str()? == "username" && f.get(1)?.as_str()? == "=")
            .then(|| f.get(2)?.as_str().map(str::to_owned))?
    })
}

fn ssh_pair(sim: &Sim, data: &Value) -> Result<Value, Value> {
    let username = data
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let public_key = data
        .get("public_key")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim();
    let user = sim
        .user(username)
        .ok_or_else(|| call_error(2, "ENOENT", &format!("User {username} does not exist")))?;
    if !user.home_exists {
        return Err(call_error(
            2,
            "ENOENT",
            &format!("Home directory {} does not exist", user.home),
        ));
    }
    if public_key.is_empty() || public_key.contains('\n') {
        return Err(validation(
            "keychain_remote_ssh_pair.public_key",
            "Invalid public key",
        ));
    }
    if let Some(path) = &sim.authorized_keys {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| call_error(5, "EIO", &e.to_string()))?;
        writeln!(file, "{public_key}").map_err(|e| call_error(5, "EIO", &e.to_string()))?;
    }
    let host_key: String = sim
        .host_keys
        .iter()
        .map(|k| format!("any-host {k}\n"))
        .collect();
    Ok(json!({"port": sim.ssh_port, "host_key": host_key}))
}
