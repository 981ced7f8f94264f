//! A stand-in TrueNAS system for Keyhaven's tests: TrueNAS's JSON-RPC 2.0
//! API over WebSocket (reference/truenas.md) at `/api/current` and at the
//! versioned endpoints of every known release up to its own
//! (`/api/v25.04.2`, …), each request checked against that version's own
//! schemas; password, two-factor (real TOTP) and API-key logins, API keys,
//! and users' authorized keys written to a real sshd's file.
//!
//! It prints one line, `truenas-sim listening on ws://ADDR/api/current`.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::Context;
use axum::{
    Router,
    extract::{
        Path, State, WebSocketUpgrade,
        ws::{Message, WebSocket},
    },
    http::StatusCode,
    response::IntoResponse,
    routing::get,
};
use clap::Parser;

use truenas_sim::{
    rpc::{self, Endpoint},
    state::{Sim, User, Version},
};

#[derive(Debug, Parser)]
#[command(name = "truenas-sim", about = "A stand-in TrueNAS API for tests")]
struct Args {
    /// The release it behaves as (25.04.2, 25.10.2 or 26.0): what
    /// `/api/current` is, which versioned endpoints exist, which schemas
    /// every request is checked against.
    #[arg(long, default_value = "26.0", value_parser = parse_version)]
    api_version: Version,
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
    /// How long each answer takes, as from a system across a WAN (0: at
    /// once).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
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
        let home_exists = !args.no_home.iter().any(|n| n == name);
        // TrueNAS gives a user without a home directory `/var/empty`.
        let home = if !home_exists {
            "/var/empty".to_owned()
        } else if name == "root" {
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
            home_exists,
            sudo_commands_nopasswd: Vec::new(),
            sshpubkey: String::new(),
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
        args.api_version,
        args.hostname,
        users,
        args.ssh_port,
        host_keys,
        args.authorized_keys,
    ));
    let latency = std::time::Duration::from_millis(args.latency_ms);
    let app = Router::new()
        .route("/api/{endpoint}", get(upgrade))
        .with_state((sim, latency));
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!(
        "truenas-sim listening on ws://{}/api/current",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}

fn parse_version(name: &str) -> Result<Version, String> {
    Version::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Version::ALL.iter().map(|v| v.name()).collect();
        format!(
            "not a known TrueNAS API version (known: {})",
            known.join(", ")
        )
    })
}

/// `/api/current`, or `/api/vX.Y.Z` for a known version no newer than the
/// system's own; anything else is 404, as on a system that lacks it.
async fn upgrade(
    State((sim, latency)): State<(Arc<Sim>, std::time::Duration)>,
    Path(endpoint): Path<String>,
    ws: WebSocketUpgrade,
) -> axum::response::Response {
    let endpoint = match endpoint.as_str() {
        "current" => Endpoint::Current,
        other => match other.strip_prefix('v').and_then(Version::from_name) {
            Some(version) if version <= sim.version && version.name() == &other[1..] => {
                Endpoint::Versioned(version)
            }
            _ => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    ws.on_upgrade(move |socket| serve(sim, endpoint, socket, latency))
}

async fn serve(
    sim: Arc<Sim>,
    endpoint: Endpoint,
    mut socket: WebSocket,
    latency: std::time::Duration,
) {
    let mut session = rpc::Session::new(endpoint);
    while let Some(Ok(message)) = socket.recv().await {
        let text = match message {
            Message::Text(text) => text.to_string(),
            Message::Close(_) => break,
            _ => continue,
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let reply = rpc::handle(&sim, &mut session, &text, now).await;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(reply) = reply
            && socket
                .send(Message::Text(reply.to_string().into()))
                .await
                .is_err()
        {
            break;
        }
    }
}
