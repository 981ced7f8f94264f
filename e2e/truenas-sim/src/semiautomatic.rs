//! `keychaincredential.remote_ssh_semiautomatic_setup`: the simulated
//! system logs in to another over its WebSocket API, as the middleware
//! does with its API client.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    errors::call_error,
    keychain::{KEY_PAIR, SSH_CREDENTIALS, create, keyscan_lines},
    state::Sim,
};

/// `keychaincredential.remote_ssh_semiautomatic_setup`: this system logs in
/// to the remote over its API (admin password, then the OTP when asked),
/// has it authorize the keypair's public key (`ssh_pair`), fixes the
/// remote user's shell (and sudo), and stores the SSH connection here.
pub async fn setup(sim: &Sim, data: &Value) -> Result<Value, Value> {
    let keypair_id = data["private_key"].as_u64().unwrap_or(0);
    let public_key = sim
        .credentials()
        .iter()
        .find(|c| c.id == keypair_id && c.kind == KEY_PAIR)
        .filter(|c| {
            c.attributes["private_key"]
                .as_str()
                .is_some_and(|k| !k.is_empty())
        })
        .map(|c| {
            c.attributes["public_key"]
                .as_str()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .ok_or_else(|| call_error(22, "EINVAL", "Specified key pair not found"))?;
    let url = data["url"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('/');
    let host = url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', ':']).next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let ws_url = format!("{}/api/current", url.replacen("http", "ws", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url.as_str())
        .await
        .map_err(|e| {
            call_error(
                22,
                "EINVAL",
                &format!("Unable to connect to remote system: {e}"),
            )
        })?;
    let mut remote = Remote {
        socket: &mut socket,
        next: 0,
    };
    let username = data["username"].as_str().unwrap_or("root").to_owned();
    let password = data["password"].as_str().unwrap_or_default();
    if password.is_empty() {
        return Err(call_error(
            22,
            "EINVAL",
            "You should specify either remote system password or temporary authentication token",
        ));
    }
    let login = remote
        .call(
            "auth.login_ex",
            json!([{"mechanism": "PASSWORD_PLAIN",
            "username": data["admin_username"].as_str().unwrap_or("root"), "password": password}]),
        )
        .await?;
    let outcome = match login["response_type"].as_str() {
        Some("OTP_REQUIRED") => {
            let otp = data["otp_token"].as_str().unwrap_or_default();
            if otp.is_empty() {
                return Err(call_error(
                    22,
                    "EINVAL",
                    "Two-factor authentication is required: an OTP token is missing",
                ));
            }
            remote
                .call(
                    "auth.login_ex_continue",
                    json!([{"mechanism": "OTP_TOKEN", "otp_token": otp}]),
                )
                .await?
        }
        _ => login,
    };
    if outcome["response_type"].as_str() != Some("SUCCESS") {
        return Err(call_error(22, "EINVAL", "Invalid username or password"));
    }
    let paired = remote
        .call("keychaincredential.ssh_pair", json!([{"remote_hostname": "any-host",
            "username": username, "public_key": public_key}]))
        .await
        .map_err(|e| {
            let reason = e["data"]["reason"].as_str().unwrap_or("failed").to_owned();
            call_error(22, "EINVAL", &format!(
                "Semi-automatic SSH connection setup failed: {reason}\n\nPlease make sure that home directory for {username} user on the remote system exists and is writeable."))
        })?;
    let users = remote
        .call("user.query", json!([[["username", "=", username]]]))
        .await?;
    if let Some(user) = users.as_array().and_then(|u| u.first()) {
        let mut changes = serde_json::Map::new();
        if user["shell"] == "/usr/sbin/nologin" {
            changes.insert("shell".into(), json!("/usr/bin/bash"));
        }
        if data["sudo"].as_bool() == Some(true) {
            let mut commands = user["sudo_commands_nopasswd"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if !commands.iter().any(|c| c == "ALL" || c == "/usr/sbin/zfs") {
                commands.push(json!("/usr/sbin/zfs"));
                changes.insert("sudo_commands_nopasswd".into(), Value::Array(commands));
            }
        }
        remote
            .call("user.update", json!([user["id"], Value::Object(changes)]))
            .await
            .map_err(|_| call_error(22, "EINVAL", "Error updating remote user attributes"))?;
    }
    create(
        sim,
        &json!({"name": data["name"], "type": SSH_CREDENTIALS, "attributes": {
            "host": host, "port": paired["port"], "username": username, "private_key": keypair_id,
            "remote_host_key": keyscan_lines(paired["host_key"].as_str().unwrap_or_default()),
            "connect_timeout": data["connect_timeout"].as_u64().unwrap_or(10)}}),
    )
}

/// A JSON-RPC client to another system, for the semi-automatic setup.
struct Remote<'a, S> {
    socket: &'a mut S,
    next: u64,
}

impl<S> Remote<'_, S>
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + SinkExt<Message>
        + Unpin,
{
    async fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next += 1;
        let request =
            json!({"jsonrpc": "2.0", "id": self.next, "method": method, "params": params});
        let lost = || call_error(32, "EPIPE", "Connection to the remote system was lost");
        self.socket
            .send(Message::Text(request.to_string().into()))
            .await
            .map_err(|_| lost())?;
        while let Some(Ok(message)) = self.socket.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let reply: Value = serde_json::from_str(&text).map_err(|_| lost())?;
            if reply["id"] != json!(self.next) {
                continue;
            }
            return match reply.get("error") {
                Some(error) => Err(error.clone()),
                None => Ok(reply["result"].clone()),
            };
        }
        Err(lost())
    }
}
