//! Live sync's one decision: whether a change the server announced
//! (`GET /api/v1/events`) is one this browser lacks, so it pulls.

/// The blobs this browser keeps, and the tags it holds of them.
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    /// The metadata's tag this browser holds.
    pub metadata: Option<&'a str>,
    /// The keyring's tag this browser holds.
    pub keyring: Option<&'a str>,
}

/// An announcement as the stream sends it: `name` is `None` when the
/// server missed some (pull everything), `tag` is `None` for a deletion.
pub fn is_news(name: Option<&str>, tag: Option<&str>, held: Held<'_>) -> bool {
    let held = match name {
        Some("metadata") => held.metadata,
        Some("keyring") => held.keyring,
        // A blob this app doesn't keep.
        Some(_) => return false,
        None => return true,
    };
    // This browser's own write comes back with the tag it already holds.
    tag.is_none() || held != tag
}

#[cfg(test)]
mod tests;
