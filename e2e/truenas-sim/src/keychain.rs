//! `keychaincredential.*` as TrueNAS 25.04–25.10 does it (middleware
//! `plugins/keychain`): SSH keypairs checked with the real `ssh-keygen`,
//! SSH connections pointing at a keypair by id, names unique among all
//! credentials, deletes refused while in use unless cascading, `used_by`
//! with its titles, a host-key scan that runs the real `ssh-keyscan`, and
//! the semi-automatic setup logging in to another system over its API.

use std::{io::Write, process::Command};

use serde_json::{Value, json};

use crate::{
    errors::{call_error, validation},
    state::{Credential, Sim},
};

pub const KEY_PAIR: &str = "SSH_KEY_PAIR";
pub const SSH_CREDENTIALS: &str = "SSH_CREDENTIALS";

/// `keychaincredential.query [filters, options]`: `=` filters on `id`,
/// `name` and `type`, as the webui and Keyhaven use them.
pub fn query(sim: &Sim, filters: &Value) -> Value {
    let wanted: Vec<(String, Value)> = filters
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let f = f.as_array()?;
            if f.get(1)?.as_str()? != "=" {
                return None;
            }
            Some((f.first()?.as_str()?.to_owned(), f.get(2)?.clone()))
        })
        .collect();
    Value::Array(
        sim.credentials()
            .iter()
            .map(Credential::to_json)
            .filter(|c| wanted.iter().all(|(field, value)| c[field] == *value))
            .collect(),
    )
}

/// `keychaincredential.create [{name, type, attributes}]`.
pub fn create(sim: &Sim, data: &Value) -> Result<Value, Value> {
    let schema = "keychain_credential_create";
    let name = data["name"].as_str().unwrap_or_default().trim().to_owned();
    let kind = data["type"].as_str().unwrap_or_default().to_owned();
    if name.is_empty() {
        return Err(validation(&format!("{schema}.name"), "Field required"));
    }
    if kind != KEY_PAIR && kind != SSH_CREDENTIALS {
        return Err(validation(&format!("{schema}.type"), "Invalid choice"));
    }
    ensure_unique(sim, schema, &name, None)?;
    let attributes = check_attributes(sim, schema, &kind, &data["attributes"])?;
    let mut credentials = sim.credentials();
    let id = credentials.iter().map(|c| c.id).max().unwrap_or(0) + 1;
    let credential = Credential {
        id,
        name,
        kind,
        attributes,
    };
    let entry = credential.to_json();
    credentials.push(credential);
    Ok(entry)
}

/// `keychaincredential.update [id, {name?, attributes?}]`: each field given
/// replaces the stored one whole, as the model's `updated()` does, so
/// `attributes` without a private key leaves a keypair with none. The type
/// can't change.
pub fn update(sim: &Sim, id: u64, data: &Value) -> Result<Value, Value> {
    let schema = "keychain_credentials_update";
    let old = find(sim, id)?;
    let name = data["name"]
        .as_str()
        .map_or(old.name.clone(), |n| n.trim().to_owned());
    ensure_unique(sim, schema, &name, Some(id))?;
    let attributes = match data.get("attributes") {
        Some(attributes) => check_attributes(sim, schema, &old.kind, attributes)?,
        None => old.attributes.clone(),
    };
    let mut credentials = sim.credentials();
    let credential = credentials
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(|| not_found(id))?;
    credential.name = name;
    credential.attributes = attributes;
    Ok(credential.to_json())
}

/// `keychaincredential.delete [id, {cascade}]`: what uses the credential
/// is deleted (connections) or disabled (replication tasks) with cascade,
/// and the delete refused without.
pub fn delete(sim: &Sim, id: u64, options: &Value) -> Result<Value, Value> {
    let credential = find(sim, id)?;
    let users = direct_users(sim, &credential);
    if !users.is_empty() && options["cascade"].as_bool() != Some(true) {
        return Err(validation(
            "options.cascade",
            "This credential is used and no cascade option is specified",
        ));
    }
    for user in users {
        match user {
            User::Connection(connection) => {
                delete(sim, connection, &json!({"cascade": true}))?;
            }
            User::Replication(task) => {
                let mut tasks = sim.replication_tasks();
                if let Some(task) = tasks.iter_mut().find(|t| t.name == task) {
                    task.enabled = false;
                    task.credential = None;
                }
            }
        }
    }
    sim.credentials().retain(|c| c.id != id);
    Ok(json!(true))
}

/// `keychaincredential.used_by [id]`: titles, following connections to
/// their replication tasks as TrueNAS does.
pub fn used_by(sim: &Sim, id: u64) -> Result<Value, Value> {
    let credential = find(sim, id)?;
    let mut out = Vec::new();
    for user in direct_users(sim, &credential) {
        match user {
            User::Connection(connection) => {
                let name = find(sim, connection)?.name;
                out.push(
                    json!({"title": format!("SSH credentials {name}"), "unbind_method": "delete"}),
                );
                if let Value::Array(more) = used_by(sim, connection)? {
                    out.extend(more);
                }
            }
            User::Replication(task) => {
                out.push(json!({"title": format!("Replication task {task}"), "unbind_method": "disable"}));
            }
        }
    }
    Ok(Value::Array(out))
}

/// `keychaincredential.remote_ssh_host_key_scan [{host, port, connect_timeout}]`:
/// `ssh-keyscan` run here, comment lines and the host token dropped.
pub async fn host_key_scan(data: &Value) -> Result<Value, Value> {
    let host = data["host"].as_str().unwrap_or_default();
    if host.is_empty() {
        return Err(validation(
            "keychain_remote_ssh_host_key_scan.host",
            "Field required",
        ));
    }
    let port = data["port"].as_u64().unwrap_or(22);
    let timeout = data["connect_timeout"].as_u64().unwrap_or(10);
    let output = tokio::process::Command::new("ssh-keyscan")
        .args(["-p", &port.to_string(), "-T", &timeout.to_string(), host])
        .output()
        .await
        .map_err(|e| call_error(5, "EIO", &format!("ssh-keyscan failed: {e}")))?;
    let keys = keyscan_lines(&String::from_utf8_lossy(&output.stdout));
    if keys.is_empty() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(if output.status.success() {
            call_error(110, "ETIMEDOUT", "SSH timeout")
        } else {
            call_error(5, "EIO", &format!("ssh-keyscan failed: {}", stderr.trim()))
        });
    }
    Ok(json!(keys))
}

/// `"host type key"` lines → `"type key"` lines joined by `\n`.
pub(crate) fn keyscan_lines(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' ').map(|(_, key)| key.trim().to_owned()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn find(sim: &Sim, id: u64) -> Result<Credential, Value> {
    sim.credentials()
        .iter()
        .find(|c| c.id == id)
        .cloned()
        .ok_or_else(|| not_found(id))
}

fn not_found(id: u64) -> Value {
    call_error(
        2,
        "ENOENT",
        &format!("Keychain Credential {id} does not exist"),
    )
}

fn ensure_unique(sim: &Sim, schema: &str, name: &str, except: Option<u64>) -> Result<(), Value> {
    if sim
        .credentials()
        .iter()
        .any(|c| c.name == name && Some(c.id) != except)
    {
        return Err(validation(
            &format!("{schema}.name"),
            "Object with this name already exists",
        ));
    }
    Ok(())
}

enum User {
    Connection(u64),
    Replication(String),
}

fn direct_users(sim: &Sim, credential: &Credential) -> Vec<User> {
    if credential.kind == KEY_PAIR {
        sim.credentials()
            .iter()
            .filter(|c| {
                c.kind == SSH_CREDENTIALS && c.attributes["private_key"] == json!(credential.id)
            })
            .map(|c| User::Connection(c.id))
            .collect()
    } else {
        sim.replication_tasks()
            .iter()
            .filter(|t| t.credential == Some(credential.id))
            .map(|t| User::Replication(t.name.clone()))
            .collect()
    }
}

/// The attributes as TrueNAS stores them, or its validation error.
fn check_attributes(
    sim: &Sim,
    schema: &str,
    kind: &str,
    attributes: &Value,
) -> Result<Value, Value> {
    let at = |field: &str| format!("{schema}.attributes.{field}");
    if kind == KEY_PAIR {
        let private = attributes["private_key"]
            .as_str()
            .unwrap_or_default()
            .trim();
        let public = attributes["public_key"].as_str().unwrap_or_default().trim();
        let public = if private.is_empty() {
            if public.is_empty() {
                return Err(validation(&at("public_key"), "You must specify a key"));
            }
            public.to_owned()
        } else {
            let derived = ssh_keygen(&["-y", "-P", ""], &format!("{private}\n"))
                .map_err(|error| validation(&at("private_key"), &error))?;
            if !public.is_empty() && normalize(public) != normalize(&derived) {
                return Err(validation(
                    &at("public_key"),
                    "Private key and public key do not match",
                ));
            }
            if public.is_empty() {
                derived.trim().to_owned()
            } else {
                public.to_owned()
            }
        };
        if ssh_keygen(&["-l"], &public).is_err() {
            return Err(validation(&at("public_key"), "Invalid public key"));
        }
        let private = (!private.is_empty()).then(|| format!("{private}\n"));
        return Ok(json!({"private_key": private, "public_key": public}));
    }
    let host = attributes["host"].as_str().unwrap_or_default().trim();
    if host.is_empty() {
        return Err(validation(&at("host"), "Field required"));
    }
    let remote_host_key = attributes["remote_host_key"]
        .as_str()
        .unwrap_or_default()
        .trim();
    if remote_host_key.is_empty() {
        return Err(validation(&at("remote_host_key"), "Field required"));
    }
    let keypair = attributes["private_key"].as_u64();
    if !sim
        .credentials()
        .iter()
        .any(|c| Some(c.id) == keypair && c.kind == KEY_PAIR)
    {
        return Err(validation(&at("private_key"), "SSH Key Pair not found"));
    }
    let port = attributes["port"].as_u64().unwrap_or(22);
    if !(1..=65535).contains(&port) {
        return Err(validation(
            &at("port"),
            "Input should be less than or equal to 65535",
        ));
    }
    Ok(json!({
        "host": host,
        "port": port,
        "username": attributes["username"].as_str().unwrap_or("root"),
        "private_key": keypair,
        "remote_host_key": remote_host_key,
        "connect_timeout": attributes["connect_timeout"].as_u64().unwrap_or(10),
    }))
}

fn normalize(public: &str) -> String {
    public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `ssh-keygen ARGS -f FILE` on `text` in a private temporary file, as
/// the middleware does; its output, or the error TrueNAS reports.
fn ssh_keygen(args: &[&str], text: &str) -> Result<String, String> {
    let mut file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    file.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    let output = Command::new("ssh-keygen")
        .args(args)
        .arg("-f")
        .arg(file.path())
        .output()
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    // With `-P ""` an encrypted key fails on its passphrase rather than
    // prompting ("Enter passphrase" in the middleware, which has no -P).
    Err(if stderr.contains("passphrase") {
        "Encrypted private keys are not allowed".to_owned()
    } else {
        stderr.trim().to_owned()
    })
}
