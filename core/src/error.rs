/// The one error type of `keyhaven-core`.
///
/// Messages are written for the person using the app: they say what went
/// wrong and, where it helps, what to do next. They never contain secrets.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// A private or public key the user gave can't be used: why.
    #[error("{0}")]
    Key(KeyProblem),

    /// A keyring operation refused its input: why.
    #[error("{0}")]
    Keyring(KeyringProblem),

    /// The metadata document refused an operation or can't be read: why.
    #[error("{0}")]
    Metadata(MetadataProblem),

    /// A cryptographic library failed at a step that does not fail on
    /// good input (an RNG or allocation failure): which step.
    #[error("Keyhaven could not {0}. Try again; if it keeps failing, reload the page.")]
    Failed(Step),

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
            Self::Key(problem) => Some(problem.field()),
            _ => None,
        }
    }
}

/// Why a private or public key can't be used.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// Neither key was given.
    #[error("You must specify a key")]
    Missing,
    /// A public key without its private key.
    #[error("Private key is required")]
    PrivateKeyRequired,
    /// The public key given is not the private key's.
    #[error("Private key and public key do not match")]
    Mismatch,
    /// The public key line can't be read.
    #[error("Invalid public key")]
    BadPublicKey,
    /// A public key where the private key goes.
    #[error("That is a public key. Paste the private key here, and the public key below.")]
    PublicWherePrivate,
    /// Not a private key format Keyhaven reads.
    #[error(
        "That is not a private key Keyhaven can read. Use an OpenSSH key (BEGIN OPENSSH PRIVATE KEY), or PEM (BEGIN RSA / EC / PRIVATE KEY)."
    )]
    Unreadable,
    /// Encrypted the old PEM way (`Proc-Type`, PKCS#8 encryption).
    #[error(
        "This key is encrypted in an old PEM format. Convert it first: ssh-keygen -p -f KEYFILE (it keeps the passphrase and writes OpenSSH format)."
    )]
    OldEncryption,
    /// The PEM block has no end line.
    #[error("The key is cut short: its last line, -----END {label}-----, is missing.")]
    CutShort {
        /// The block's label (`OPENSSH PRIVATE KEY`).
        label: String,
    },
    /// The passphrase does not decrypt the key.
    #[error("Wrong passphrase for this private key. Check it and try again.")]
    WrongPassphrase,
    /// The key's bcrypt-pbkdf settings are outside what OpenSSH writes.
    #[error("This key's encryption settings are out of range.")]
    EncryptionOutOfRange,
    /// DER that is not an RSA private key.
    #[error("That is not an RSA private key in PKCS#1 or PKCS#8 form.")]
    NotRsa,
    /// An RSA key with more than two primes.
    #[error("Multi-prime RSA keys can't be used for SSH.")]
    MultiPrimeRsa,
    /// An RSA key below OpenSSH's minimum.
    #[error("This RSA key has {bits} bits; SSH needs at least 1024 (2048 or more is advisable).")]
    RsaTooShort {
        /// Its modulus's size.
        bits: usize,
    },
    /// An RSA size Keyhaven does not generate.
    #[error("RSA keys are 2048, 3072 or 4096 bits, not {bits}.")]
    RsaSize {
        /// The size asked for.
        bits: usize,
    },
    /// A SEC1 EC key written without its public point.
    #[error(
        "This EC key file lacks its public key. Convert it with: ssh-keygen -p -f KEYFILE (it writes OpenSSH format)."
    )]
    EcLacksPublic,
    /// An EC key that can't be read.
    #[error("That EC private key can't be read: it is damaged or of an unknown form.")]
    EcUnreadable,
}

impl KeyProblem {
    /// The keypair form's field the problem is shown under.
    pub fn field(&self) -> crate::model::Field {
        match self {
            Self::Mismatch | Self::BadPublicKey => crate::model::Field::PublicKey,
            _ => crate::model::Field::PrivateKey,
        }
    }
}

/// Why a keyring operation refused its input.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeyringProblem {
    /// The keyring's name is empty or too long.
    #[error("The keyring name must be 1 to {max} characters.")]
    NameLength {
        /// The longest name.
        max: usize,
    },
    /// The keyring holds as many entries as it can.
    #[error("The keyring is full.")]
    Full,
    /// One value is larger than an entry holds.
    #[error("That value is too large to store.")]
    ValueTooLarge,
    /// An entry id outside the id alphabet (a bug, not user input).
    #[error("{0:?} is not a valid keyring entry id")]
    EntryId(String),
    /// Merging or re-keying with a keyring of another id.
    #[error("That is a different keyring (it was reset or re-created elsewhere).")]
    Different,
    /// Text that is not a recovery code.
    #[error("That is not a recovery code: it has 32 letters and digits in groups of four.")]
    NotARecoveryCode,
}

/// Why the metadata document refused an operation or can't be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum MetadataProblem {
    /// Larger than a document may be.
    #[error("The stored metadata is too large to read.")]
    TooLarge,
    /// Not a metadata document.
    #[error("The stored metadata can't be read.")]
    Unreadable,
    /// Restore mine on an item with no sealed earlier version.
    #[error("There is no sealed earlier version of this item to restore.")]
    NothingToRestore,
    /// The item is gone.
    #[error("That item no longer exists.")]
    ItemGone,
    /// A sealed copy lacks a value the item's kind pins (its label).
    #[error("The sealed copy has no valid {0}.")]
    SealedCopyLacks(&'static str),
}

/// A step of a cryptographic library that fails only on a broken platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Generating a keypair.
    GenerateKey,
    /// Encrypting a private key with its passphrase.
    EncryptKey,
    /// Writing a private key in OpenSSH form.
    WriteKey,
    /// Encrypting a keyring entry.
    Encrypt,
    /// Deriving a key from a passphrase.
    DeriveKey,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::GenerateKey => "generate the key",
            Self::EncryptKey => "encrypt the key with its passphrase",
            Self::WriteKey => "write the key file",
            Self::Encrypt => "encrypt the entry",
            Self::DeriveKey => "derive the key from the passphrase",
        })
    }
}
