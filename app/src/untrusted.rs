//! Why no secret is sent for an item: its seal does not verify. Kept apart
//! from `trust` (which reads the state) so errors can name it without a
//! circle.

use keyhaven_core::model::{Kind, Trust};

/// Why a secret was not sent for an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    /// What the item is.
    pub kind: Kind,
    /// Its name, when the message is read away from it (else "this …").
    pub name: Option<String>,
    /// What is wrong with its seal.
    pub why: Distrust,
}

/// What is wrong with an item's seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distrust {
    /// Not sealed with this keyring yet.
    NotConfirmed,
    /// Changed outside the keyring (or sealed under another).
    ChangedOutside,
}

impl Untrusted {
    /// Why `trust` refuses a secret for the item, if it does.
    pub fn of(kind: Kind, trust: Option<Trust>) -> Option<Self> {
        let why = match trust? {
            Trust::Verified => return None,
            Trust::Unsealed => Distrust::NotConfirmed,
            Trust::Changed { .. } | Trust::Foreign => Distrust::ChangedOutside,
        };
        Some(Self {
            kind,
            name: None,
            why,
        })
    }

    /// The same, naming the item.
    pub fn named(self, name: &str) -> Self {
        Self {
            name: Some(name.to_owned()),
            ..self
        }
    }
}

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match (&self.name, self.kind) {
            // (Its name is sealed too: a swapped name is a change.)
            (None, Kind::System) => "this system".to_owned(),
            (None, Kind::Keypair) => "this keypair".to_owned(),
            (None, Kind::Connection) => "this connection".to_owned(),
            (Some(name), Kind::System) => format!("the system {name}"),
            (Some(name), Kind::Keypair) => format!("the keypair {name}"),
            (Some(name), Kind::Connection) => format!("the connection {name}"),
        };
        match self.why {
            Distrust::NotConfirmed => write!(
                f,
                "{what} is not confirmed with your keyring yet: confirm it in the notice above"
            ),
            Distrust::ChangedOutside => write!(
                f,
                "{what} was changed outside your keyring: restore yours or accept the change in the notice above"
            ),
        }
    }
}
