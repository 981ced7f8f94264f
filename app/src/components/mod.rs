//! Pieces the screens share.

mod dialog;
mod status;

pub use dialog::Dialog;
pub use status::{Busy, ErrorLine, OtpField};
