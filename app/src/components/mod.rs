//! Pieces the screens share.

mod dialog;

pub use dialog::Dialog;
