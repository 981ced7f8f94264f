//! A simulator process of the tests' own and a JSON-RPC client to it.

#![allow(dead_code)] // each test file uses its own part

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{connect_async, tungstenite::Message};

/// The simulator, killed when dropped; `url` is its `/api/current`.
pub(crate) struct Sim {
    child: Child,
    pub url: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(args: &[&str]) -> Sim {
    let mut child = Command::new(env!("CARGO_BIN_EXE_truenas-sim"))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    Sim { child, url }
}

impl Sim {
    /// The URL of another endpoint (`v25.10.2`, `current`).
    pub(crate) fn endpoint(&self, name: &str) -> String {
        self.url.replace("/api/current", &format!("/api/{name}"))
    }
}

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Calls `method`; the result, or the error object.
pub(crate) async fn call(socket: &mut Socket, method: &str, params: Value) -> Result<Value, Value> {
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    socket
        .send(Message::text(request.to_string()))
        .await
        .unwrap();
    let reply: Value =
        serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    match reply.get("error") {
        Some(error) => Err(error.clone()),
        None => Ok(reply["result"].clone()),
    }
}

/// Logged in as root (password `rootpw`) at `url`.
pub(crate) async fn logged_in_at(url: &str) -> Socket {
    let (mut socket, _) = connect_async(url).await.unwrap();
    let login = call(
        &mut socket,
        "auth.login_ex",
        json!([{"mechanism": "PASSWORD_PLAIN", "username": "root", "password": "rootpw"}]),
    )
    .await
    .unwrap();
    assert_eq!(login["response_type"], "SUCCESS");
    socket
}

/// `data.extra` of a `-32602` error as `(attribute, message)` pairs.
pub(crate) fn violations(error: &Value) -> Vec<(String, String)> {
    assert_eq!(error["code"], -32602, "{error}");
    error["data"]["extra"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[0].as_str().unwrap().to_owned(),
                e[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
