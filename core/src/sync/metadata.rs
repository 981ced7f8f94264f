//! Taking in the server's metadata document: refuse what a well-behaved
//! Keyhaven could not have written, merge item by item, and say what is
//! left to push and which of this device's edits lost to later ones.

use crate::model::{Kind, Metadata, Replaced};

/// What taking in the server's copy came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// This browser's copy merged with the server's.
    pub merged: Metadata,
    /// The server lacks something of the merged copy: push it.
    pub pending: bool,
    /// The server's items that were refused, and why.
    pub refused: Vec<(Kind, String, &'static str)>,
    /// This device's edits that lost to later ones made elsewhere.
    pub replaced: Vec<Replaced>,
}

/// Merges the server's document (`bytes`) into `local`. An unreadable
/// document changes nothing here and is replaced by this browser's copy.
pub fn pull(local: &Metadata, bytes: &[u8], device: &str, now_ms: u64) -> Pulled {
    let Ok(mut remote) = Metadata::from_json(bytes) else {
        return Pulled {
            merged: local.clone(),
            pending: true,
            refused: Vec::new(),
            replaced: Vec::new(),
        };
    };
    let refused = remote.refuse_invalid(now_ms);
    let mut merged = local.clone();
    let report = merged.merge(&remote);
    Pulled {
        pending: merged != remote || !refused.is_empty(),
        merged,
        refused,
        replaced: report
            .replaced
            .into_iter()
            .filter(|r| r.by == device)
            .collect(),
    }
}

#[cfg(test)]
mod tests;
