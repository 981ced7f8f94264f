//! Sealed metadata and hostile values: what a server that rewrites the
//! metadata document can and can't get past.

use crate::model::*;
use crate::{
    keyring::Unlocked,
    testing::{T0, keyring, rng},
};

fn system(url: &str) -> System {
    System {
        name: "nas1".into(),
        url: url.into(),
        api_username: Some("root".into()),
        api_key_id: Some(7),
    }
}

fn keypair() -> Keypair {
    Keypair {
        name: "backup".into(),
        key_type: "ssh-ed25519".into(),
        public_key: "ssh-ed25519 AAAAC3Nza-ours".into(),
        fingerprint: "SHA256:ours".into(),
    }
}

fn connection() -> Connection {
    Connection {
        name: "to-nas2".into(),
        host: "nas2.lan".into(),
        port: 22,
        username: "root".into(),
        keypair_id: "k1".into(),
        remote_host_keys: "ssh-ed25519 AAAA-host".into(),
        connect_timeout: 10,
    }
}

/// A document with one sealed item of each kind.
fn sealed_document(key: &Unlocked) -> Metadata {
    let mut m = Metadata::default();
    let mut rng = rng(1);
    m.put_system("s1", system("https://nas1.lan"), T0, "d1");
    m.put_keypair("k1", keypair(), T0, "d1");
    m.put_connection("c1", connection(), T0, "d1");
    for (kind, id) in [
        (Kind::System, "s1"),
        (Kind::Keypair, "k1"),
        (Kind::Connection, "c1"),
    ] {
        assert!(m.seal(kind, id, key, &mut rng));
    }
    m
}

/// The document as a hostile server would rewrite it: through JSON.
fn edited(m: &Metadata, edit: impl FnOnce(&mut serde_json::Value)) -> Metadata {
    let mut json: serde_json::Value = serde_json::from_slice(&m.to_json()).unwrap();
    edit(&mut json);
    Metadata::from_json(json.to_string().as_bytes()).unwrap()
}

#[test]
fn sealed_items_verify_and_survive_a_round_trip() {
    let key = keyring(1);
    let m = sealed_document(&key);
    let back = Metadata::from_json(&m.to_json()).unwrap();
    assert!(back.findings(&key).is_empty());
    assert_eq!(back.trust(Kind::System, "s1", &key), Some(Trust::Verified));
}

#[test]
fn a_rewritten_url_public_key_or_host_key_is_caught_with_both_values() {
    let key = keyring(1);
    let m = sealed_document(&key);
    let hostile = edited(&m, |j| {
        j["systems"]["s1"]["value"]["url"] = "https://evil.example".into();
        // Raising the stamp makes it win every merge: the seal still tells.
        j["systems"]["s1"]["updated"] = (T0 + 1000).into();
        j["keypairs"]["k1"]["value"]["public_key"] = "ssh-ed25519 AAAA-theirs".into();
        j["connections"]["c1"]["value"]["remote_host_keys"] = "ssh-ed25519 AAAA-mitm".into();
    });
    let findings = hostile.findings(&key);
    assert_eq!(findings.len(), 3, "{findings:?}");
    let Some(Trust::Changed { trusted, now }) = hostile.trust(Kind::System, "s1", &key) else {
        panic!("the URL change is caught");
    };
    assert_eq!(
        trusted.differences(&now),
        vec![("URL", "https://nas1.lan", "https://evil.example")]
    );
    let Some(Trust::Changed { trusted, now }) = hostile.trust(Kind::Keypair, "k1", &key) else {
        panic!("the public key change is caught");
    };
    assert_eq!(trusted.differences(&now)[0].0, "Public key");
    assert!(matches!(
        hostile.trust(Kind::Connection, "c1", &key),
        Some(Trust::Changed { .. })
    ));
}

#[test]
fn a_seal_opened_before_decides_only_for_the_same_seal_text() {
    // Each seal is opened once per key (`OpenedSeals`); what was learned
    // of one seal must never answer for another.
    let key = keyring(1);
    let mut m = sealed_document(&key);
    assert_eq!(m.trust(Kind::System, "s1", &key), Some(Trust::Verified));
    // The server rewrites a field: the remembered seal still decides, and
    // says changed.
    m.systems.get_mut("s1").unwrap().value.as_mut().unwrap().url = "https://evil".into();
    assert!(matches!(
        m.trust(Kind::System, "s1", &key),
        Some(Trust::Changed { .. })
    ));
    // A forged seal in place of the one remembered: opened, refused.
    let sealed = m.systems["s1"].seal.clone();
    m.systems.get_mut("s1").unwrap().seal = Some("AAAA".into());
    assert_eq!(m.trust(Kind::System, "s1", &key), Some(Trust::Foreign));
    // The good seal back: verified on its own again, nothing remembered
    // of the forgery.
    m.systems.get_mut("s1").unwrap().seal = sealed;
    m.systems.get_mut("s1").unwrap().value.as_mut().unwrap().url = "https://nas1.lan".into();
    assert_eq!(m.trust(Kind::System, "s1", &key), Some(Trust::Verified));
    // Another item given s1's seal: opened for its own place, refused.
    m.put_system("s2", system("https://nas1.lan"), T0, "d1");
    m.systems.get_mut("s2").unwrap().seal = m.systems["s1"].seal.clone();
    assert_eq!(m.trust(Kind::System, "s2", &key), Some(Trust::Foreign));
    // The same keyring unlocked anew (a new key's cache) agrees.
    let again = keyring(1);
    assert_eq!(
        m.trust(Kind::System, "s2", &again),
        m.trust(Kind::System, "s2", &key)
    );
}

#[test]
fn a_seal_moved_to_another_item_or_keyring_does_not_open() {
    let key = keyring(1);
    let mut m = sealed_document(&key);
    m.put_system("s2", system("https://nas1.lan"), T0, "d1");
    // Same fields, another item's seal: refused.
    let seal = m.systems["s1"].seal.clone();
    m.systems.get_mut("s2").unwrap().seal = seal;
    assert_eq!(m.trust(Kind::System, "s2", &key), Some(Trust::Foreign));
    // A seal made under another keyring's key: refused.
    let other = keyring(2);
    assert_eq!(m.trust(Kind::System, "s1", &other), Some(Trust::Foreign));
    // A forged seal: refused, never a panic.
    m.systems.get_mut("s1").unwrap().seal = Some("AAAA".into());
    assert_eq!(m.trust(Kind::System, "s1", &key), Some(Trust::Foreign));
}

#[test]
fn a_stripped_seal_leaves_the_item_unsealed() {
    let key = keyring(1);
    let m = sealed_document(&key);
    let hostile = edited(&m, |j| {
        j["systems"]["s1"].as_object_mut().unwrap().remove("seal");
        j["systems"]["s1"]["value"]["url"] = "https://evil.example".into();
    });
    assert_eq!(
        hostile.trust(Kind::System, "s1", &key),
        Some(Trust::Unsealed)
    );
}

#[test]
fn restore_puts_back_the_sealed_values_as_a_newer_edit() {
    let key = keyring(1);
    let m = sealed_document(&key);
    let mut hostile = edited(&m, |j| {
        j["systems"]["s1"]["value"]["url"] = "https://evil.example".into();
        j["systems"]["s1"]["updated"] = (T0 + 1000).into();
    });
    hostile
        .restore(Kind::System, "s1", &key, T0 + 5, "d1", &mut rng(3))
        .unwrap();
    assert_eq!(hostile.system("s1").unwrap().url, "https://nas1.lan");
    assert_eq!(hostile.system("s1").unwrap().api_key_id, Some(7));
    assert!(
        hostile.systems["s1"].updated > T0 + 1000,
        "it wins the merge"
    );
    assert_eq!(
        hostile.trust(Kind::System, "s1", &key),
        Some(Trust::Verified)
    );
    // Nothing to restore on a verified item.
    assert!(
        hostile
            .restore(Kind::System, "s1", &key, T0 + 6, "d1", &mut rng(3))
            .is_err()
    );
}

#[test]
fn accepting_a_change_seals_it() {
    let key = keyring(1);
    let m = sealed_document(&key);
    let mut changed = edited(&m, |j| {
        j["connections"]["c1"]["value"]["port"] = 2222.into();
    });
    assert!(changed.seal(Kind::Connection, "c1", &key, &mut rng(4)));
    assert_eq!(
        changed.trust(Kind::Connection, "c1", &key),
        Some(Trust::Verified)
    );
}

#[test]
fn items_written_while_locked_are_sealed_only_if_unchanged() {
    let key = keyring(1);
    let before = Metadata::default();
    let mut m = before.clone();
    m.put_system("s1", system("https://nas1.lan"), T0, "d1");
    m.put_system("s2", system("https://nas2.lan"), T0, "d1");
    let written: Vec<_> = ["s1", "s2"]
        .into_iter()
        .map(|id| m.locked_edit(&before, Kind::System, id).unwrap())
        .collect();
    assert!(written.iter().all(|e| e.over == Basis::Known), "new items");
    // Meanwhile the server points s2 elsewhere.
    let mut m = edited(&m, |j| {
        j["systems"]["s2"]["value"]["url"] = "https://evil.example".into();
    });
    let left = m.seal_locked_edits(&written, &key, &mut rng(5));
    assert_eq!(left, vec![(Kind::System, "s2".to_owned())]);
    assert_eq!(m.trust(Kind::System, "s1", &key), Some(Trust::Verified));
    assert_eq!(m.trust(Kind::System, "s2", &key), Some(Trust::Unsealed));
}

/// The server swaps a connection's host and host keys; the user, locked,
/// renames it. At unlock the edit is still what was written, but it was
/// made over the server's values: nothing is sealed.
#[test]
fn a_locked_edit_over_the_servers_values_is_not_sealed_at_unlock() {
    let key = keyring(1);
    let mine = sealed_document(&key);
    let before = edited(&mine, |j| {
        j["connections"]["c1"]["value"]["host"] = "evil.example".into();
        j["connections"]["c1"]["value"]["remote_host_keys"] = "ssh-ed25519 AAAA-evil".into();
    });
    let mut after = before.clone();
    let mut renamed = after.connection("c1").unwrap().clone();
    renamed.name = "renamed".into();
    after.put_connection("c1", renamed, T0 + 10, "d1");
    let edit = after.locked_edit(&before, Kind::Connection, "c1").unwrap();
    assert!(matches!(edit.over, Basis::Sealed { .. }));
    let left = after.seal_locked_edits(&[edit], &key, &mut rng(6));
    assert_eq!(left, vec![(Kind::Connection, "c1".to_owned())]);
    let Some(Trust::Changed { trusted, .. }) = after.trust(Kind::Connection, "c1", &key) else {
        panic!("the earlier seal is back: changed, with the user's values to restore");
    };
    assert_eq!(trusted, connection().pinned());

    // The same edit over the user's own values is sealed.
    let mut after = mine.clone();
    let mut renamed = after.connection("c1").unwrap().clone();
    renamed.name = "renamed".into();
    after.put_connection("c1", renamed, T0 + 10, "d1");
    let edit = after.locked_edit(&mine, Kind::Connection, "c1").unwrap();
    assert!(
        after
            .seal_locked_edits(&[edit], &key, &mut rng(7))
            .is_empty()
    );
    assert_eq!(
        after.trust(Kind::Connection, "c1", &key),
        Some(Trust::Verified)
    );

    // Over an item nobody sealed: left for the user to confirm.
    let mut unsealed = Metadata::default();
    unsealed.put_system("s1", system("https://nas1.lan"), T0, "server");
    let mut after = unsealed.clone();
    after.put_system("s1", system("https://nas1.lan:8443"), T0 + 1, "d1");
    let edit = after.locked_edit(&unsealed, Kind::System, "s1").unwrap();
    assert_eq!(edit.over, Basis::Unconfirmed);
    assert_eq!(after.seal_locked_edits(&[edit], &key, &mut rng(8)).len(), 1);
}

/// Editing a changed item while unlocked does not accept the change: the
/// item keeps its seal, so it is still shown as changed, with Restore mine.
#[test]
fn an_unlocked_edit_seals_only_items_that_were_verified() {
    let key = keyring(1);
    let mine = sealed_document(&key);
    let before = edited(&mine, |j| {
        j["systems"]["s1"]["value"]["url"] = "https://evil.example".into();
    });
    let mut after = before.clone();
    let mut renamed = after.system("s1").unwrap().clone();
    renamed.name = "renamed".into();
    after.put_system("s1", renamed, T0 + 10, "d1");
    let mut port = after.connection("c1").unwrap().clone();
    port.port = 2222;
    after.put_connection("c1", port, T0 + 10, "d1");
    after.seal_edit(&before, &key, &mut rng(9));
    assert!(matches!(
        after.trust(Kind::System, "s1", &key),
        Some(Trust::Changed { .. })
    ));
    assert_eq!(
        after.trust(Kind::Connection, "c1", &key),
        Some(Trust::Verified),
        "a verified item's edit is sealed"
    );
}

#[test]
fn reseal_moves_verified_items_to_a_new_key_and_wins_over_old_seals() {
    let old = keyring(1);
    let mut m = sealed_document(&old);
    m.connections
        .get_mut("c1")
        .unwrap()
        .value
        .as_mut()
        .unwrap()
        .port = 2222;
    let before = m.clone();
    let new = keyring(2);
    let verified = m.verified(&old);
    assert_eq!(verified.len(), 2, "the changed connection is not carried");
    m.reseal(&verified, &new, T0 + 10, "d1", &mut rng(6));
    assert_eq!(m.trust(Kind::System, "s1", &new), Some(Trust::Verified));
    assert_eq!(m.trust(Kind::Keypair, "k1", &new), Some(Trust::Verified));
    assert_eq!(m.trust(Kind::Connection, "c1", &new), Some(Trust::Foreign));
    // Another device's copy still sealed under the old key loses the merge.
    let merged = Metadata::merged(&before, &m);
    assert_eq!(
        merged.trust(Kind::System, "s1", &new),
        Some(Trust::Verified)
    );
    assert_eq!(merged, Metadata::merged(&m, &before));
}

#[test]
fn one_version_sealed_on_two_devices_settles_on_one_seal() {
    let key = keyring(1);
    let mut a = Metadata::default();
    a.put_system("s1", system("https://nas1.lan"), T0, "d1");
    let mut b = a.clone();
    a.seal(Kind::System, "s1", &key, &mut rng(7));
    b.seal(Kind::System, "s1", &key, &mut rng(8));
    let ab = Metadata::merged(&a, &b);
    assert_eq!(ab, Metadata::merged(&b, &a));
    // A seal alone is no edit of the user's to report.
    assert!(a.clone().merge(&b).replaced.is_empty());
}

#[test]
fn hostile_values_are_refused_item_by_item() {
    let mut m = Metadata::default();
    m.put_system("s1", system("https://nas1.lan"), T0, "d1");
    m.put_system("s2", system("https://nas2.lan"), T0, "d1");
    m.put_system("s3", system("https://nas3.lan"), T0, "d1");
    m.put_system("s4", system("https://nas4.lan"), T0, "d1");
    m.put_connection("c1", connection(), T0, "d1");
    m.put_keypair("k1", keypair(), T0, "d1");
    let mut hostile = edited(&m, |j| {
        j["systems"]["s1"]["value"]["url"] = "javascript:alert(1)".into();
        j["systems"]["s2"]["value"]["url"] = "https://nas2.lan/../evil".into();
        j["systems"]["s3"]["updated"] = u64::MAX.into();
        j["connections"]["c1"]["value"]["host"] = "nas2.lan; rm -rf /".into();
        j["keypairs"]["k1"]["value"]["name"] = "x".repeat(10_000).into();
    });
    let refused = hostile.refuse_invalid(T0);
    let ids: Vec<&str> = refused.iter().map(|(_, id, _)| id.as_str()).collect();
    assert_eq!(ids, ["s1", "s2", "s3", "k1", "c1"]);
    assert!(hostile.system("s4").is_some(), "valid items stay");
    // A stamp a little ahead (clock skew) is fine; u64::MAX never overflows.
    let mut skewed = Metadata::default();
    skewed.put_system("s1", system("https://nas1.lan"), T0 + 60_000, "d1");
    assert!(skewed.refuse_invalid(T0).is_empty());
    let mut edge = Metadata::default();
    edge.put_system("s1", system("https://nas1.lan"), u64::MAX, "d1");
    edge.put_system("s1", system("https://nas1.lan:8443"), T0, "d1");
    assert_eq!(edge.systems["s1"].updated, u64::MAX);
}

#[test]
fn secret_transport_needs_tls_or_a_real_loopback_address() {
    for url in [
        "https://nas1.lan",
        "http://127.0.0.1:6000",
        "http://127.8.9.10",
        "http://localhost:8080",
        "http://[::1]:6000",
    ] {
        assert!(secret_transport_allowed(url), "{url}");
    }
    for url in [
        "http://nas1.lan",
        "http://127.attacker.example",
        "http://127.0.0.1.nip.io",
        "http://localhost.attacker.example",
        "http://[::ffff:10.0.0.1]",
        "http://10.0.0.1",
        "ftp://127.0.0.1",
    ] {
        assert!(!secret_transport_allowed(url), "{url}");
    }
}

#[test]
fn changed_since_names_written_items_only() {
    let mut before = Metadata::default();
    before.put_system("s1", system("https://nas1.lan"), T0, "d1");
    before.put_system("s2", system("https://nas2.lan"), T0, "d1");
    let mut after = before.clone();
    after.put_system("s2", system("https://nas2.lan:8443"), T0 + 1, "d1");
    after.put_keypair("k1", keypair(), T0 + 1, "d1");
    after.remove_system("s1", T0 + 1, "d1");
    assert_eq!(
        after.changed_since(&before),
        vec![
            (Kind::System, "s2".to_owned()),
            (Kind::Keypair, "k1".to_owned())
        ]
    );
}

/// Swapping two systems' names (so Install on Systems would put a key on
/// the wrong one) or a connection's timeout is a change, like a URL.
#[test]
fn names_and_timeouts_are_sealed() {
    let key = keyring(1);
    let mut m = sealed_document(&key);
    let mut other = system("https://nas2.lan");
    other.name = "nas2".into();
    m.put_system("s2", other, T0, "d1");
    assert!(m.seal(Kind::System, "s2", &key, &mut rng(2)));
    let swapped = edited(&m, |j| {
        j["systems"]["s1"]["value"]["name"] = "nas2".into();
        j["systems"]["s2"]["value"]["name"] = "nas1".into();
        j["connections"]["c1"]["value"]["connect_timeout"] = 300.into();
    });
    for (kind, id) in [
        (Kind::System, "s1"),
        (Kind::System, "s2"),
        (Kind::Connection, "c1"),
    ] {
        assert!(
            matches!(swapped.trust(kind, id, &key), Some(Trust::Changed { .. })),
            "{id}"
        );
    }
    // Restore mine puts the names back.
    let mut restored = swapped.clone();
    restored
        .restore(Kind::System, "s1", &key, T0 + 5, "d1", &mut rng(3))
        .unwrap();
    assert_eq!(restored.system("s1").unwrap().name, "nas1");
}

/// A seal made by an earlier release (no name, no timeout) still verifies
/// on what it has, and unlock seals the item anew with every field.
#[test]
fn legacy_seals_verify_and_are_upgraded() {
    let key = keyring(1);
    let mut m = Metadata::default();
    m.put_system("s1", system("https://nas1.lan"), T0, "d1");
    let legacy = Pinned::of(&[
        ("URL", "https://nas1.lan".to_owned()),
        ("API user", "root".to_owned()),
        ("API key id", "7".to_owned()),
    ]);
    let place = {
        let mut w = crate::keyring::wire::Writer::default();
        w.u8(Kind::System as u8).str16("s1");
        w.0
    };
    let sealed = key.seal_metadata(&place, &legacy.encode(), &mut rng(2));
    m.systems.get_mut("s1").unwrap().seal = Some(
        <base64ct::Base64 as base64ct::Encoding>::encode_string(&sealed),
    );
    assert_eq!(m.trust(Kind::System, "s1", &key), Some(Trust::Verified));
    // A legacy seal of other values is not made anew: the change stays
    // for the user to see.
    let mut moved = edited(&m, |j| {
        j["systems"]["s1"]["value"]["url"] = "https://evil.lan".into();
    });
    assert!(!moved.upgrade_legacy_seals(&key, &mut rng(5)));
    assert!(matches!(
        moved.trust(Kind::System, "s1", &key),
        Some(Trust::Changed { .. })
    ));
    assert!(m.upgrade_legacy_seals(&key, &mut rng(3)));
    assert!(!m.upgrade_legacy_seals(&key, &mut rng(4)), "once");
    let renamed = edited(&m, |j| {
        j["systems"]["s1"]["value"]["name"] = "evil".into();
    });
    assert!(matches!(
        renamed.trust(Kind::System, "s1", &key),
        Some(Trust::Changed { .. })
    ));
}

#[test]
fn seals_open_in_slices_to_the_last_item() {
    let key = keyring(1);
    let m = sealed_document(&key);
    // Three sealed items: slices of two end after the second.
    assert_eq!(m.open_seals(&key, 0, 2), Some(2));
    assert_eq!(m.open_seals(&key, 2, 2), None);
    assert_eq!(m.open_seals(&key, 0, 3), None);
    // What they opened decides as a fresh opening would.
    assert!(m.findings(&key).is_empty());
    assert_eq!(m.findings(&keyring(2)).len(), 3);
}
