//! Command-line flags and `KEYHAVEN_*` environment variables.

use std::{net::SocketAddr, path::PathBuf};

use clap::Parser;
use ipnet::IpNet;

/// Keyhaven's server: stores encrypted blobs for signed-in accounts, reads
/// SSH host keys, and serves the web app. It never sees a plaintext secret.
#[derive(Debug, Clone, Parser)]
#[command(name = "keyhaven-server", version, about)]
pub struct Config {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "KEYHAVEN_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for the SQLite database (created when missing).
    #[arg(long, env = "KEYHAVEN_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database URL: `postgres://…` selects PostgreSQL; when absent, an SQLite
    /// file `keyhaven.sqlite3` in the data directory is used.
    #[arg(long, env = "KEYHAVEN_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Live-change streams (`/api/v1/events`) one account may hold open:
    /// one per browser window.
    #[arg(long, env = "KEYHAVEN_MAX_STREAMS_PER_ACCOUNT", default_value_t = 16)]
    pub max_streams_per_account: usize,

    /// Live-change streams this server holds open in all.
    #[arg(long, env = "KEYHAVEN_MAX_STREAMS", default_value_t = 4096)]
    pub max_streams: usize,

    /// Directory holding the built app (Trunk's output). Without it, the app
    /// built into this binary is served (or `./dist` when none was).
    #[arg(long, env = "KEYHAVEN_DIST")]
    pub dist: Option<PathBuf>,

    /// Serve HTTPS with this certificate chain (PEM). Reloaded on SIGHUP
    /// and when the file changes.
    #[arg(
        long,
        env = "KEYHAVEN_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of `--tls-cert`.
    #[arg(
        long,
        env = "KEYHAVEN_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// Serve HTTPS with a certificate made for `--tls-name` on first start
    /// and kept in the data directory; its SHA-256 fingerprint is printed.
    #[arg(long, env = "KEYHAVEN_TLS_SELF_SIGNED", conflicts_with = "tls_cert")]
    pub tls_self_signed: bool,

    /// A host name or IP address the self-signed certificate is for
    /// (repeatable; comma-separated in the environment variable). Default:
    /// this machine's host name, localhost, 127.0.0.1 and ::1.
    #[arg(
        long = "tls-name",
        env = "KEYHAVEN_TLS_NAME",
        value_name = "NAME",
        value_delimiter = ',',
        requires = "tls_self_signed"
    )]
    pub tls_names: Vec<String>,

    /// With TLS on, also listen here for plain `http://` and redirect it to
    /// `https://` (the TLS port redirects plain HTTP by itself).
    #[arg(long, env = "KEYHAVEN_HTTP_REDIRECT_LISTEN", value_name = "ADDR")]
    pub http_redirect_listen: Option<SocketAddr>,

    /// Let host-key scans reach addresses in this network even though they
    /// are loopback, link-local, multicast or unspecified (repeatable;
    /// comma-separated in the environment variable).
    #[arg(
        long = "scan-allow",
        env = "KEYHAVEN_SCAN_ALLOW",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub scan_allow: Vec<IpNet>,

    /// Turn account creation off (existing accounts can still sign in).
    #[arg(long, env = "KEYHAVEN_NO_SIGNUP")]
    pub no_signup: bool,

    /// Accounts one client address may create per hour.
    #[arg(long, env = "KEYHAVEN_SIGNUPS_PER_HOUR", default_value_t = 5)]
    pub signups_per_hour: u32,

    /// Only clients in this network may create accounts (repeatable;
    /// comma-separated in the environment variable): for a server open to
    /// the internet whose users sign up from the LAN or a VPN.
    #[arg(
        long = "signup-allow",
        env = "KEYHAVEN_SIGNUP_ALLOW",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub signup_allow: Vec<IpNet>,

    /// Largest blob one write may store, in bytes. The keyring is one
    /// blob: a fleet of 1,000 systems (an API key and two private keys
    /// each, one of them RSA) makes it about 4 MB. The metadata is stored
    /// in parts of tens of KB.
    #[arg(long, env = "KEYHAVEN_MAX_BLOB_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_blob_bytes: usize,

    /// Total bytes of blobs one account may keep: a fleet of 1,000
    /// systems keeps about 12 MB (metadata 7.7 MB, keyring about 4 MB),
    /// and a write briefly holds a replaced part twice.
    #[arg(long, env = "KEYHAVEN_ACCOUNT_QUOTA_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub account_quota_bytes: usize,

    /// A session ends after this many minutes without a request.
    #[arg(long, env = "KEYHAVEN_SESSION_IDLE_MINUTES", default_value_t = 7 * 24 * 60)]
    pub session_idle_minutes: u64,

    /// A session ends this many hours after sign-in, however active.
    #[arg(long, env = "KEYHAVEN_SESSION_MAX_HOURS", default_value_t = 30 * 24)]
    pub session_max_hours: u64,

    /// Mark the session cookie `Secure` even when no trusted proxy says the
    /// request came over https.
    #[arg(long, env = "KEYHAVEN_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// A reverse proxy in this network: its `X-Forwarded-For` and
    /// `X-Forwarded-Proto` headers are believed (repeatable; comma-separated
    /// in the environment variable). Without it, the socket's address is
    /// the client's.
    #[arg(
        long = "trusted-proxy",
        env = "KEYHAVEN_TRUSTED_PROXY",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<IpNet>,

    /// Print how many password checks per second this machine does with
    /// the server's Argon2id parameters (one per core, for 3 seconds) and
    /// exit: the most sign-ins per second it can answer.
    #[arg(long)]
    pub hash_rate: bool,
}

impl Config {
    /// Whether the server itself speaks TLS.
    pub fn tls(&self) -> bool {
        self.tls_cert.is_some() || self.tls_self_signed
    }

    /// The SQLite URL used when no `--database-url` is given.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}",
                self.data_dir.join("keyhaven.sqlite3").display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_readme() {
        let config = Config::try_parse_from(["keyhaven-server"]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(config.dist, None);
        assert!(!config.tls());
        assert_eq!(
            config.effective_database_url(),
            "sqlite://./data/keyhaven.sqlite3"
        );
        assert!(!config.no_signup);
    }

    #[test]
    fn tls_flags_come_in_working_sets() {
        let parse = |args: &[&str]| {
            Config::try_parse_from(std::iter::once("keyhaven-server").chain(args.iter().copied()))
        };
        assert!(
            parse(&["--tls-cert", "c.pem", "--tls-key", "k.pem"])
                .unwrap()
                .tls()
        );
        assert!(
            parse(&["--tls-self-signed", "--tls-name", "nas.lan"])
                .unwrap()
                .tls()
        );
        // A certificate without its key, a name without self-signing, or
        // both kinds of certificate at once are mistakes, not a choice.
        assert!(parse(&["--tls-cert", "c.pem"]).is_err());
        assert!(parse(&["--tls-name", "nas.lan"]).is_err());
        assert!(
            parse(&[
                "--tls-self-signed",
                "--tls-cert",
                "c.pem",
                "--tls-key",
                "k.pem"
            ])
            .is_err()
        );
    }

    #[test]
    fn scan_allow_takes_several_networks_and_rejects_garbage() {
        let config = Config::try_parse_from([
            "keyhaven-server",
            "--scan-allow",
            "127.0.0.0/8",
            "--scan-allow",
            "::1/128",
        ])
        .unwrap();
        assert_eq!(config.scan_allow.len(), 2);
        assert!(Config::try_parse_from(["keyhaven-server", "--scan-allow", "nonsense"]).is_err());
    }
}
