//! A system's own Backup Credentials (`keychaincredential.*`): what its
//! answers hold, the arguments its calls take, and the decisions made on
//! them here — what installing a Keyhaven keypair and connection would do
//! on a system, and whether a system's copy matches Keyhaven's.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::calls::{self, Call};
use crate::{
    model::{Connection, Keypair},
    ssh::{self, FittedHostKeys},
};

/// An SSH keypair in a system's keychain (`SSH_KEY_PAIR`).
pub struct SystemKeypair {
    /// Its id on the system.
    pub id: u64,
    /// Its name there.
    pub name: String,
    /// Its private half, as this API key sees it.
    pub private_key: HeldPrivateKey,
    /// Its public key line.
    pub public_key: String,
}

/// What a system's keypair holds of its private half, as its query shows.
#[derive(Clone)]
pub enum HeldPrivateKey {
    /// The key itself (a full admin sees it).
    Held(SecretString),
    /// None: a keypair of a public key only (valid on TrueNAS).
    Absent,
    /// Something, but not shown to this API key (other roles see it
    /// redacted): it can't be resent, so only a rename is safe.
    Hidden,
}

impl HeldPrivateKey {
    /// The private key, when the system showed it.
    pub fn held(&self) -> Option<&SecretString> {
        match self {
            Self::Held(key) => Some(key),
            Self::Absent | Self::Hidden => None,
        }
    }
}

/// An SSH connection in a system's keychain (`SSH_CREDENTIALS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemConnection {
    /// Its id on the system.
    pub id: u64,
    /// Its name there.
    pub name: String,
    /// The remote's host.
    pub host: String,
    /// The remote's SSH port.
    pub port: u16,
    /// The user it logs in as.
    pub username: String,
    /// The id of its keypair on that system.
    pub keypair: u64,
    /// One `type key` per line.
    pub remote_host_key: String,
    /// Connect Timeout, in seconds.
    pub connect_timeout: u32,
}

/// A system's keychain as `keychaincredential.query` returned it.
#[derive(Default)]
pub struct Keychain {
    /// Its SSH keypairs.
    pub keypairs: Vec<SystemKeypair>,
    /// Its SSH connections.
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
                    private_key: match attributes.get("private_key") {
                        Some(Value::String(k)) if k.contains("PRIVATE KEY") => {
                            HeldPrivateKey::Held(SecretString::from(k.clone()))
                        }
                        None | Some(Value::Null) if attributes.is_object() => {
                            HeldPrivateKey::Absent
                        }
                        _ => HeldPrivateKey::Hidden,
                    },
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

    /// The keypair with this id.
    pub fn keypair(&self, id: u64) -> Option<&SystemKeypair> {
        self.keypairs.iter().find(|k| k.id == id)
    }

    /// The connection with this id.
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
pub(super) fn key_data(line: &str) -> Option<(&str, &str)> {
    let mut parts = line.split_whitespace();
    Some((parts.next()?, parts.next()?))
}

/// Creates a keypair. An empty public key is left out: the system derives
/// it from the private key.
pub fn create_keypair(name: &str, private_key: &SecretString, public_key: &str) -> Call {
    calls::keychain_create(json!({"name": name, "type": "SSH_KEY_PAIR",
        "attributes": keypair_attributes(Some(private_key), public_key)}))
}

fn keypair_attributes(private_key: Option<&SecretString>, public_key: &str) -> Value {
    let mut attributes = serde_json::Map::new();
    if let Some(private_key) = private_key {
        attributes.insert("private_key".into(), json!(private_key.expose_secret()));
    }
    if !public_key.trim().is_empty() {
        attributes.insert("public_key".into(), json!(public_key.trim()));
    }
    Value::Object(attributes)
}

/// Why an edit of a system's keypair is not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeypairEditRefused {
    /// Its private key is not shown to this API key, and `update` replaces
    /// the attributes whole: sending a new public key would drop it.
    #[error(
        "This system does not show this keypair's private key to Keyhaven's API key, so its keys can't be changed from here without losing it. Paste the private key to replace both, or change only the name."
    )]
    PrivateKeyHidden,
}

/// `keychaincredential.update` for an edited keypair. TrueNAS replaces
/// `attributes` whole, so an update never sends attributes that would lose
/// what the system holds: only the name when the keys are as they were;
/// the private key the system holds when only the public key changed; a
/// new private key only when one was given.
pub fn update_keypair(
    stored: &SystemKeypair,
    name: &str,
    private_key: Option<&SecretString>,
    public_key: &str,
) -> Result<Call, KeypairEditRefused> {
    let private_key = private_key.filter(|k| !k.expose_secret().trim().is_empty());
    let same_private = private_key.is_some_and(|given| {
        stored
            .private_key
            .held()
            .is_some_and(|held| held.expose_secret().trim() == given.expose_secret().trim())
    });
    let same_public =
        public_key.trim().is_empty() || key_data(public_key) == key_data(&stored.public_key);
    let keys_unchanged = same_public && (private_key.is_none() || same_private);
    let attributes = if keys_unchanged {
        None
    } else {
        Some(match (private_key, &stored.private_key) {
            (Some(given), _) => keypair_attributes(Some(given), public_key),
            (None, HeldPrivateKey::Held(held)) => keypair_attributes(Some(held), public_key),
            (None, HeldPrivateKey::Absent) => keypair_attributes(None, public_key),
            (None, HeldPrivateKey::Hidden) => return Err(KeypairEditRefused::PrivateKeyHidden),
        })
    };
    let mut changes = json!({"name": name});
    if let Some(attributes) = attributes {
        changes["attributes"] = attributes;
    }
    Ok(calls::keychain_update(stored.id, changes))
}

/// A connection's host keys as they will be stored on a system: fitted to
/// TrueNAS's 1024 characters. Unreadable text is kept as it is (the system
/// names the field when it refuses it).
pub fn host_keys_for_system(connection: &Connection) -> (String, FittedHostKeys) {
    match ssh::parse_host_keys(&connection.remote_host_keys) {
        Ok(keys) => {
            let fitted = ssh::fit_host_keys(&keys);
            (fitted.text(), fitted)
        }
        Err(_) => (
            connection.remote_host_keys.clone(),
            FittedHostKeys {
                kept: Vec::new(),
                left_out: Vec::new(),
            },
        ),
    }
}

/// The attributes of an SSH connection as TrueNAS stores them, pointing at
/// `keypair`, the keypair's id on that system.
fn connection_attributes(connection: &Connection, keypair: u64) -> Value {
    json!({
        "host": connection.host,
        "port": connection.port,
        "username": connection.username,
        "private_key": keypair,
        "remote_host_key": host_keys_for_system(connection).0,
        "connect_timeout": connection.connect_timeout,
    })
}

/// `keychaincredential.create` of an SSH connection using the system's keypair `keypair`.
pub fn create_connection(connection: &Connection, keypair: u64) -> Call {
    calls::keychain_create(json!({"name": connection.name, "type": "SSH_CREDENTIALS",
            "attributes": connection_attributes(connection, keypair)}))
}

/// Updates connection `id` on a system to Keyhaven's values (all of them:
/// `attributes` is replaced whole).
pub fn update_connection(id: u64, connection: &Connection, keypair: u64) -> Call {
    calls::keychain_update(
        id,
        json!({"name": connection.name, "attributes": connection_attributes(connection, keypair)}),
    )
}

/// What installing on one system would do, decided before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeypairStep {
    /// The system already holds this key (by public key): use its id.
    Present {
        /// Its id there.
        id: u64,
        /// Its name there.
        name: String,
    },
    /// Create it under this name.
    Create {
        /// The name.
        name: String,
    },
    /// Another credential has the name: reported, nothing overwritten.
    NameTaken {
        /// The name taken.
        name: String,
    },
}

/// What installing would do with the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionStep {
    /// A connection of that name already matches this one.
    Present {
        /// Its name.
        name: String,
    },
    /// Create it under this name.
    Create {
        /// The name.
        name: String,
    },
    /// The same connection (name and key) with other values there: brought
    /// in line with Keyhaven's (the fields named).
    Update {
        /// Its id there.
        id: u64,
        /// Its name.
        name: String,
        /// The fields that differ.
        fields: Vec<&'static str>,
    },
    /// Another credential has the name: reported, nothing overwritten.
    NameTaken {
        /// The name taken.
        name: String,
    },
}

/// What installing on one system would do: the keypair, the connection, and what is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallPlan {
    /// What happens to the keypair.
    pub keypair: KeypairStep,
    /// What happens to the connection, when there is one.
    pub connection: Option<ConnectionStep>,
    /// Host keys the connection can't take to the system (TrueNAS's
    /// 1024-character field), described for the user.
    pub host_keys_left_out: Vec<String>,
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
        let connection_given = connection;
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
            host_keys_left_out: connection_given
                .map(|c| host_keys_for_system(c).1.left_out_described())
                .unwrap_or_default(),
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
        if !self.host_keys_left_out.is_empty() {
            lines.push(format!(
                "Remote Host Key: left out to fit TrueNAS's 1024 characters: {}",
                self.host_keys_left_out.join(", ")
            ));
        }
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
    // What Keyhaven would store there: its keys fitted to TrueNAS's field.
    if host_keys(&host_keys_for_system(keyhaven).0) != host_keys(&system.remote_host_key) {
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
