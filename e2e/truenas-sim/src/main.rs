//! A stand-in TrueNAS system for Keyhaven's tests: TrueNAS's JSON-RPC 2.0
//! API over WebSocket at `/api/current` (reference/truenas.md), with
//! password, two-factor (real TOTP) and API-key logins, API keys, and
//! `keychaincredential.ssh_pair` writing to a real sshd's authorized keys.
//!
//! It prints one line, `truenas-sim listening on ws://ADDR/api/current`.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::Context;
use axum::{
    Router,
    extract::{
        State, WebSocketUpgrade,
        ws::{Message, WebSocket},
    },
    routing::get,
};
use clap::Parser;

use truenas_sim::{
    rpc,
    state::{Sim, User},
};

#[derive(Debug, Parser)]
#[command(name = "truenas-sim", about = "A stand-in TrueNAS API for tests")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// What `system.info` reports.
    #[arg(long, default_value = "truenas")]
    hostname: String,
    /// `NAME:PASSWORD` or `NAME:PASSWORD:TOTP_BASE32_SECRET` (repeatable).
    #[arg(long = "user", value_name = "USER", required = true)]
    users: Vec<String>,
    /// A user whose home directory does not exist (repeatable).
    #[arg(long = "no-home", value_name = "NAME")]
    no_home: Vec<String>,
    /// The SSH port `keychaincredential.ssh_pair` reports.
    #[arg(long, default_value_t = 22)]
    ssh_port: u16,
    /// A public host-key file of the system's sshd (repeatable).
    #[arg(long = "host-key", value_name = "FILE")]
    host_keys: Vec<PathBuf>,
    /// The authorized_keys file `ssh_pair` appends to.
    #[arg(long)]
    authorized_keys: Option<PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut users = Vec::new();
    for (n, spec) in args.users.iter().enumerate() {
        let mut parts = spec.splitn(3, ':');
        let (Some(name), Some(password)) = (parts.next(), parts.next()) else {
            anyhow::bail!("--user takes NAME:PASSWORD[:TOTP_SECRET], not {spec:?}");
        };
        let home = if name == "root" {
            "/root".to_owned()
        } else {
            format!("/home/{name}")
        };
        users.push(User {
            id: n as u64 + 1,
            username: name.to_owned(),
            password: password.to_owned(),
            totp: parts.next().map(str::to_owned),
            shell: if name == "root" {
                "/usr/bin/zsh"
            } else {
                "/usr/sbin/nologin"
            }
            .to_owned(),
            home,
            home_exists: !args.no_home.iter().any(|n| n == name),
            sudo_commands_nopasswd: Vec::new(),
        });
    }
    let mut host_keys = Vec::new();
    for path in &args.host_keys {
        let line =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let key: Vec<&str> = line.split_whitespace().take(2).collect();
        host_keys.push(key.join(" "));
    }
    let sim = Arc::new(Sim::new(
        args.hostname,
        users,
        args.ssh_port,
        host_keys,
        args.authorized_keys,
    ));
    let app = Router::new()
        .route("/api/current", get(upgrade))
        .with_state(sim);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!(
        "truenas-sim listening on ws://{}/api/current",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}

async fn upgrade(State(sim): State<Arc<Sim>>, ws: WebSocketUpgrade) -> axum::response::Response {
    ws.on_upgrade(move |socket| serve(sim, socket))
}

async fn serve(sim: Arc<Sim>, mut socket: WebSocket) {
    let mut session = rpc::Session::default();
    while let Some(Ok(message)) = socket.recv().await {
        let text = match message {
            Message::Text(text) => text.to_string(),
            Message::Close(_) => break,
            _ => continue,
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if let Some(reply) = rpc::handle(&sim, &mut session, &text, now).await
            && socket
                .send(Message::Text(reply.to_string().into()))
                .await
                .is_err()
        {
            break;
        }
    }
}
