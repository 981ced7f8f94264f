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
    let pulled = pull(&local, &remote.to_json(), "here", T0, None);
    assert!(pulled.merged.system("s1").is_some() && pulled.merged.system("s2").is_some());
    assert!(pulled.pending, "s1 is not on the server yet");
    // The server already has everything: nothing to push.
    let again = pull(&pulled.merged, &pulled.merged.to_json(), "here", T0, None);
    assert!(!again.pending);
    assert_eq!(again.merged, pulled.merged);
}

#[test]
fn a_later_edit_elsewhere_replaces_ours_and_we_are_told() {
    let mut local = Metadata::default();
    local.put_system("s1", system("https://nas1.lan"), T0, "here");
    let mut remote = local.clone();
    remote.put_system("s1", system("https://nas1.lan:8443"), T0 + 5, "there");
    let pulled = pull(&local, &remote.to_json(), "here", T0 + 10, None);
    assert_eq!(
        pulled.merged.system("s1").unwrap().url,
        "https://nas1.lan:8443"
    );
    assert_eq!(pulled.replaced.len(), 1);
    assert!(!pulled.pending);
    // Another device's edit that lost is not this device's to hear of.
    let pulled = pull(&remote, &local.to_json(), "elsewhere", T0 + 10, None);
    assert!(pulled.replaced.is_empty());
}

#[test]
fn hostile_items_are_refused_and_ours_pushed_back() {
    let mut local = Metadata::default();
    local.put_system("s1", system("https://nas1.lan"), T0, "here");
    let mut json: serde_json::Value = serde_json::from_slice(&local.to_json()).unwrap();
    json["systems"]["s1"]["value"]["url"] = "file:///etc/passwd".into();
    json["systems"]["s1"]["updated"] = (T0 + 1).into();
    let pulled = pull(&local, json.to_string().as_bytes(), "here", T0, None);
    assert_eq!(pulled.merged, local, "nothing changed here");
    assert_eq!(pulled.refused.len(), 1);
    assert!(pulled.pending, "ours goes back to the server");
}

#[test]
fn an_unreadable_document_changes_nothing_and_is_replaced() {
    let mut local = Metadata::default();
    local.put_system("s1", system("https://nas1.lan"), T0, "here");
    let pulled = pull(&local, b"{not json", "here", T0, None);
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
    let found = orphaned(&before, &after, holds, |_, _| false);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "s1");
    // Put back: live again, newer than the deletion, as it was.
    let mut restored = after.clone();
    restored.reinstate("s1", &found[0].snapshot, T0 + 1, "here");
    assert_eq!(restored.system("s1"), before.system("s1"));
    assert!(restored.systems["s1"].updated > after.systems["s1"].updated);
}

mod manifest {
    //! The server's document taken in under its manifest: what a hostile
    //! server does to it (replay, strip, roll back, forge a deletion) is
    //! distrusted; what honest browsers write is not.

    use super::*;
    use crate::{
        model::{Connection, Trust},
        testing::{keyring, rng},
    };

    fn connection(host: &str) -> Connection {
        Connection {
            name: "to-nas2".into(),
            host: host.into(),
            port: 22,
            username: "root".into(),
            keypair_id: "k1".into(),
            remote_host_keys: "ssh-ed25519 AAAA-host".into(),
            connect_timeout: 10,
        }
    }

    /// A document written by an unlocked browser: items sealed, manifest
    /// sealed at `revision`.
    fn written(m: &mut Metadata, key: &Unlocked, revision: u64) {
        for (kind, id) in m.changed_since(&Metadata::default()) {
            m.seal(kind, &id, key, &mut rng(9));
        }
        assert_eq!(
            seal_manifest(m, key, revision - 1, &mut rng(8)),
            Some(revision)
        );
    }

    fn document(key: &Unlocked) -> Metadata {
        let mut m = Metadata::default();
        m.put_system("s1", system("https://nas1.lan"), T0, "there");
        m.put_connection("c1", connection("nas2.lan"), T0, "there");
        written(&mut m, key, 3);
        m
    }

    #[test]
    fn an_honest_document_is_proven_and_raises_the_revision() {
        let key = keyring(1);
        let server = document(&key);
        let pulled = pull(
            &Metadata::default(),
            &server.to_json(),
            "here",
            T0,
            Some((&key, 2)),
        );
        let proof = pulled.proof.unwrap();
        assert_eq!(proof.revision, Some(3));
        assert!(!proof.stale() && !pulled.pending);
        assert_eq!(
            pulled.merged.trust(Kind::System, "s1", &key),
            Some(Trust::Verified)
        );
        assert_eq!(pulled.merged, server);
    }

    /// An older version of an item, its seal included, served again with a
    /// newer stamp: the seal verifies, the manifest says otherwise.
    #[test]
    fn a_replayed_item_is_changed_with_ours_to_restore() {
        let key = keyring(1);
        let old = document(&key);
        let mut ours = old.clone();
        ours.put_connection("c1", connection("nas2-new.lan"), T0 + 10, "here");
        written(&mut ours, &key, 4);
        let mut replay = ours.clone();
        let mut item = old.connections["c1"].clone();
        item.updated = T0 + 20;
        replay.connections.insert("c1".into(), item);
        let pulled = pull(&ours, &replay.to_json(), "here", T0 + 30, Some((&key, 4)));
        let proof = pulled.proof.as_ref().unwrap();
        assert!(
            proof
                .distrusted
                .contains(&(Kind::Connection, "c1".to_owned()))
        );
        assert_eq!(pulled.replaced.len(), 1);
        assert!(
            !pulled.replaced[0].proven,
            "not 'a later edit on another device'"
        );
        match pulled.merged.trust(Kind::Connection, "c1", &key) {
            Some(Trust::Changed { .. }) => {
                let mut restored = pulled.merged.clone();
                restored
                    .restore(Kind::Connection, "c1", &key, T0 + 40, "here", &mut rng(2))
                    .unwrap();
                assert_eq!(restored.connection("c1").unwrap().host, "nas2-new.lan");
            }
            other => panic!("replay shown as {other:?}"),
        }
        assert!(pulled.pending, "written back with a manifest of its own");
        // A fresh browser, with nothing of its own, doesn't take it as verified.
        let fresh = pull(
            &Metadata::default(),
            &replay.to_json(),
            "new",
            T0,
            Some((&key, 4)),
        );
        assert_eq!(
            fresh.merged.trust(Kind::Connection, "c1", &key),
            Some(Trust::Unsealed)
        );
        assert_eq!(
            fresh.merged.trust(Kind::System, "s1", &key),
            Some(Trust::Verified)
        );
    }

    #[test]
    fn a_stripped_manifest_proves_nothing_once_one_was_proven() {
        let key = keyring(1);
        let mut server = document(&key);
        server.manifest = None;
        let pulled = pull(
            &Metadata::default(),
            &server.to_json(),
            "new",
            T0,
            Some((&key, 3)),
        );
        let proof = pulled.proof.unwrap();
        assert_eq!(proof.unproven, Some(NoProof::Missing));
        assert_eq!(
            pulled.merged.trust(Kind::System, "s1", &key),
            Some(Trust::Unsealed)
        );
        // Before any manifest was proven (a document from before them), the
        // items' seals are taken, and the document written back with one.
        let legacy = pull(
            &Metadata::default(),
            &server.to_json(),
            "new",
            T0,
            Some((&key, 0)),
        );
        assert_eq!(
            legacy.merged.trust(Kind::System, "s1", &key),
            Some(Trust::Verified)
        );
        assert!(legacy.pending);
    }

    #[test]
    fn an_older_document_is_a_rollback_and_proves_nothing() {
        let key = keyring(1);
        let server = document(&key);
        let pulled = pull(
            &Metadata::default(),
            &server.to_json(),
            "new",
            T0,
            Some((&key, 7)),
        );
        let proof = pulled.proof.unwrap();
        assert_eq!(
            proof.unproven,
            Some(NoProof::Older {
                shown: 3,
                proven: 7
            })
        );
        assert_eq!(proof.revision, None);
        assert_eq!(
            pulled.merged.trust(Kind::System, "s1", &key),
            Some(Trust::Unsealed)
        );
        // Another keyring's manifest opens to nothing.
        let other = keyring(2);
        let foreign = pull(
            &Metadata::default(),
            &server.to_json(),
            "new",
            T0,
            Some((&other, 1)),
        );
        assert_eq!(foreign.proof.unwrap().unproven, Some(NoProof::Missing));
    }

    /// A connection has no keyring entry to give its deletion away: the
    /// manifest does.
    #[test]
    fn a_forged_deletion_is_orphaned_and_a_listed_one_is_not() {
        let key = keyring(1);
        let ours = document(&key);
        let mut forged = ours.clone();
        forged.remove_connection("c1", T0 + 5, "server");
        let pulled = pull(&ours, &forged.to_json(), "here", T0 + 10, Some((&key, 3)));
        let proof = pulled.proof.unwrap();
        let distrusted = |kind, id: &str| proof.distrusted.contains(&(kind, id.to_owned()));
        let found = orphaned(&ours, &pulled.merged, |_| false, distrusted);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].id.as_str(), found[0].why),
            ("c1", Unproven::NotListed)
        );
        // Deleted by a browser with the keyring: listed, so not asked about.
        let mut honest = ours.clone();
        honest.remove_connection("c1", T0 + 5, "there");
        written(&mut honest, &key, 4);
        let pulled = pull(&ours, &honest.to_json(), "here", T0 + 10, Some((&key, 3)));
        let proof = pulled.proof.unwrap();
        let distrusted = |kind, id: &str| proof.distrusted.contains(&(kind, id.to_owned()));
        assert!(orphaned(&ours, &pulled.merged, |_| false, distrusted).is_empty());
    }

    /// An item withheld from the document (listed, absent) is kept here and
    /// written back.
    #[test]
    fn a_withheld_item_is_kept_and_written_back() {
        let key = keyring(1);
        let ours = document(&key);
        let mut cut = ours.clone();
        cut.connections.clear();
        let pulled = pull(&ours, &cut.to_json(), "here", T0, Some((&key, 3)));
        assert_eq!(
            pulled.proof.unwrap().withheld,
            vec![(Kind::Connection, "c1".to_owned())]
        );
        assert!(pulled.merged.connection("c1").is_some() && pulled.pending);
    }

    /// A browser without the data key edits and pushes with the manifest it
    /// was given: to a browser that verified the item, its edit is a change
    /// to check (a stripped seal looks the same), and the rest stays proven.
    #[test]
    fn a_locked_browsers_edit_leaves_the_rest_proven() {
        let key = keyring(1);
        let server = document(&key);
        let locked = pull(&Metadata::default(), &server.to_json(), "locked", T0, None);
        let mut edited = locked.merged.clone();
        edited.put_system("s1", system("https://nas1.lan:8443"), T0 + 5, "locked");
        edited.systems.get_mut("s1").unwrap().seal = None;
        assert_eq!(edited.manifest, server.manifest, "carried along");
        let pulled = pull(&server, &edited.to_json(), "here", T0 + 9, Some((&key, 3)));
        assert_eq!(
            pulled.merged.trust(Kind::Connection, "c1", &key),
            Some(Trust::Verified)
        );
        assert!(matches!(
            pulled.merged.trust(Kind::System, "s1", &key),
            Some(Trust::Changed { .. })
        ));
        assert!(pulled.pending, "listed anew by this browser");
    }

    /// Sealing again what is already listed changes nothing (no new nonce
    /// for every save), and the revision never wraps.
    #[test]
    fn the_manifest_is_sealed_once_per_change_and_never_wraps() {
        let key = keyring(1);
        let mut m = document(&key);
        let before = m.manifest.clone();
        assert_eq!(seal_manifest(&mut m, &key, 2, &mut rng(4)), Some(3));
        assert_eq!(m.manifest, before);
        assert_eq!(seal_manifest(&mut m, &key, u64::MAX, &mut rng(4)), None);
        assert_eq!(m.manifest, before);
    }
}
