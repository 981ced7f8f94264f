//! The sync engine, natively: two or more "browsers" (engines with their
//! own saved copies) against one in-memory blob store (`edges`). What is
//! exercised is Keyhaven's own loop and rules; only the I/O is stood in.

mod edges;
mod manifest;

use std::rc::Rc;

use futures::executor::block_on;
use keyhaven_core::{
    api::BlobName,
    keyring::{EntryValue, KdfParams, Keyring, Unlocked},
    model::{Kind, Metadata, System, Trust},
    sync::Conflict,
};
use rand_core::OsRng;
use secrecy::SecretString;

use self::edges::{Disk, Store, TestEngine, browser};
use super::{Notice, SyncKind};
use crate::error::AppError;

/// Tiny Argon2 settings: these tests are about sync, not the KDF.
const FAST: KdfParams = KdfParams {
    memory_kib: 64,
    passes: 1,
    lanes: 1,
};

fn passphrase() -> SecretString {
    SecretString::from("correct horse battery staple".to_owned())
}

fn new_keyring() -> Unlocked {
    Keyring::create_with_passphrase("home lab", &passphrase(), FAST, 1, &mut OsRng).unwrap()
}

fn system(name: &str) -> System {
    System {
        name: name.into(),
        url: format!("https://{name}.lan"),
        api_username: Some("root".into()),
        api_key_id: Some(1),
    }
}

fn add_system(engine: &TestEngine, id: &'static str) {
    block_on(engine.edit_metadata(|m, now, by| m.put_system(id, system(id), now, by)));
}

fn api_key(key: &str) -> EntryValue {
    EntryValue::ApiKey {
        username: "root".into(),
        key: SecretString::from(key.to_owned()),
    }
}

fn set_entry(engine: &TestEngine, id: &str, key: &str) {
    block_on(engine.edit_keyring(|u| Ok(u.set(id, &api_key(key), 10, &mut OsRng)?))).unwrap();
}

fn systems(engine: &TestEngine) -> Vec<String> {
    let r = engine.replicas();
    r.metadata
        .metadata
        .systems()
        .map(|(id, _)| id.to_owned())
        .collect()
}

fn server_systems(store: &Store) -> Vec<String> {
    let bytes = store.bytes(BlobName::Metadata).expect("metadata stored");
    Metadata::from_json(&bytes)
        .unwrap()
        .systems()
        .map(|(id, _)| id.to_owned())
        .collect()
}

fn sync(engine: &TestEngine, kind: SyncKind) -> Result<(), AppError> {
    block_on(engine.sync_now(kind))
}

/// A browser that created the keyring (unlocked) and stored it.
fn first_browser(store: &Rc<Store>) -> TestEngine {
    let a = browser(store, &Rc::default(), "a");
    block_on(a.create_keyring(new_keyring())).unwrap();
    a
}

/// A second browser that took the keyring in and unlocked it.
fn second_browser(store: &Rc<Store>) -> TestEngine {
    let b = browser(store, &Rc::default(), "b");
    sync(&b, SyncKind::PullThenPush).unwrap();
    unlock(&b);
    b
}

fn unlock(engine: &TestEngine) {
    let keyring = engine.replicas().keyring.keyring.clone().expect("a copy");
    engine.opened(keyring.unlock_with_passphrase(&passphrase()).unwrap());
}

#[test]
fn an_edit_is_pushed_and_then_no_longer_pending() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    add_system(&a, "nas1");
    assert!(a.replicas().pending());
    sync(&a, SyncKind::Push).unwrap();
    assert!(!a.replicas().pending());
    assert_eq!(server_systems(&store), ["nas1"]);
    assert!(a.replicas().synced_at.is_some());
}

#[test]
fn a_stale_write_is_merged_with_the_servers_and_retried() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    let b = second_browser(&store);
    add_system(&a, "nas1");
    add_system(&b, "nas2");
    sync(&a, SyncKind::Push).unwrap();
    let puts = store.puts.get();
    // B's write names the tag it had: 412, merge, write again.
    sync(&b, SyncKind::Push).unwrap();
    assert_eq!(store.puts.get() - puts, 2, "one refused write, one retry");
    assert_eq!(server_systems(&store), ["nas1", "nas2"]);
    assert!(!b.replicas().pending());
    sync(&a, SyncKind::PullThenPush).unwrap();
    assert_eq!(systems(&a), ["nas1", "nas2"]);
}

#[test]
fn keyring_edits_on_two_browsers_merge_entry_by_entry() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    let b = second_browser(&store);
    set_entry(&a, "api-key/nas1", "1-aaa");
    set_entry(&b, "api-key/nas2", "2-bbb");
    sync(&a, SyncKind::Push).unwrap();
    sync(&b, SyncKind::Push).unwrap();
    sync(&a, SyncKind::PullThenPush).unwrap();
    for engine in [&a, &b] {
        let got = engine.with_unlocked(|u| {
            (
                u.get("api-key/nas1").unwrap().is_some(),
                u.get("api-key/nas2").unwrap().is_some(),
            )
        });
        assert_eq!(got, Some((true, true)));
        assert!(!engine.replicas().pending());
    }
}

#[test]
fn one_edit_to_a_large_fleet_moves_its_part_and_the_top_only() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    let fleet = keyhaven_core::fleet::fleet(100, 7, 1_763_000_000_000, "a");
    block_on(a.edit_metadata(|m, _, _| *m = fleet));
    sync(&a, SyncKind::Push).unwrap();
    let b = second_browser(&store);
    assert_eq!(systems(&b).len(), 100);
    let whole = store.bytes(BlobName::Metadata).unwrap().len();
    let (up, down) = (store.bytes_up.get(), store.bytes_down.get());
    let names = store.blobs.borrow().len();

    // A renames one connection; B takes it in.
    let id = a
        .replicas()
        .metadata
        .metadata
        .connections
        .keys()
        .next()
        .unwrap()
        .clone();
    block_on(a.edit_metadata(|m, now, by| {
        let mut c = m.connection(&id).unwrap().clone();
        c.name = "renamed".into();
        m.put_connection(&id, c, now, by);
    }));
    sync(&a, SyncKind::Push).unwrap();
    sync(&b, SyncKind::PullThenPush).unwrap();
    let b_has = b
        .replicas()
        .metadata
        .metadata
        .connection(&id)
        .unwrap()
        .name
        .clone();
    assert_eq!(b_has, "renamed");
    assert_eq!(
        b.replicas().metadata.metadata,
        a.replicas().metadata.metadata
    );
    assert!(
        b.replicas().notices.is_empty(),
        "{:?}",
        b.replicas().notices
    );
    let (up, down) = (store.bytes_up.get() - up, store.bytes_down.get() - down);
    // One part and the top each way: under 4 % of the whole (~800 KB) at
    // 100 systems, where the top (a name per part) is most of it; at
    // 1,000 systems the fleet bench measures it under 1 %.
    assert!(up * 25 < whole, "{up} bytes up of {whole}");
    assert!(down * 25 < whole, "{down} bytes down of {whole}");
    // The part replaced is deleted: no more blobs than before.
    assert_eq!(store.blobs.borrow().len(), names);
}

#[test]
fn a_write_that_keeps_losing_gives_up_and_keeps_the_edit() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    sync(&a, SyncKind::Push).unwrap();
    let writer = Rc::downgrade(&store);
    // Another writer lands just before each of A's writes.
    *store.before_put.borrow_mut() = Some(Box::new(move |blobs| {
        let store = writer.upgrade().unwrap();
        let bytes = blobs.get("metadata").map(|(b, _)| b.clone());
        blobs.insert(
            "metadata".to_owned(),
            (bytes.unwrap_or_else(|| b"{}".to_vec()), store.tag()),
        );
    }));
    add_system(&a, "nas1");
    assert_eq!(sync(&a, SyncKind::Push), Err(AppError::TooContended));
    assert!(a.replicas().metadata.pending);
    assert_eq!(systems(&a), ["nas1"]);
    // The writer stops: the edit goes through.
    *store.before_put.borrow_mut() = None;
    sync(&a, SyncKind::Push).unwrap();
    assert_eq!(server_systems(&store), ["nas1"]);
}

#[test]
fn offline_edits_survive_a_crash_and_are_pushed_on_return() {
    let store = Rc::new(Store::default());
    let disk = Rc::new(Disk::default());
    let a = browser(&store, &disk, "a");
    block_on(a.create_keyring(new_keyring())).unwrap();
    store.offline.set(true);
    add_system(&a, "nas1");
    set_entry(&a, "api-key/nas1", "1-aaa");
    assert!(block_on(a.sync(SyncKind::Push)).is_ok(), "offline waits");
    assert_eq!(
        sync(&a, SyncKind::Push).unwrap_err(),
        AppError::Api(crate::net::api::ApiError::Offline)
    );
    drop(a);
    // The tab is gone; a new one opens from the saved copy alone.
    let again = browser(&store, &disk, "a");
    assert!(block_on(again.restore_saved()));
    assert!(again.replicas().metadata.pending && again.replicas().keyring.pending);
    store.offline.set(false);
    sync(&again, SyncKind::PullThenPush).unwrap();
    assert!(!again.replicas().pending());
    assert_eq!(server_systems(&store), ["nas1"]);
    let stored = Keyring::parse(&store.bytes(BlobName::Keyring).unwrap()).unwrap();
    assert!(stored.contains("api-key/nas1"));
}

#[test]
fn two_tabs_of_one_browser_keep_each_others_unsynced_edits() {
    let store = Rc::new(Store::default());
    let disk = Rc::new(Disk::default());
    let one = browser(&store, &disk, "a");
    let two = browser(&store, &disk, "a");
    store.offline.set(true);
    add_system(&one, "nas1");
    add_system(&two, "nas2");
    block_on(one.reload_saved());
    assert_eq!(systems(&one), ["nas1", "nas2"]);
    let saved = Metadata::from_json(
        disk.copy
            .borrow()
            .as_ref()
            .unwrap()
            .metadata
            .as_ref()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        saved.systems().count(),
        2,
        "tab two saved over tab one's edit"
    );
}

#[test]
fn a_retired_engine_saves_nothing() {
    let store = Rc::new(Store::default());
    let disk = Rc::new(Disk::default());
    let a = browser(&store, &disk, "a");
    add_system(&a, "nas1");
    *disk.copy.borrow_mut() = None;
    a.retire();
    add_system(&a, "nas2");
    assert!(disk.copy.borrow().is_none());
    assert_eq!(sync(&a, SyncKind::Push), Ok(()));
    assert!(store.bytes(BlobName::Metadata).is_none(), "nothing synced");
}

// What a hostile server may do to the keyring: drop it, roll it back,
// damage it, replace it. This browser's copy stays, and nothing of it is
// written over until the user says so.

#[test]
fn a_dropped_keyring_is_a_conflict_and_restore_puts_it_back() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    set_entry(&a, "api-key/nas1", "1-aaa");
    sync(&a, SyncKind::Push).unwrap();
    store.blobs.borrow_mut().remove("keyring");
    assert_eq!(
        sync(&a, SyncKind::PullThenPush),
        Err(AppError::KeyringConflict(Conflict::Missing))
    );
    assert!(
        a.replicas().keyring.keyring.is_some(),
        "this browser's copy stays"
    );
    assert!(
        store.bytes(BlobName::Keyring).is_none(),
        "not pushed unasked"
    );
    block_on(a.restore_keyring()).unwrap();
    sync(&a, SyncKind::PullThenPush).unwrap();
    assert!(a.replicas().keyring.conflict.is_none());
    let stored = Keyring::parse(&store.bytes(BlobName::Keyring).unwrap()).unwrap();
    assert!(stored.contains("api-key/nas1"));
}

#[test]
fn a_rolled_back_keyring_is_refused_unlocked_or_not() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    let old = store.bytes(BlobName::Keyring).unwrap();
    set_entry(&a, "api-key/nas1", "1-aaa");
    sync(&a, SyncKind::Push).unwrap();
    let newest = a.replicas().keyring.keyring.clone().unwrap();
    store.overwrite(BlobName::Keyring, old);
    let refused = sync(&a, SyncKind::PullThenPush);
    assert!(
        matches!(
            refused,
            Err(AppError::KeyringConflict(Conflict::Older { .. }))
        ),
        "{refused:?}"
    );
    a.lock();
    let _ = sync(&a, SyncKind::PullThenPush);
    assert_eq!(a.replicas().keyring.keyring.as_ref(), Some(&newest));
    // A fresh browser of the same user remembers the highest revision too.
    assert!(a.replicas().keyring.highest >= newest.revision());
}

#[test]
fn a_damaged_keyring_is_refused_and_nothing_is_written_over_it() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    store.overwrite(BlobName::Keyring, b"not a keyring".to_vec());
    set_entry(&a, "api-key/nas1", "1-aaa");
    assert_eq!(
        sync(&a, SyncKind::PullThenPush),
        Err(AppError::KeyringConflict(Conflict::Unreadable))
    );
    assert_eq!(
        store.bytes(BlobName::Keyring).unwrap(),
        b"not a keyring",
        "the pending edit waits for the user"
    );
    assert!(a.replicas().keyring.pending);
}

#[test]
fn a_replaced_keyring_is_held_and_never_merged() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    set_entry(&a, "api-key/nas1", "1-aaa");
    sync(&a, SyncKind::Push).unwrap();
    let mut other = new_keyring();
    other.continue_after(100);
    other.seal(&mut OsRng);
    store.overwrite(BlobName::Keyring, other.keyring().to_bytes());
    assert_eq!(
        sync(&a, SyncKind::PullThenPush),
        Err(AppError::KeyringConflict(Conflict::Replaced))
    );
    let r = a.replicas();
    assert!(r.keyring.keyring.as_ref().unwrap().contains("api-key/nas1"));
    assert_eq!(
        r.keyring.held.as_ref().map(|h| h.keyring.id()),
        Some(other.keyring().id()),
        "held for its passphrase to prove"
    );
}

/// A fork: the server serves B an old revision, takes B's write, then
/// serves B's copy to A, which lacks the key A stored (and the server
/// acknowledged). A keeps its verified merge and pushes it.
#[test]
fn a_forked_keyring_keeps_the_entry_the_server_acknowledged() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    let b = second_browser(&store);
    let old = store.bytes(BlobName::Keyring).unwrap();
    set_entry(&a, "api-key/nas1", "1-aaa");
    sync(&a, SyncKind::Push).unwrap();
    store.overwrite(BlobName::Keyring, old);
    set_entry(&b, "api-key/nas2", "2-bbb");
    sync(&b, SyncKind::PullThenPush).unwrap();
    let forked = Keyring::parse(&store.bytes(BlobName::Keyring).unwrap()).unwrap();
    assert!(!forked.contains("api-key/nas1"), "the fork lacks A's key");
    sync(&a, SyncKind::PullThenPush).unwrap();
    let stored = Keyring::parse(&store.bytes(BlobName::Keyring).unwrap()).unwrap();
    assert!(stored.contains("api-key/nas1") && stored.contains("api-key/nas2"));
    assert!(!a.replicas().keyring.pending, "pushed");
}

/// A keyring created after the server showed a copy with an absurd
/// revision continues after what this browser proved, not after that.
#[test]
fn a_new_keyring_continues_after_proven_revisions_only() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    set_entry(&a, "api-key/nas1", "1-aaa");
    sync(&a, SyncKind::Push).unwrap();
    let proven = a.replicas().keyring.highest;
    let mut other = new_keyring();
    other.continue_after(u64::MAX - 1);
    other.seal(&mut OsRng);
    store.overwrite(BlobName::Keyring, other.keyring().to_bytes());
    assert_eq!(
        sync(&a, SyncKind::PullThenPush),
        Err(AppError::KeyringConflict(Conflict::Replaced))
    );
    // (Storing it meets the server's copy again: the user still decides.)
    let _ = block_on(a.create_keyring(new_keyring()));
    let r = a.replicas();
    let created = r.keyring.keyring.as_ref().unwrap();
    assert_ne!(created.id(), other.keyring().id(), "this browser's new one");
    assert_eq!(created.revision(), proven + 1);
}

#[test]
fn a_locked_browser_holds_a_newer_copy_until_unlock_merges_it() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    let b = second_browser(&store);
    b.lock();
    set_entry(&a, "api-key/nas1", "1-aaa");
    sync(&a, SyncKind::Push).unwrap();
    sync(&b, SyncKind::PullThenPush).unwrap();
    let contains = |e: &TestEngine| {
        e.replicas()
            .keyring
            .keyring
            .as_ref()
            .is_some_and(|k| k.contains("api-key/nas1"))
    };
    assert!(b.replicas().keyring.held.is_some());
    assert!(
        !contains(&b),
        "nothing unproven replaces this browser's copy"
    );
    unlock(&b);
    sync(&b, SyncKind::PullThenPush).unwrap();
    assert!(contains(&b) && b.replicas().keyring.held.is_none());
}

#[test]
fn metadata_items_a_keyhaven_could_not_write_are_refused() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    add_system(&a, "nas1");
    sync(&a, SyncKind::Push).unwrap();
    let mut hostile = Metadata::from_json(&store.bytes(BlobName::Metadata).unwrap()).unwrap();
    let mut bad = system("nas1");
    bad.url = "file:///etc/passwd".into();
    hostile.put_system("nas1", bad, u64::MAX / 2, "mallory");
    store.overwrite(BlobName::Metadata, hostile.to_json());
    sync(&a, SyncKind::PullThenPush).unwrap();
    let r = a.replicas();
    assert_eq!(
        r.metadata.metadata.system("nas1").unwrap().url,
        "https://nas1.lan"
    );
    assert!(
        r.notices
            .iter()
            .any(|n| matches!(n, Notice::Refused { name, .. } if name == "nas1")),
        "{:?}",
        r.notices
    );
}

/// The server points a system elsewhere (its seal left as it was); the
/// user, locked, renames the system. Unlocking must not seal the server's
/// URL as the user's: the item stays changed, with the user's URL to
/// restore.
#[test]
fn a_locked_edit_does_not_seal_what_the_server_changed() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    add_system(&a, "nas1");
    sync(&a, SyncKind::Push).unwrap();
    let mut json: serde_json::Value =
        serde_json::from_slice(&store.bytes(BlobName::Metadata).unwrap()).unwrap();
    json["systems"]["nas1"]["value"]["url"] = "https://evil.example".into();
    let later = json["systems"]["nas1"]["updated"].as_u64().unwrap() + 60_000;
    json["systems"]["nas1"]["updated"] = later.into();
    store.overwrite(BlobName::Metadata, serde_json::to_vec(&json).unwrap());
    a.lock();
    sync(&a, SyncKind::PullThenPush).unwrap();
    block_on(a.edit_metadata(|m, now, by| {
        let mut renamed = m.system("nas1").unwrap().clone();
        renamed.name = "renamed".into();
        m.put_system("nas1", renamed, now, by);
    }));
    assert_eq!(
        a.replicas().metadata.metadata.system("nas1").unwrap().url,
        "https://evil.example",
        "the server's change was taken in"
    );
    unlock(&a);
    let trust = a.with_unlocked(|k| {
        a.replicas()
            .metadata
            .metadata
            .trust(Kind::System, "nas1", k)
    });
    assert!(
        matches!(trust.flatten(), Some(Trust::Changed { .. })),
        "shown as changed, with Restore mine"
    );
}

/// The server drops the metadata: the next sync puts this browser's copy
/// back, so a fresh browser of the account sees the systems again.
#[test]
fn dropped_metadata_is_put_back_from_this_browser() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    add_system(&a, "nas1");
    sync(&a, SyncKind::Push).unwrap();
    store.blobs.borrow_mut().remove("metadata");
    sync(&a, SyncKind::PullThenPush).unwrap();
    assert_eq!(server_systems(&store), ["nas1"]);
    let fresh = browser(&store, &Rc::default(), "c");
    sync(&fresh, SyncKind::PullThenPush).unwrap();
    assert_eq!(systems(&fresh), ["nas1"]);
}

/// The server marks a system deleted while its API key is in the keyring:
/// the user is told and can put it back. A deletion made by Keyhaven
/// elsewhere (the key removed first) says nothing.
#[test]
fn a_deletion_the_keyring_contradicts_is_told_and_can_be_undone() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    let b = second_browser(&store);
    for id in ["nas1", "nas2"] {
        add_system(&a, id);
        set_entry(&a, &format!("api-key/{id}"), "1-aaa");
    }
    sync(&a, SyncKind::Push).unwrap();
    sync(&b, SyncKind::PullThenPush).unwrap();

    // B deletes nas2 as Keyhaven does: its key first, then the system.
    block_on(b.edit_keyring(|u| Ok(u.remove("api-key/nas2", 20)))).unwrap();
    block_on(b.edit_metadata(|m, now, by| {
        m.remove_system("nas2", now, by);
    }));
    sync(&b, SyncKind::Push).unwrap();
    // The server forges nas1's deletion.
    let mut forged = Metadata::from_json(&store.bytes(BlobName::Metadata).unwrap()).unwrap();
    forged.remove_system("nas1", u64::MAX / 4, "server");
    let mut json: serde_json::Value = serde_json::from_slice(&forged.to_json()).unwrap();
    let stamp = json["systems"]["nas2"]["updated"].as_u64().unwrap() + 1;
    json["systems"]["nas1"]["updated"] = stamp.into();
    store.overwrite(BlobName::Metadata, serde_json::to_vec(&json).unwrap());

    sync(&a, SyncKind::PullThenPush).unwrap();
    let orphaned: Vec<_> = a
        .replicas()
        .notices
        .iter()
        .filter_map(|n| match n {
            Notice::Deleted(o) => Some(o.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(orphaned.len(), 1, "only the forged deletion");
    assert_eq!(orphaned[0].id, "nas1");
    assert!(systems(&a).is_empty());
    block_on(a.edit_metadata(|m, now, by| {
        m.reinstate(&orphaned[0].id, &orphaned[0].snapshot, now, by);
    }));
    sync(&a, SyncKind::Push).unwrap();
    assert_eq!(server_systems(&store), ["nas1"]);
    let trust = a.with_unlocked(|k| {
        a.replicas()
            .metadata
            .metadata
            .trust(Kind::System, "nas1", k)
    });
    assert_eq!(
        trust.flatten(),
        Some(Trust::Verified),
        "as sealed as it was"
    );
}

#[test]
fn unreadable_metadata_is_written_over_with_this_browsers() {
    let store = Rc::new(Store::default());
    let a = first_browser(&store);
    add_system(&a, "nas1");
    sync(&a, SyncKind::Push).unwrap();
    store.overwrite(BlobName::Metadata, b"{garbage".to_vec());
    sync(&a, SyncKind::PullThenPush).unwrap();
    assert_eq!(systems(&a), ["nas1"]);
    assert_eq!(server_systems(&store), ["nas1"]);
}
