//! Pieces the screens share.

mod actions;
mod dialog;
mod insecure_context;
mod status;
mod submit;
mod sync_status;
mod trust_notices;

pub use actions::FormActions;
pub use dialog::Dialog;
pub use insecure_context::is_secure_context;
pub use status::{Busy, ErrorLine, OtpField};
pub use submit::Submit;
pub use sync_status::{Banners, SyncStatus};
