//! The fields of the forms Keyhaven shares with TrueNAS, and why a value
//! for one was refused. A refusal is typed ([`crate::Error::Field`]), so a
//! form puts it under its field by value, never by comparing words; a
//! system's own refusal (`-32602`) is read into the same [`Field`].

use std::fmt;

/// A form field, by the seed's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Name.
    Name,
    /// TrueNAS URL (Add System, Semi-automatic setup).
    TrueNasUrl,
    /// Admin Username (Semi-automatic setup).
    AdminUsername,
    /// Admin Password (Semi-automatic setup).
    AdminPassword,
    /// One-Time Password (if necessary).
    OneTimePassword,
    /// Username.
    Username,
    /// Host.
    Host,
    /// Port.
    Port,
    /// Remote Host Key.
    RemoteHostKey,
    /// Connect Timeout.
    ConnectTimeout,
    /// Private Key.
    PrivateKey,
    /// Public Key.
    PublicKey,
}

impl Field {
    /// The label, as the seed writes it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::TrueNasUrl => "TrueNAS URL",
            Self::AdminUsername => "Admin Username",
            Self::AdminPassword => "Admin Password",
            Self::OneTimePassword => "One-Time Password (if necessary)",
            Self::Username => "Username",
            Self::Host => "Host",
            Self::Port => "Port",
            Self::RemoteHostKey => "Remote Host Key",
            Self::ConnectTimeout => "Connect Timeout",
            Self::PrivateKey => "Private Key",
            Self::PublicKey => "Public Key",
        }
    }

    /// The field a TrueNAS attribute is shown in (the part after the
    /// call's schema, as [`crate::truenas::FieldError::field`] gives it);
    /// `None` for one no Keyhaven form has.
    pub fn from_truenas(attribute: &str) -> Option<Self> {
        Some(match attribute {
            "name" => Self::Name,
            "attributes.private_key" | "private_key" => Self::PrivateKey,
            "attributes.public_key" => Self::PublicKey,
            "attributes.host" | "host" => Self::Host,
            "attributes.port" | "port" => Self::Port,
            "attributes.username" | "username" => Self::Username,
            "attributes.remote_host_key" => Self::RemoteHostKey,
            "attributes.connect_timeout" | "connect_timeout" => Self::ConnectTimeout,
            "url" => Self::TrueNasUrl,
            "admin_username" => Self::AdminUsername,
            "password" => Self::AdminPassword,
            "otp_token" => Self::OneTimePassword,
            _ => return None,
        })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a field's value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Empty, and the form needs it.
    Required,
    /// A keypair's or connection's name another credential has (TrueNAS:
    /// names are unique among all keychain credentials).
    CredentialNameTaken,
    /// A system's name another system has.
    SystemNameTaken,
    /// Not a host name or an IP address (the value as typed).
    NotAHost(String),
    /// A URL with another scheme than `http` or `https` (the scheme).
    Scheme(String),
    /// A port outside 1–65535.
    PortRange,
    /// A Connect Timeout outside 1 to the most TrueNAS takes, in seconds.
    ConnectTimeoutRange {
        /// The longest TrueNAS takes.
        max: u32,
    },
    /// Generate New would make a keypair named `name`, a name in use.
    GeneratedNameTaken {
        /// The keypair's name Generate New would use.
        name: String,
    },
    /// The chosen keypair is gone: choose another or Generate New.
    ChooseKeypair,
    /// Generate New keeps the private key in the keyring, which doesn't
    /// exist yet.
    KeyringNeeded,
    /// Generate New keeps the private key in the keyring, which is locked.
    UnlockNeeded,
    /// Remote Host Key is empty: discover or paste the keys.
    HostKeysRequired,
    /// A line of Remote Host Key (1-based) is not a host key.
    NotAHostKey {
        /// Its line number, from 1.
        line: usize,
    },
    /// Remote Host Key holds no key at all.
    NoHostKey,
}

/// The message for `reason` refused in `field`, as the forms say it.
pub(crate) fn message(field: Field, reason: &Reason) -> String {
    match reason {
        Reason::Required => format!("{field} is required"),
        Reason::CredentialNameTaken => "Is already in use by another Keychain Credential".into(),
        Reason::SystemNameTaken => "A system with this name is already registered.".into(),
        Reason::NotAHost(host) => format!("{host:?} is not a valid host name or IP address."),
        Reason::Scheme(scheme) => {
            format!("Use a valid URL scheme: http:// or https://, not {scheme}://.")
        }
        Reason::PortRange => "Enter a port between 1 and 65535.".into(),
        Reason::ConnectTimeoutRange { max } => {
            format!("Enter a Connect Timeout between 1 and {max} seconds.")
        }
        Reason::GeneratedNameTaken { name } => format!(
            "Generate New makes the keypair \"{name}\", a name already in use. Rename it, or choose it as Private Key."
        ),
        Reason::ChooseKeypair => "Private Key: choose a saved keypair or Generate New.".into(),
        Reason::KeyringNeeded => "Generate New stores the private key in the keyring: create a keyring first (Keyring screen).".into(),
        Reason::UnlockNeeded => {
            "Generate New stores the private key in the keyring: unlock it first.".into()
        }
        Reason::HostKeysRequired => "Remote Host Key is required: click Discover Remote Host Key, or paste the remote's keys.".into(),
        Reason::NotAHostKey { line } => format!(
            "Line {line} of Remote Host Key is not an SSH host key. Each line is a key such as \"ssh-ed25519 AAAA…\", as ssh-keyscan prints it."
        ),
        Reason::NoHostKey => "Remote Host Key has no host key.".into(),
    }
}

#[cfg(test)]
mod tests;
