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
