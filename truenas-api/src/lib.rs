//! TrueNAS's own parameter schemas for every method Keyhaven calls
//! (`schemas/`, generated from the middleware's Pydantic models at each
//! release), and [`validate`]: a call read as the middleware reads it, with
//! its error messages and attribute paths.
//!
//! The schemas don't carry two rules the middleware enforces, so this does
//! (`reference/truenas.md`, "The real API's contract"):
//! - validation is strict: no `"1"` for `1`, no `1.0` for an integer;
//! - every plain string is at most 1024 characters, except the
//!   `LongString` fields (private and public keys, a user's `sshpubkey`).
//!
//! Used by the TrueNAS simulator (every request it answers) and by core's
//! tests (every call builder), so neither can drift from the real API.

mod schema;

use serde_json::Value;

pub use schema::Violation;

/// The API versions Keyhaven knows, oldest first. Each is also the
/// versioned endpoint a system of that release serves (`/api/v25.10.2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    V25_04_2,
    V25_10_2,
    V26_0_0,
}

impl Version {
    pub const ALL: [Version; 3] = [Self::V25_04_2, Self::V25_10_2, Self::V26_0_0];

    /// `25.04.2`, as in `/api/v25.04.2`.
    pub fn name(self) -> &'static str {
        match self {
            Self::V25_04_2 => "25.04.2",
            Self::V25_10_2 => "25.10.2",
            Self::V26_0_0 => "26.0.0",
        }
    }

    /// Reads `25.04.2` (or `26.0`, short for `26.0.0`).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim().trim_start_matches('v');
        Self::ALL
            .into_iter()
            .find(|v| v.name() == name || v.name().strip_suffix(".0") == Some(name))
    }

    fn dir(self) -> &'static str {
        match self {
            Self::V25_04_2 => "v25_04_2",
            Self::V25_10_2 => "v25_10_2",
            Self::V26_0_0 => "v26_0_0",
        }
    }
}

/// `(version dir, method, schema text)` for every file under `schemas/`.
const SCHEMAS: &[(&str, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/schemas.rs"));

/// The parameter schema of `method` in `version`. 25.04.2 had no Pydantic
/// model yet for `system.info`, `ssh.config` and `replication.list_datasets`;
/// their parameters were those of 25.10.2, whose schema stands in.
pub fn schema(version: Version, method: &str) -> Option<Value> {
    let find = |dir: &str| {
        SCHEMAS
            .iter()
            .find(|(d, m, _)| *d == dir && *m == method)
            .map(|(_, _, text)| serde_json::from_str(text).expect("a schema file is JSON"))
    };
    find(version.dir()).or_else(|| {
        (version == Version::V25_04_2)
            .then(|| find(Version::V25_10_2.dir()))
            .flatten()
    })
}

/// Every method with a schema in `version`.
pub fn methods(version: Version) -> Vec<&'static str> {
    let mut out: Vec<&str> = SCHEMAS
        .iter()
        .filter(|(d, _, _)| *d == version.dir() || *d == Version::V25_10_2.dir())
        .map(|(_, m, _)| *m)
        .filter(|m| schema(version, m).is_some())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether the method is private (`private=True`): `/api/current` runs it
/// with a logged warning, versioned endpoints answer that it does not exist.
pub fn is_private(version: Version, method: &str) -> bool {
    schema(version, method).is_some_and(|s| s["x-truenas"]["private"] == Value::Bool(true))
}

/// Why a call would be refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No schema for it: not a method this version has (or one Keyhaven
    /// doesn't call, so nothing here can vouch for it).
    UnknownMethod,
    /// `-32602`: what the middleware's validation reports, in its order.
    Invalid(Vec<Violation>),
}

/// Validates `params` (the JSON-RPC array) for `method` as TrueNAS
/// `version`'s middleware does.
pub fn validate(version: Version, method: &str, params: &[Value]) -> Result<(), Refusal> {
    let schema = schema(version, method).ok_or(Refusal::UnknownMethod)?;
    let violations = schema::check_params(&schema, params);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Refusal::Invalid(violations))
    }
}

#[cfg(test)]
mod tests;
