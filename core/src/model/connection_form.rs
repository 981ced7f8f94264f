//! The SSH Connections form's checks (TrueNAS's `ssh-connection-form`),
//! decided without a browser: what a Save with these values would store,
//! or the first thing wrong, in words for the user.

use super::{Connection, Metadata, validate};
use crate::{Error, ssh};

/// What the form holds when Save is pressed.
#[derive(Debug, Clone, Default)]
pub struct ConnectionForm {
    pub name: String,
    /// Semi-automatic (TrueNAS only), as opposed to Manual.
    pub semi_automatic: bool,
    pub url: String,
    pub admin_username: String,
    pub admin_password_given: bool,
    pub username: String,
    /// A saved keypair's id; `None` is Generate New.
    pub keypair: Option<String>,
    pub host: String,
    pub port: String,
    pub host_keys: String,
    pub timeout: String,
}

/// Whether the account has a keyring, and whether this tab unlocked it
/// (Generate New stores the private key in it).
#[derive(Debug, Clone, Copy)]
pub struct KeyringState {
    pub exists: bool,
    pub unlocked: bool,
}

/// A form that passed: the connection to store (host, port and host keys
/// come later for Semi-automatic; the keypair id is empty for Generate
/// New), and the TrueNAS URL to pair with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedConnection {
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
        let invalid = |message: String| Error::Invalid(message);
        let name = form.name.trim().to_owned();
        self.check_credential_name(&name, editing)
            .map_err(|e| invalid(format!("Name: {e}")))?;
        let generate = form.keypair.is_none();
        match &form.keypair {
            None => self
                .check_credential_name(&format!("{name} Key"), None)
                .map_err(|_| {
                    invalid(format!(
                        "Generate New makes the keypair \"{name} Key\", a name already in use. Rename it, or choose it as Private Key."
                    ))
                })?,
            Some(id) if self.keypair(id).is_none() => {
                return Err(invalid(
                    "Private Key: choose a saved keypair or Generate New.".into(),
                ));
            }
            Some(_) => {}
        }
        let username = form.username.trim().to_owned();
        if username.is_empty() {
            return Err(invalid("Username is required".into()));
        }
        let connect_timeout = validate::check_connect_timeout(&form.timeout)?;
        if generate && !keyring.exists {
            return Err(invalid("Generate New stores the private key in the keyring: create a keyring first (Keyring screen).".into()));
        }
        if generate && !keyring.unlocked {
            return Err(invalid(
                "Generate New stores the private key in the keyring: unlock it first.".into(),
            ));
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
            url = Some(
                validate::normalize_truenas_url(&form.url, page_scheme)
                    .map_err(|e| invalid(format!("TrueNAS URL: {e}")))?,
            );
            if form.admin_username.trim().is_empty() {
                return Err(invalid("Admin Username is required".into()));
            }
            if !form.admin_password_given {
                return Err(invalid("Admin Password is required".into()));
            }
        } else {
            connection.host = validate::host_from_input(&form.host)?;
            connection.port = validate::check_port(&form.port)?;
            if form.host_keys.trim().is_empty() {
                return Err(invalid("Remote Host Key is required: click Discover Remote Host Key, or paste the remote's keys.".into()));
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
mod tests {
    use super::*;
    use crate::model::Keypair;

    const HOST_KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMt2Xmf3SGi1gTxbZFz1QTWbN3ObzMZl6wU2VKqJJX0F";

    fn metadata() -> Metadata {
        let mut m = Metadata::default();
        let keypair = Keypair {
            name: "backup".into(),
            key_type: "ssh-ed25519".into(),
            public_key: HOST_KEY.into(),
            fingerprint: "SHA256:x".into(),
        };
        m.put_keypair("k1", keypair, 1, "d");
        m
    }

    fn manual() -> ConnectionForm {
        ConnectionForm {
            name: " offsite ".into(),
            username: "root".into(),
            keypair: Some("k1".into()),
            host: "nas2.lan".into(),
            port: "22".into(),
            host_keys: format!("nas2.lan {HOST_KEY}"),
            timeout: "10".into(),
            ..ConnectionForm::default()
        }
    }

    const OPEN: KeyringState = KeyringState {
        exists: true,
        unlocked: true,
    };

    fn message(result: Result<CheckedConnection, Error>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn a_manual_connection_is_stored_as_truenas_stores_it() {
        let checked = metadata()
            .check_connection_form(&manual(), None, OPEN, "https")
            .unwrap();
        assert_eq!(checked.connection.name, "offsite");
        assert_eq!(checked.connection.keypair_id, "k1");
        assert_eq!(checked.connection.remote_host_keys, HOST_KEY);
        assert_eq!(checked.url, None);
        assert!(!checked.generate);
        assert!(checked.host_keys_left_out.is_empty());
    }

    #[test]
    fn host_keys_over_truenas_limit_are_fitted_and_named() {
        let form = ConnectionForm {
            host_keys: include_str!("../../tests/vectors/host-keys-1058.txt").into(),
            ..manual()
        };
        let checked = metadata()
            .check_connection_form(&form, None, OPEN, "https")
            .unwrap();
        assert!(checked.connection.remote_host_keys.len() <= 1024);
        assert_eq!(checked.connection.remote_host_keys.lines().count(), 2);
        assert_eq!(checked.host_keys_left_out.len(), 1);
        assert!(checked.host_keys_left_out[0].starts_with("RSA 4096 SHA256:"));
    }

    #[test]
    fn each_field_says_what_is_wrong() {
        let m = metadata();
        let check = |form: ConnectionForm, keyring| {
            message(m.check_connection_form(&form, None, keyring, "https"))
        };
        assert!(
            check(
                ConnectionForm {
                    name: "backup".into(),
                    ..manual()
                },
                OPEN
            )
            .starts_with("Name: ")
        );
        assert_eq!(
            check(
                ConnectionForm {
                    keypair: Some("gone".into()),
                    ..manual()
                },
                OPEN
            ),
            "Private Key: choose a saved keypair or Generate New."
        );
        assert_eq!(
            check(
                ConnectionForm {
                    username: " ".into(),
                    ..manual()
                },
                OPEN
            ),
            "Username is required"
        );
        assert!(
            check(
                ConnectionForm {
                    host_keys: String::new(),
                    ..manual()
                },
                OPEN
            )
            .starts_with("Remote Host Key is required")
        );
        assert_eq!(
            check(
                ConnectionForm {
                    port: "70000".into(),
                    ..manual()
                },
                OPEN
            ),
            "Enter a port between 1 and 65535."
        );
    }

    #[test]
    fn generate_new_needs_a_free_name_and_an_unlocked_keyring() {
        let mut m = metadata();
        let generate = ConnectionForm {
            keypair: None,
            ..manual()
        };
        let locked = KeyringState {
            exists: true,
            unlocked: false,
        };
        let none = KeyringState {
            exists: false,
            unlocked: false,
        };
        assert!(
            message(m.check_connection_form(&generate, None, locked, "https"))
                .ends_with("unlock it first.")
        );
        assert!(
            message(m.check_connection_form(&generate, None, none, "https"))
                .contains("create a keyring first")
        );
        let checked = m
            .check_connection_form(&generate, None, OPEN, "https")
            .unwrap();
        assert!(checked.generate);
        assert_eq!(checked.connection.keypair_id, "");

        let taken = Keypair {
            name: "offsite Key".into(),
            key_type: "ssh-ed25519".into(),
            public_key: HOST_KEY.into(),
            fingerprint: "SHA256:y".into(),
        };
        m.put_keypair("k2", taken, 2, "d");
        assert!(
            message(m.check_connection_form(&generate, None, OPEN, "https"))
                .starts_with("Generate New makes the keypair \"offsite Key\"")
        );
    }

    #[test]
    fn semi_automatic_needs_the_url_and_the_admin_and_gets_the_page_scheme() {
        let m = metadata();
        let semi = ConnectionForm {
            semi_automatic: true,
            url: "nas2.lan".into(),
            admin_username: "root".into(),
            admin_password_given: true,
            host_keys: String::new(),
            ..manual()
        };
        let checked = m.check_connection_form(&semi, None, OPEN, "https").unwrap();
        assert_eq!(checked.url.as_deref(), Some("https://nas2.lan"));
        let no_password = ConnectionForm {
            admin_password_given: false,
            ..semi.clone()
        };
        assert_eq!(
            message(m.check_connection_form(&no_password, None, OPEN, "https")),
            "Admin Password is required"
        );
        let no_admin = ConnectionForm {
            admin_username: String::new(),
            ..semi
        };
        assert_eq!(
            message(m.check_connection_form(&no_admin, None, OPEN, "https")),
            "Admin Username is required"
        );
    }
}
