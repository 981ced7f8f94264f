//! Talking to the outside: the Keyhaven server's API, and TrueNAS systems'.

pub mod api;
pub mod truenas;
