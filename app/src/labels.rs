//! How the app names things for the user, wherever it tells them.

use keyhaven_core::model::Kind;

/// "System “nas1”" and the like, for notices.
pub fn item(kind: Kind, name: &str) -> String {
    let what = match kind {
        Kind::System => "TrueNAS system",
        Kind::Keypair => "SSH Keypair",
        Kind::Connection => "SSH Connection",
    };
    format!("{what} “{name}”")
}
