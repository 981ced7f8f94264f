//! Talking to the outside: the Keyhaven server's API.

pub mod api;
