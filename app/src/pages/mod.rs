//! One module per screen.

mod backup_credentials;
mod dashboard;
mod keyring;
mod not_found;
mod signin;

pub use backup_credentials::BackupCredentialsPage;
pub use dashboard::DashboardPage;
pub use keyring::{CreateKeyring, KeyringPage, RecoveryCodeDialog, UnlockPrompt};
pub use not_found::NotFoundPage;
pub use signin::SignInPage;
