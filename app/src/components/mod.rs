//! Pieces the screens share.

mod actions;
mod dialog;
mod status;

pub use actions::FormActions;
pub use dialog::Dialog;
pub use status::{Busy, ErrorLine, OtpField};
