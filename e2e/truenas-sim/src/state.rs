//! What the simulated system knows: its users, their API keys (stored
//! hashed, as TrueNAS stores them), its SSH service.

use std::{
    path::PathBuf,
    sync::{Mutex, MutexGuard},
};

use sha2::{Digest, Sha256};
pub use truenas_api::Version;

#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub password: String,
    /// Base32 TOTP secret when two-factor authentication is on.
    pub totp: Option<String>,
    pub shell: String,
    pub home: String,
    pub home_exists: bool,
    pub sudo_commands_nopasswd: Vec<String>,
    /// The user's authorized keys, one per line, as `user.query` shows them
    /// (TrueNAS reads and writes `~/.ssh/authorized_keys` for it).
    pub sshpubkey: String,
}

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: u64,
    pub name: String,
    pub username: String,
    pub hash: [u8; 32],
}

/// A keychain credential: `SSH_KEY_PAIR` or `SSH_CREDENTIALS`, its
/// attributes as TrueNAS stores them.
#[derive(Debug, Clone)]
pub struct Credential {
    pub id: u64,
    pub name: String,
    pub kind: String,
    pub attributes: serde_json::Value,
}

impl Credential {
    /// As `keychaincredential.query` returns it to a full admin.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"id": self.id, "name": self.name, "type": self.kind,
                           "attributes": self.attributes})
    }
}

/// A replication task, only as far as `used_by` and cascades see it.
#[derive(Debug, Clone)]
pub struct ReplicationTask {
    pub id: u64,
    pub name: String,
    /// The SSH connection it uses.
    pub credential: Option<u64>,
    pub enabled: bool,
}

pub struct Sim {
    /// The API version this system speaks at `/api/current`; it also serves
    /// every known older version at `/api/vX.Y.Z`.
    pub version: Version,
    pub hostname: String,
    pub ssh_port: u16,
    /// Public host-key lines of the real sshd the tests run.
    pub host_keys: Vec<String>,
    /// The real sshd's authorized_keys file: every user's `sshpubkey`,
    /// rewritten whenever one changes (the test sshd has one file for all).
    pub authorized_keys: Option<PathBuf>,
    users: Mutex<Vec<User>>,
    keys: Mutex<Vec<ApiKey>>,
    credentials: Mutex<Vec<Credential>>,
    replication: Mutex<Vec<ReplicationTask>>,
}

impl Sim {
    pub fn new(
        version: Version,
        hostname: String,
        users: Vec<User>,
        ssh_port: u16,
        host_keys: Vec<String>,
        authorized_keys: Option<PathBuf>,
    ) -> Self {
        Self {
            version,
            hostname,
            ssh_port,
            host_keys,
            authorized_keys,
            users: Mutex::new(users),
            keys: Mutex::new(Vec::new()),
            credentials: Mutex::new(Vec::new()),
            replication: Mutex::new(Vec::new()),
        }
    }

    pub fn users(&self) -> MutexGuard<'_, Vec<User>> {
        self.users.lock().expect("not poisoned")
    }

    pub fn keys(&self) -> MutexGuard<'_, Vec<ApiKey>> {
        self.keys.lock().expect("not poisoned")
    }

    pub fn credentials(&self) -> MutexGuard<'_, Vec<Credential>> {
        self.credentials.lock().expect("not poisoned")
    }

    pub fn replication_tasks(&self) -> MutexGuard<'_, Vec<ReplicationTask>> {
        self.replication.lock().expect("not poisoned")
    }

    /// Sets a user's authorized keys and writes them where the real sshd
    /// reads them.
    pub fn set_sshpubkey(&self, id: u64, keys: &str) -> std::io::Result<()> {
        let mut users = self.users();
        if let Some(user) = users.iter_mut().find(|u| u.id == id) {
            user.sshpubkey = keys.to_owned();
        }
        if let Some(path) = &self.authorized_keys {
            let all: String = users
                .iter()
                .flat_map(|u| u.sshpubkey.lines())
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(path, all)?;
        }
        Ok(())
    }

    pub fn user(&self, username: &str) -> Option<User> {
        self.users()
            .iter()
            .find(|u| u.username == username)
            .cloned()
    }

    /// A new key `<id>-<64 letters and digits>`; only its hash is kept.
    pub fn create_key(&self, name: &str, username: &str) -> (ApiKey, String) {
        let mut keys = self.keys();
        let id = keys.iter().map(|k| k.id).max().unwrap_or(0) + 1;
        let secret = random_alphanumeric(64);
        let key = ApiKey {
            id,
            name: name.to_owned(),
            username: username.to_owned(),
            hash: Sha256::digest(secret.as_bytes()).into(),
        };
        keys.push(key.clone());
        (key, format!("{id}-{secret}"))
    }

    /// The user a presented key belongs to, if it is valid for `username`.
    pub fn check_key(&self, username: &str, presented: &str) -> bool {
        let Some((id, secret)) = presented.split_once('-') else {
            return false;
        };
        let Ok(id) = id.parse::<u64>() else {
            return false;
        };
        let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        self.keys()
            .iter()
            .any(|k| k.id == id && k.username == username && k.hash == hash)
    }
}

fn random_alphanumeric(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 1];
    while out.len() < n {
        getrandom::getrandom(&mut buf).expect("random");
        // Rejection sampling keeps the choice uniform.
        if usize::from(buf[0]) < 256 - 256 % ALPHABET.len() {
            out.push(ALPHABET[usize::from(buf[0]) % ALPHABET.len()] as char);
        }
    }
    out
}
