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
        host_keys: include_str!("../../../tests/vectors/host-keys-1058.txt").into(),
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
    // A refusal names its field by value (the form shows it there).
    let refused = m.check_connection_form(
        &ConnectionForm {
            name: "backup".into(),
            ..manual()
        },
        None,
        OPEN,
        "https",
    );
    assert_eq!(
        refused.unwrap_err().about(),
        Some(crate::model::Field::Name)
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
