//! One module per screen.

mod backup_credentials;
mod dashboard;
mod keyring;
mod not_found;
mod signin;

pub use backup_credentials::backup_credentials_page;
pub use dashboard::DashboardPage;
pub use keyring::{RecoveryCodeDialog, UnlockPrompt, create_keyring, keyring_page};
pub use not_found::NotFoundPage;
pub use signin::SignInPage;
