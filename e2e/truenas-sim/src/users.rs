//! Users as far as SSH access goes: `user.query`, `user.update` (shell,
//! passwordless sudo, authorized keys) and the private `ssh_pair`, which
//! appends to a user's authorized keys as the middleware does.

use serde_json::{Value, json};

use crate::{
    errors::{call_error, validation},
    state::{Sim, User},
};

fn entry(user: &User) -> Value {
    json!({"id": user.id, "username": user.username, "shell": user.shell, "home": user.home,
           "sudo_commands_nopasswd": user.sudo_commands_nopasswd,
           "sshpubkey": (!user.sshpubkey.is_empty()).then_some(&user.sshpubkey)})
}

/// `user.query [filters]`: `["username", "=", x]` is the filter read.
pub fn query(sim: &Sim, filters: &Value) -> Value {
    let wanted = username_filter(filters);
    Value::Array(
        sim.users()
            .iter()
            .filter(|u| wanted.as_deref().is_none_or(|w| w == u.username))
            .map(entry)
            .collect(),
    )
}

/// `user.update [id, changes]`: the fields given replace the stored ones.
pub fn update(sim: &Sim, id: u64, changes: &Value) -> Result<Value, Value> {
    let user = sim
        .users()
        .iter()
        .find(|u| u.id == id)
        .cloned()
        .ok_or_else(|| call_error(2, "ENOENT", &format!("User {id} does not exist")))?;
    if let Some(keys) = changes.get("sshpubkey") {
        let keys = keys.as_str().unwrap_or_default();
        if !keys.trim().is_empty() && !user.home_exists {
            return Err(validation(
                "user_update.sshpubkey",
                &format!("Home directory {} does not exist", user.home),
            ));
        }
        for line in keys.lines().filter(|l| !l.trim().is_empty()) {
            if line.split_whitespace().count() < 2 {
                return Err(validation(
                    "user_update.sshpubkey",
                    "Invalid SSH public key",
                ));
            }
        }
        sim.set_sshpubkey(id, keys)
            .map_err(|e| call_error(5, "EIO", &e.to_string()))?;
    }
    let mut users = sim.users();
    let user = users
        .iter_mut()
        .find(|u| u.id == user.id)
        .expect("found above");
    if let Some(shell) = changes.get("shell").and_then(Value::as_str) {
        user.shell = shell.to_owned();
    }
    if let Some(commands) = changes
        .get("sudo_commands_nopasswd")
        .and_then(Value::as_array)
    {
        user.sudo_commands_nopasswd = commands
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
    }
    Ok(entry(user))
}

/// `[["username", "=", "x"]]` → `x`.
fn username_filter(filters: &Value) -> Option<String> {
    filters.as_array()?.iter().find_map(|f| {
        let f = f.as_array()?;
        (f.first()?.as_str()? == "username" && f.get(1)?.as_str()? == "=")
            .then(|| f.get(2)?.as_str().map(str::to_owned))?
    })
}

/// `keychaincredential.ssh_pair` (private): appends the key to the user's
/// authorized keys; answers the SSH port and the host keys, each line
/// prefixed with `remote_hostname`.
pub fn ssh_pair(sim: &Sim, data: &Value) -> Result<Value, Value> {
    let username = data["username"].as_str().unwrap_or("root");
    let public_key = data["public_key"].as_str().unwrap_or_default().trim();
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
    if public_key.contains('\n') {
        return Err(validation(
            "keychain_ssh_pair.public_key",
            "Invalid public key",
        ));
    }
    if !user.sshpubkey.lines().any(|l| l.trim() == public_key) {
        let mut keys = user.sshpubkey.clone();
        if !keys.is_empty() && !keys.ends_with('\n') {
            keys.push('\n');
        }
        keys.push_str(public_key);
        keys.push('\n');
        sim.set_sshpubkey(user.id, &keys)
            .map_err(|e| call_error(5, "EIO", &e.to_string()))?;
    }
    let hostname = data["remote_hostname"].as_str().unwrap_or("any-host");
    let host_key: String = sim
        .host_keys
        .iter()
        .map(|k| format!("{hostname} {k}\n"))
        .collect();
    Ok(json!({"port": sim.ssh_port, "host_key": host_key}))
}
