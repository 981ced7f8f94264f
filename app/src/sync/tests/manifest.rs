//! The metadata's manifest through the engine: raised and remembered on
//! proof, and what a hostile server does to the document (replay, roll
//! back) shown for what it is, unlocked or at the next unlock.

use std::rc::Rc;

use keyhaven_core::{
    api::BlobName,
    model::{Kind, Metadata, Trust},
    sync::metadata::NoProof,
};

use super::{
    Notice, SyncKind, add_system, browser, edges::Store, first_browser, second_browser, sync,
    system, unlock,
};
use crate::sync::tests::edges::{Disk, TestEngine};

fn trust(engine: &TestEngine, id: &str) -> Option<Trust> {
    engine
        .with_unlocked(|k| {
            engine
                .replicas()
                .metadata
                .metadata
                .trust(Kind::System, id, k)
        })
        .flatten()
}

fn move_nas1(engine: &TestEngine, url: &str) {
    futures::executor::block_on(engine.edit_metadata(|m, now, by| {
        m.put_system(
            "nas1",
            keyhaven_core::model::System {
                url: url.into(),
                ..system("nas1")
            },
            now,
            by,
        );
    }));
}

/// The server's document with nas1 as `old` had it (seal included),
/// stamped later than anything: a replay the seal alone can't tell.
fn replay_nas1(store: &Store, old: &Metadata) {
    let mut now = Metadata::from_json(&store.bytes(BlobName::Metadata).unwrap()).unwrap();
    let mut item = old.systems["nas1"].clone();
    item.updated = now.systems["nas1"].updated + 1;
    now.systems.insert("nas1".into(), item);
    store.overwrite(BlobName::Metadata, now.to_json());
}

/// `a` adds nas1 and then moves it, both stored; the server then serves
/// the first version (returned) as the newest.
fn moved_then_replayed(a: &TestEngine, store: &Store) -> Metadata {
    add_system(a, "nas1");
    sync(a, SyncKind::Push).unwrap();
    let old = Metadata::from_json(&store.bytes(BlobName::Metadata).unwrap()).unwrap();
    move_nas1(a, "https://nas1.example:8443");
    sync(a, SyncKind::Push).unwrap();
    replay_nas1(store, &old);
    old
}

fn unproven(engine: &TestEngine) -> Vec<NoProof> {
    let r = engine.replicas();
    r.notices
        .iter()
        .filter_map(|n| match n {
            Notice::Unproven(why) => Some(*why),
            _ => None,
        })
        .collect()
}

#[test]
fn each_write_is_listed_and_its_revision_remembered() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    add_system(&a, "nas1");
    sync(&a, SyncKind::Push).unwrap();
    let first = a.replicas().metadata.proven;
    assert!(first >= 1);
    add_system(&a, "nas2");
    sync(&a, SyncKind::Push).unwrap();
    assert_eq!(a.replicas().metadata.proven, first + 1);
    let b = second_browser(&store);
    sync(&b, SyncKind::PullThenPush).unwrap();
    assert_eq!(b.replicas().metadata.proven, first + 1);
    assert_eq!(trust(&b, "nas1"), Some(Trust::Verified));
    assert!(
        b.replicas().notices.is_empty(),
        "{:?}",
        b.replicas().notices
    );
    assert!(
        !b.replicas().pending(),
        "an honest document is taken as it is"
    );
}

#[test]
fn a_replayed_item_is_changed_here_and_unconfirmed_in_a_fresh_browser() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    let old = moved_then_replayed(&a, &store);

    sync(&a, SyncKind::PullThenPush).unwrap();
    assert!(matches!(trust(&a, "nas1"), Some(Trust::Changed { .. })));
    let proven_replaced = a
        .replicas()
        .notices
        .iter()
        .any(|n| matches!(n, Notice::Replaced(r) if r.proven));
    assert!(
        !proven_replaced,
        "not 'a later edit made on another device'"
    );

    // A browser with nothing of its own doesn't take the replay as verified.
    replay_nas1(&store, &old);
    let b = second_browser(&store);
    assert_ne!(trust(&b, "nas1"), Some(Trust::Verified));
}

/// Pulled while locked, checked at unlock.
#[test]
fn a_replay_taken_in_while_locked_is_distrusted_at_unlock() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    moved_then_replayed(&a, &store);

    let b = browser(&store, &Rc::default(), "b");
    sync(&b, SyncKind::PullThenPush).unwrap();
    unlock(&b);
    assert_ne!(trust(&b, "nas1"), Some(Trust::Verified));
    assert_eq!(unproven(&b), []);
}

/// The same with the digests computed while locked, as the page does while
/// the passphrase is typed: the replay is still caught. And an edit after
/// them makes them another document's: unlocking digests it anew.
#[test]
fn digests_computed_while_locked_prove_as_unlocking_would() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    moved_then_replayed(&a, &store);

    let b = browser(&store, &Rc::default(), "b");
    sync(&b, SyncKind::PullThenPush).unwrap();
    b.digest_ahead();
    unlock(&b);
    assert_ne!(trust(&b, "nas1"), Some(Trust::Verified));
    assert_eq!(unproven(&b), []);

    let c = browser(&store, &Rc::default(), "c");
    sync(&c, SyncKind::PullThenPush).unwrap();
    c.digest_ahead();
    add_system(&c, "nas9");
    unlock(&c);
    assert_ne!(trust(&c, "nas1"), Some(Trust::Verified));
}

/// Signed out and in again (the saved copy gone, the proven revision kept):
/// the server serves the document as it was two writes ago.
#[test]
fn an_older_document_is_a_rollback_even_after_sign_out() {
    let store = Rc::new(Store::default());
    let disk = Rc::new(Disk::default());
    let a = browser(&store, &disk, "a");
    futures::executor::block_on(a.create_keyring(super::new_keyring())).unwrap();
    add_system(&a, "nas1");
    sync(&a, SyncKind::Push).unwrap();
    let old = store.bytes(BlobName::Metadata).unwrap();
    add_system(&a, "nas2");
    sync(&a, SyncKind::Push).unwrap();
    let proven = a.replicas().metadata.proven;
    a.retire();

    *disk.copy.borrow_mut() = None;
    store.overwrite(BlobName::Metadata, old);
    let again = browser(&store, &disk, "a");
    sync(&again, SyncKind::PullThenPush).unwrap();
    unlock(&again);
    assert_eq!(
        unproven(&again),
        [NoProof::Older {
            shown: proven - 1,
            proven
        }]
    );
    assert_ne!(trust(&again, "nas1"), Some(Trust::Verified));
}

/// Reloaded (its saved copy restored, the keyring locked) and pulled the
/// replay before unlocking: its own verified version, kept aside while
/// locked, makes it Changed, with Restore mine.
#[test]
fn a_replay_pulled_after_a_reload_is_changed_at_unlock() {
    let store = Rc::new(Store::default());
    let disk = Rc::new(Disk::default());
    let a = browser(&store, &disk, "a");
    futures::executor::block_on(a.create_keyring(super::new_keyring())).unwrap();
    moved_then_replayed(&a, &store);
    a.retire();

    let again = browser(&store, &disk, "a");
    assert!(futures::executor::block_on(again.restore_saved()));
    sync(&again, SyncKind::PullThenPush).unwrap();
    // Reloaded once more before unlocking: what was kept aside is saved.
    again.retire();
    let third = browser(&store, &disk, "a");
    assert!(futures::executor::block_on(third.restore_saved()));
    unlock(&third);
    assert!(matches!(trust(&third, "nas1"), Some(Trust::Changed { .. })));
}
