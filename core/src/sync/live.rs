//! Live sync's one decision: whether a change the server announced
//! (`GET /api/v1/events`) is one this browser lacks, so it pulls.

/// The blobs this browser keeps, and the tags it holds of them.
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    pub metadata: Option<&'a str>,
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
mod tests {
    use super::*;

    const HELD: Held<'static> = Held {
        metadata: Some("m1"),
        keyring: Some("k1"),
    };

    #[test]
    fn a_tag_this_browser_holds_is_its_own_write() {
        assert!(!is_news(Some("metadata"), Some("m1"), HELD));
        assert!(!is_news(Some("keyring"), Some("k1"), HELD));
    }

    #[test]
    fn another_tag_a_deletion_or_missed_announcements_pull() {
        assert!(is_news(Some("metadata"), Some("m2"), HELD));
        assert!(is_news(Some("keyring"), Some("m1"), HELD));
        assert!(is_news(Some("keyring"), None, HELD));
        assert!(is_news(None, None, HELD));
        let nothing = Held {
            metadata: None,
            keyring: None,
        };
        assert!(is_news(Some("metadata"), Some("m1"), nothing));
    }

    #[test]
    fn blobs_the_app_does_not_keep_are_ignored() {
        assert!(!is_news(Some("something-else"), Some("x"), HELD));
    }
}
