//! The SSH Connections form's checks (TrueNAS's `ssh-connection-form`),
//! decided without a browser: what a Save with these values would store,
//! or the first thing wrong, in words for the user.

use super::{Connection, Field, Metadata, Reason, validate};
use crate::{Error, ssh};

/// What the form holds when Save is pressed.
#[derive(Debug, Clone, Default)]
pub struct ConnectionForm {
    /// Name.
    pub name: String,
    /// Semi-automatic (TrueNAS only), as opposed to Manual.
    pub semi_automatic: bool,
    /// TrueNAS URL (semi-automatic).
    pub url: String,
    /// Admin Username (semi-automatic).
    pub admin_username: String,
    /// Whether Admin Password was filled in (semi-automatic).
    pub admin_password_given: bool,
    /// Username.
    pub username: String,
    /// A saved keypair's id; `None` is Generate New.
    pub keypair: Option<String>,
    /// Host (manual).
    pub host: String,
    /// Port (manual), as typed.
    pub port: String,
    /// Remote Host Key (manual), as pasted.
    pub host_keys: String,
    /// Connect Timeout (seconds), as typed.
    pub timeout: String,
}

/// Whether the account has a keyring, and whether this tab unlocked it
/// (Generate New stores the private key in it).
#[derive(Debug, Clone, Copy)]
pub struct KeyringState {
    /// The account has a keyring.
    pub exists: bool,
    /// The keyring is unlocked.
    pub unlocked: bool,
}

/// A form that passed: the connection to store (host, port and host keys
/// come later for Semi-automatic; the keypair id is empty for Generate
/// New), and the TrueNAS URL to pair with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedConnection {
    /// The connection to store.
    pub connection: Connection,
    /// The normalized TrueNAS URL (Semi-automatic only).
    pub url: Option<String>,
    /// Generate New: make the keypair `<name> Key` at Save.
    pub generate: bool,
    /// Host keys left out to fit TrueNAS's 1024 characters (Manual), described.
    pub host_keys_left_out: Vec<String>,
}

impl Metadata {
    /// Checks the form as TrueNAS does, field by field in its order.
    /// `editing` is the connection being edited (its own name is free).
    pub fn check_connection_form(
        &self,
        form: &ConnectionForm,
        editing: Option<&str>,
        keyring: KeyringState,
        page_scheme: &str,
    ) -> Result<CheckedConnection, Error> {
        let name = form.name.trim().to_owned();
        self.check_credential_name(&name, editing)?;
        let generate = form.keypair.is_none();
        match &form.keypair {
            None => {
                let generated = format!("{name} Key");
                if self.check_credential_name(&generated, None).is_err() {
                    let reason = Reason::GeneratedNameTaken { name: generated };
                    return Err(Error::field(Field::PrivateKey, reason));
                }
            }
            Some(id) if self.keypair(id).is_none() => {
                return Err(Error::field(Field::PrivateKey, Reason::ChooseKeypair));
            }
            Some(_) => {}
        }
        let username = form.username.trim().to_owned();
        if username.is_empty() {
            return Err(Error::field(Field::Username, Reason::Required));
        }
        let connect_timeout = validate::check_connect_timeout(&form.timeout)?;
        if generate && !keyring.exists {
            return Err(Error::field(Field::PrivateKey, Reason::KeyringNeeded));
        }
        if generate && !keyring.unlocked {
            return Err(Error::field(Field::PrivateKey, Reason::UnlockNeeded));
        }
        let mut connection = Connection {
            name,
            host: String::new(),
            port: 22,
            username,
            keypair_id: form.keypair.clone().unwrap_or_default(),
            remote_host_keys: String::new(),
            connect_timeout,
        };
        let mut url = None;
        let mut host_keys_left_out = Vec::new();
        if form.semi_automatic {
            url = Some(validate::normalize_truenas_url(&form.url, page_scheme)?);
            if form.admin_username.trim().is_empty() {
                return Err(Error::field(Field::AdminUsername, Reason::Required));
            }
            if !form.admin_password_given {
                return Err(Error::field(Field::AdminPassword, Reason::Required));
            }
        } else {
            connection.host = validate::host_from_input(&form.host)?;
            connection.port = validate::check_port(&form.port)?;
            if form.host_keys.trim().is_empty() {
                return Err(Error::field(Field::RemoteHostKey, Reason::HostKeysRequired));
            }
            // Kept as a system would store them, so an install sends them
            // all; what did not fit is said at Save.
            let fitted = ssh::fit_host_keys(&ssh::parse_host_keys(&form.host_keys)?);
            connection.remote_host_keys = fitted.text();
            host_keys_left_out = fitted.left_out_described();
        }
        Ok(CheckedConnection {
            connection,
            url,
            generate,
            host_keys_left_out,
        })
    }
}

#[cfg(test)]
mod tests;
