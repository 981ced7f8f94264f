/// The one error type of `keyhaven-core`.
///
/// Messages are written for the person using the app: they say what went
/// wrong and, where it helps, what to do next. They never contain secrets.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// Input that does not have the expected shape; the message says why.
    #[error("{0}")]
    Invalid(String),

    /// A form field's value was refused: which field, and why (the form
    /// shows it under that field).
    #[error("{}", crate::model::field::message(*field, reason))]
    Field {
        /// The field.
        field: crate::model::Field,
        /// Why.
        reason: crate::model::Reason,
    },

    /// Stored bytes that can't be read (cut short, corrupted, not ours).
    #[error("The keyring can't be read: {0}.")]
    Damaged(String),

    /// The passphrase does not open the keyring.
    #[error("Wrong passphrase. Check it (and Caps Lock) and try again.")]
    WrongPassphrase,

    /// The recovery code does not open the keyring.
    #[error("That recovery code does not unlock this keyring.")]
    WrongRecoveryCode,

    /// A recovery code was asked for, and the keyring has none.
    #[error("This keyring has no recovery code.")]
    NoRecoveryCode,

    /// Authenticated data did not verify under the right key: someone
    /// without the key changed the stored keyring.
    #[error(
        "The stored keyring was altered by someone without its key: {0}. Nothing was changed here."
    )]
    Tampered(String),

    /// The keyring is older than one this client has already seen.
    #[error(
        "The server sent an older keyring (revision {found}) than this browser has already seen (revision {seen}). It may have been rolled back; nothing was overwritten."
    )]
    /// Older than the highest revision seen: `found` is below `seen`.
    RolledBack {
        /// The highest revision seen before.
        seen: u64,
        /// The revision the server sent.
        found: u64,
    },
}

impl Error {
    /// A refusal of `field` for `reason`.
    pub fn field(field: crate::model::Field, reason: crate::model::Reason) -> Self {
        Self::Field { field, reason }
    }

    /// The form field this error is about, if it is about one.
    pub fn about(&self) -> Option<crate::model::Field> {
        match self {
            Self::Field { field, .. } => Some(*field),
            _ => None,
        }
    }
}
