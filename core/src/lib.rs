//! Keyhaven's core: everything that is pure logic, shared by the browser app
//! (wasm32) and the server (native).
//!
//! This crate does no I/O: no files, no network, no clocks it reads itself,
//! no global state. Callers pass in what it needs (bytes, times, randomness
//! sources), which is what lets the same code run in a Web Worker, in the
//! server and under `cargo test`/`cargo fuzz`.

// Everything public here is the app's and the server's vocabulary: say
// what it is.
#![warn(missing_docs)]

pub mod api;
mod error;
pub mod fleet;
pub mod keyring;
pub mod model;
pub mod ssh;
pub mod sync;
#[cfg(test)]
mod testing;
pub mod truenas;

pub use error::{Error, KeyProblem, KeyringProblem, MetadataProblem, Step};
