//! The simulator's pieces, as a library so its tests (and the e2e suite's
//! helpers) can use the same TOTP code.

pub mod errors;
pub mod keychain;
pub mod rpc;
pub mod semiautomatic;
pub mod ssh;
pub mod state;
pub mod totp;
pub mod users;
