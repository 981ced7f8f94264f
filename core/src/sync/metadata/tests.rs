use super::*;
use crate::model::System;

const T0: u64 = 1_763_700_000_000;

fn system(url: &str) -> System {
    System {
        name: "nas1".into(),
        url: url.into(),
        api_username: None,
        api_key_id: None,
    }
}

#[test]
fn edits_on_both_sides_survive_and_ours_are_pushed() {
    let mut local = Metadata::default();
    local.put_system("s1", system("https://nas1.lan"), T0, "here");
    let mut remote = Metadata::default();
    remote.put_system("s2", system("https://nas2.lan"), T0, "there");
    let pulled = pull(&local, &remote.to_json(), "here", T0);
    assert!(pulled.merged.system("s1").is_some() && pulled.merged.system("s2").is_some());
    assert!(pulled.pending, "s1 is not on the server yet");
    // The server already has everything: nothing to push.
    let again = pull(&pulled.merged, &pulled.merged.to_json(), "here", T0);
    assert!(!again.pending);
    assert_eq!(again.merged, pulled.merged);
}

#[test]
fn a_later_edit_elsewhere_replaces_ours_and_we_are_told() {
    let mut local = Metadata::default();
    local.put_system("s1", system("https://nas1.lan"), T0, "here");
    let mut remote = local.clone();
    remote.put_system("s1", system("https://nas1.lan:8443"), T0 + 5, "there");
    let pulled = pull(&local, &remote.to_json(), "here", T0 + 10);
    assert_eq!(
        pulled.merged.system("s1").unwrap().url,
        "https://nas1.lan:8443"
    );
    assert_eq!(pulled.replaced.len(), 1);
    assert!(!pulled.pending);
    // Another device's edit that lost is not this device's to hear of.
    let pulled = pull(&remote, &local.to_json(), "elsewhere", T0 + 10);
    assert!(pulled.replaced.is_empty());
}

#[test]
fn hostile_items_are_refused_and_ours_pushed_back() {
    let mut local = Metadata::default();
    local.put_system("s1", system("https://nas1.lan"), T0, "here");
    let mut json: serde_json::Value = serde_json::from_slice(&local.to_json()).unwrap();
    json["systems"]["s1"]["value"]["url"] = "file:///etc/passwd".into();
    json["systems"]["s1"]["updated"] = (T0 + 1).into();
    let pulled = pull(&local, json.to_string().as_bytes(), "here", T0);
    assert_eq!(pulled.merged, local, "nothing changed here");
    assert_eq!(pulled.refused.len(), 1);
    assert!(pulled.pending, "ours goes back to the server");
}

#[test]
fn an_unreadable_document_changes_nothing_and_is_replaced() {
    let mut local = Metadata::default();
    local.put_system("s1", system("https://nas1.lan"), T0, "here");
    let pulled = pull(&local, b"{not json", "here", T0);
    assert_eq!(pulled.merged, local);
    assert!(pulled.pending);
}

/// A system deleted on the server while its API key is still in the
/// keyring is an unproven deletion; one whose key is gone is not.
#[test]
fn a_deletion_the_keyring_contradicts_is_orphaned() {
    let mut before = Metadata::default();
    before.put_system("s1", system("https://nas1.lan"), T0, "here");
    before.put_system("s2", system("https://nas2.lan"), T0, "here");
    let mut after = before.clone();
    after.remove_system("s1", T0 + 5, "server");
    after.remove_system("s2", T0 + 5, "there");
    let holds = |entry: &str| entry == api_key_id("s1");
    let found = orphaned(&before, &after, holds);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "s1");
    // Put back: live again, newer than the deletion, as it was.
    let mut restored = after.clone();
    restored.reinstate("s1", &found[0].snapshot, T0 + 1, "here");
    assert_eq!(restored.system("s1"), before.system("s1"));
    assert!(restored.systems["s1"].updated > after.systems["s1"].updated);
}
