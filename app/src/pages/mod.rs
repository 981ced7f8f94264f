//! One module per screen.

mod backup_credentials;
mod dashboard;
mod keyring;
mod not_found;
mod signin;

pub use backup_credentials::BackupCredentials;
pub use dashboard::Dashboard;
pub use keyring::{CreateKeyring, Keyring, RecoveryCodeDialog, UnlockPrompt};
pub use not_found::NotFound;
pub use signin::SignIn;
