//! A system's own Backup Credentials (`keychaincredential.*`): what its
//! answers hold, the arguments its calls take, and the decisions made on
//! them here — what installing a Keyhaven keypair and connection would do
//! on a system, and whether a system's copy matches Keyhaven's.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::{
    model::{Connection, Keypair},
    ssh,
};

/// An SSH keypair in a system's keychain (`SSH_KEY_PAIR`).
pub struct SystemKeypair {
    pub id: u64,
    pub name: String,
    /// Present for a full admin; other roles see it redacted.
    pub private_key: Option<SecretString>,
    pub public_key: String,
}

/// An SSH connection in a system's keychain (`SSH_CREDENTIALS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemConnection {
    pub id: u64,
    pub name: String,
    pub host: String,
    pub port: u16,
    pub username: String,
    /// The id of its keypair on that system.
    pub keypair: u64,
    /// One `type key` per line.
    pub remote_host_key: String,
    pub connect_timeout: u32,
}

/// A system's keychain as `keychaincredential.query` returned it.
#[derive(Default)]
pub struct Keychain {
    pub keypairs: Vec<SystemKeypair>,
    pub connections: Vec<SystemConnection>,
}

impl Keychain {
    /// Reads a query result. Entries of other types (cloud credentials…)
    /// and entries that don't have the documented shape are left out.
    pub fn from_query(result: &Value) -> Self {
        let mut keychain = Self::default();
        for entry in result.as_array().into_iter().flatten() {
            let (Some(id), Some(name)) = (entry["id"].as_u64(), entry["name"].as_str()) else {
                continue;
            };
            let name = name.to_owned();
            let attributes = &entry["attributes"];
            let text = |field: &str| attributes[field].as_str().unwrap_or_default().to_owned();
            match entry["type"].as_str() {
                Some("SSH_KEY_PAIR") => keychain.keypairs.push(SystemKeypair {
                    id,
                    name,
                    private_key: attributes["private_key"]
                        .as_str()
                        .filter(|k| k.contains("PRIVATE KEY"))
                        .map(|k| SecretString::from(k.to_owned())),
                    public_key: text("public_key").trim().to_owned(),
                }),
                Some("SSH_CREDENTIALS") => {
                    let Some(keypair) = attributes["private_key"].as_u64() else {
                        continue;
                    };
                    keychain.connections.push(SystemConnection {
                        id,
                        name,
                        host: text("host"),
                        port: attributes["port"]
                            .as_u64()
                            .and_then(|p| u16::try_from(p).ok())
                            .unwrap_or(22),
                        username: text("username"),
                        keypair,
                        remote_host_key: text("remote_host_key").trim().to_owned(),
                        connect_timeout: attributes["connect_timeout"]
                            .as_u64()
                            .and_then(|t| u32::try_from(t).ok())
                            .unwrap_or(10),
                    });
                }
                _ => {}
            }
        }
        keychain.keypairs.sort_by_key(|k| k.name.to_lowercase());
        keychain.connections.sort_by_key(|c| c.name.to_lowercase());
        keychain
    }

    pub fn keypair(&self, id: u64) -> Option<&SystemKeypair> {
        self.keypairs.iter().find(|k| k.id == id)
    }

    pub fn connection(&self, id: u64) -> Option<&SystemConnection> {
        self.connections.iter().find(|c| c.id == id)
    }

    /// The keypair holding this public key (type and key data; the comment
    /// is ignored, as TrueNAS compares them).
    pub fn keypair_with_public(&self, public_line: &str) -> Option<&SystemKeypair> {
        let wanted = key_data(public_line)?;
        self.keypairs
            .iter()
            .find(|k| key_data(&k.public_key) == Some(wanted))
    }

    /// Whether any credential (of either type) has this name: names are
    /// unique across the keychain.
    pub fn name_taken(&self, name: &str) -> bool {
        self.keypairs.iter().any(|k| k.name == name)
            || self.connections.iter().any(|c| c.name == name)
    }
}

/// `type key` of an OpenSSH public key line.
fn key_data(line: &str) -> Option<(&str, &str)> {
    let mut parts = line.split_whitespace();
    Some((parts.next()?, parts.next()?))
}

/// `keychaincredential.create`'s argument for a keypair.
pub fn create_keypair(name: &str, private_key: &SecretString, public_key: &str) -> Value {
    json!([{"name": name, "type": "SSH_KEY_PAIR", "attributes": {
        "private_key": private_key.expose_secret(), "public_key": public_key}}])
}

/// The attributes of an SSH connection as TrueNAS stores them, pointing at
/// `keypair`, the keypair's id on that system.
pub fn connection_attributes(connection: &Connection, keypair: u64) -> Value {
    json!({
        "host": connection.host,
        "port": connection.port,
        "username": connection.username,
        "private_key": keypair,
        "remote_host_key": connection.remote_host_keys,
        "connect_timeout": connection.connect_timeout,
    })
}

pub fn create_connection(connection: &Connection, keypair: u64) -> Value {
    json!([{"name": connection.name, "type": "SSH_CREDENTIALS",
            "attributes": connection_attributes(connection, keypair)}])
}

/// The SSH Connections and SSH Keypairs forms' label for a field a
/// keychain call's validation error names (`attributes.host` → `Host`).
pub fn field_label(field: &str) -> &str {
    match field {
        "name" => "Name",
        "attributes.private_key" | "private_key" => "Private Key",
        "attributes.public_key" => "Public Key",
        "attributes.host" | "host" => "Host",
        "attributes.port" | "port" => "Port",
        "attributes.username" | "username" => "Username",
        "attributes.remote_host_key" => "Remote Host Key",
        "attributes.connect_timeout" | "connect_timeout" => "Connect Timeout",
        "url" => "TrueNAS URL",
        "admin_username" => "Admin Username",
        "password" => "Admin Password",
        "otp_token" => "One-Time Password (if necessary)",
        other => other,
    }
}

/// What installing on one system would do, decided before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeypairStep {
    /// The system already holds this key (by public key): use its id.
    Present {
        id: u64,
        name: String,
    },
    Create {
        name: String,
    },
    /// Another credential has the name: reported, nothing overwritten.
    NameTaken {
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionStep {
    /// A connection of that name already matches this one.
    Present {
        name: String,
    },
    Create {
        name: String,
    },
    /// The same connection (name and key) with other values there: brought
    /// in line with Keyhaven's (the fields named).
    Update {
        id: u64,
        name: String,
        fields: Vec<&'static str>,
    },
    /// Another credential has the name: reported, nothing overwritten.
    NameTaken {
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallPlan {
    pub keypair: KeypairStep,
    pub connection: Option<ConnectionStep>,
}

impl InstallPlan {
    /// Installing a keypair (and a connection using it) on a system with
    /// this keychain.
    pub fn new(keychain: &Keychain, keypair: &Keypair, connection: Option<&Connection>) -> Self {
        let keypair_step = match keychain.keypair_with_public(&keypair.public_key) {
            Some(present) => KeypairStep::Present {
                id: present.id,
                name: present.name.clone(),
            },
            None if keychain.name_taken(&keypair.name) => KeypairStep::NameTaken {
                name: keypair.name.clone(),
            },
            None => KeypairStep::Create {
                name: keypair.name.clone(),
            },
        };
        let connection = connection.map(|c| {
            let name = c.name.clone();
            let same = keychain.connections.iter().find(|s| s.name == c.name);
            match (same, &keypair_step) {
                (Some(s), KeypairStep::Present { id, .. }) if s.keypair == *id => {
                    let fields = differences(c, s);
                    if fields.is_empty() {
                        ConnectionStep::Present { name }
                    } else {
                        ConnectionStep::Update {
                            id: s.id,
                            name,
                            fields,
                        }
                    }
                }
                _ if keychain.name_taken(&c.name) => ConnectionStep::NameTaken { name },
                _ => ConnectionStep::Create { name },
            }
        });
        Self {
            keypair: keypair_step,
            connection,
        }
    }

    /// Whether the plan can run: nothing it would create has a name taken.
    pub fn blocked(&self) -> bool {
        matches!(self.keypair, KeypairStep::NameTaken { .. })
            || matches!(self.connection, Some(ConnectionStep::NameTaken { .. }))
    }

    /// One line per step, for the plan shown before anything runs.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![match &self.keypair {
            KeypairStep::Present { name, .. } => format!("SSH keypair: already there as “{name}”"),
            KeypairStep::Create { name } => format!("SSH keypair “{name}”: will be created"),
            KeypairStep::NameTaken { name } => {
                format!("SSH keypair “{name}”: the name is taken by another credential there")
            }
        }];
        lines.extend(self.connection.iter().map(|c| match c {
            ConnectionStep::Present { name } => format!("SSH connection “{name}”: already there"),
            ConnectionStep::Create { name } => format!("SSH connection “{name}”: will be created"),
            ConnectionStep::Update { name, fields, .. } => format!(
                "SSH connection “{name}”: will be updated ({} as in Keyhaven)",
                fields.join(", ")
            ),
            ConnectionStep::NameTaken { name } => {
                format!("SSH connection “{name}”: the name is taken by another credential there")
            }
        }));
        lines
    }
}

/// The fields where a system's connection differs from Keyhaven's, by
/// their labels in the SSH Connections form.
pub fn differences(keyhaven: &Connection, system: &SystemConnection) -> Vec<&'static str> {
    let mut out = Vec::new();
    if keyhaven.host != system.host {
        out.push("Host");
    }
    if keyhaven.port != system.port {
        out.push("Port");
    }
    if keyhaven.username != system.username {
        out.push("Username");
    }
    if host_keys(&keyhaven.remote_host_keys) != host_keys(&system.remote_host_key) {
        out.push("Remote Host Key");
    }
    if keyhaven.connect_timeout != system.connect_timeout {
        out.push("Connect Timeout");
    }
    out
}

/// Host keys compared as sets of `type key` (order and comments aside).
fn host_keys(text: &str) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = ssh::parse_host_keys(text)
        .unwrap_or_default()
        .iter()
        .filter_map(|k| key_data(&ssh::public_line(k)).map(|(t, d)| (t.to_owned(), d.to_owned())))
        .collect();
    keys.sort();
    keys
}

#[cfg(test)]
mod tests;
