//! The manifest against what a hostile server does to the document: forge,
//! replay, strip, reorder, truncate, overflow.

use base64ct::Encoding;

use crate::model::*;
use crate::{
    Error,
    keyring::Unlocked,
    testing::{T0, keyring, rng},
};

fn system(name: &str, url: &str) -> System {
    System {
        name: name.into(),
        url: url.into(),
        api_username: Some("root".into()),
        api_key_id: Some(7),
    }
}

fn connection(name: &str) -> Connection {
    Connection {
        name: name.into(),
        host: "nas2.lan".into(),
        port: 22,
        username: "root".into(),
        keypair_id: "k1".into(),
        remote_host_keys: "ssh-ed25519 AAAA-host".into(),
        connect_timeout: 10,
    }
}

fn document() -> Metadata {
    let mut m = Metadata::default();
    m.put_system("s1", system("nas1", "https://nas1.lan"), T0, "d1");
    m.put_system("s2", system("nas2", "https://nas2.lan"), T0, "d1");
    m.put_connection("c1", connection("to-nas2"), T0, "d1");
    m.put_connection("c2", connection("to-nas3"), T0, "d1");
    m
}

fn sealed(m: &Metadata, revision: u64, key: &Unlocked) -> String {
    Manifest::of(m, revision).seal(key, &mut rng(3))
}

fn rewritten(m: &Metadata, edit: impl FnOnce(&mut serde_json::Value)) -> Metadata {
    let mut json: serde_json::Value = serde_json::from_slice(&m.to_json()).unwrap();
    edit(&mut json);
    Metadata::from_json(&serde_json::to_vec(&json).unwrap()).unwrap()
}

#[test]
fn a_document_as_sealed_departs_in_nothing() {
    let key = keyring(1);
    let m = document();
    let opened = Manifest::open(&sealed(&m, 5, &key), &key).unwrap();
    assert_eq!(opened, Manifest::of(&m, 5));
    assert!(opened.departures(&m).is_empty());
    // Through JSON, as the server stores it: the same.
    assert!(opened.departures(&rewritten(&m, |_| {})).is_empty());
}

#[test]
fn a_forged_or_cut_manifest_does_not_open() {
    let key = keyring(1);
    let m = document();
    let good = sealed(&m, 5, &key);
    let other = sealed(&m, 5, &keyring(2));
    assert!(matches!(
        Manifest::open(&other, &key),
        Err(Error::Tampered(_))
    ));
    let mut bytes = base64ct::Base64::decode_vec(&good).unwrap();
    bytes.truncate(bytes.len() - 1);
    let cut = base64ct::Base64::encode_string(&bytes);
    assert!(matches!(
        Manifest::open(&cut, &key),
        Err(Error::Tampered(_))
    ));
    assert!(matches!(
        Manifest::open("not base64!", &key),
        Err(Error::Tampered(_))
    ));
    // A seal made for an item can't pass for the manifest.
    let mut item = m.clone();
    item.seal(Kind::System, "s1", &key, &mut rng(4));
    let item_seal = item.systems["s1"].seal.clone().unwrap();
    assert!(Manifest::open(&item_seal, &key).is_err());
}

#[test]
fn an_old_version_of_an_item_served_again_is_older() {
    let key = keyring(1);
    let old = document();
    let mut new = old.clone();
    new.put_system("s1", system("nas1", "https://nas1.example"), T0 + 10, "d1");
    let manifest = Manifest::open(&sealed(&new, 6, &key), &key).unwrap();
    let mut replayed = new.clone();
    replayed
        .systems
        .insert("s1".into(), old.systems["s1"].clone());
    assert_eq!(
        manifest.departures(&replayed),
        [(Kind::System, "s1".to_owned(), Departure::Older)]
    );
}

#[test]
fn names_and_timeouts_rewritten_in_place_are_altered() {
    let key = keyring(1);
    let m = document();
    let manifest = Manifest::open(&sealed(&m, 5, &key), &key).unwrap();
    // Two connections' names swapped, stamps untouched.
    let swapped = rewritten(&m, |j| {
        j["connections"]["c1"]["value"]["name"] = "to-nas3".into();
        j["connections"]["c2"]["value"]["name"] = "to-nas2".into();
        j["systems"]["s2"]["value"]["name"] = "renamed".into();
        j["connections"]["c2"]["value"]["connect_timeout"] = 120.into();
    });
    let mut got = manifest.departures(&swapped);
    got.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        got,
        [
            (Kind::Connection, "c1".to_owned(), Departure::Altered),
            (Kind::Connection, "c2".to_owned(), Departure::Altered),
            (Kind::System, "s2".to_owned(), Departure::Altered),
        ]
    );
}

#[test]
fn a_stripped_dropped_or_forged_deletion_shows() {
    let key = keyring(1);
    let m = document();
    let manifest = Manifest::open(&sealed(&m, 5, &key), &key).unwrap();
    // Dropped from the document, and one the server added.
    let mut changed = m.clone();
    changed.connections.remove("c1");
    changed.put_system("s9", system("nas9", "https://evil.example"), T0, "server");
    // A deletion with a later stamp: not proven by the manifest.
    changed.remove_system("s2", T0 + 60_000, "server");
    let mut got = manifest.departures(&changed);
    got.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        got,
        [
            (Kind::Connection, "c1".to_owned(), Departure::Missing),
            (
                Kind::System,
                "s2".to_owned(),
                Departure::Newer { deleted: true }
            ),
            (Kind::System, "s9".to_owned(), Departure::Unlisted),
        ]
    );
}

#[test]
fn items_reordered_in_the_json_are_the_same_document() {
    let key = keyring(1);
    let m = document();
    let manifest = Manifest::open(&sealed(&m, 5, &key), &key).unwrap();
    // The server writes the maps in another order: nothing departs.
    let text = String::from_utf8(m.to_json()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let reordered = serde_json::json!({
        "connections": json["connections"],
        "systems": json["systems"],
        "keypairs": json["keypairs"],
    });
    let m2 = Metadata::from_json(&serde_json::to_vec(&reordered).unwrap()).unwrap();
    assert!(manifest.departures(&m2).is_empty());
    // The same values moved to each other's ids do depart.
    let moved = rewritten(&m, |j| {
        let one = j["systems"]["s1"].clone();
        j["systems"]["s1"] = j["systems"]["s2"].clone();
        j["systems"]["s2"] = one;
    });
    assert_eq!(manifest.departures(&moved).len(), 2);
}

#[test]
fn revisions_never_wrap_and_hostile_sizes_are_refused() {
    assert_eq!(Manifest::next_revision(7), Some(8));
    assert_eq!(Manifest::next_revision(u64::MAX), None);
    let key = keyring(1);
    // A manifest at the largest revision opens as it is (no arithmetic).
    let m = document();
    let top = Manifest::open(&sealed(&m, u64::MAX, &key), &key).unwrap();
    assert_eq!(top.revision, u64::MAX);
    // A count beyond the cap is refused before anything is allocated.
    let mut w = crate::keyring::wire::Writer::default();
    w.u64(1).u32(u32::MAX);
    let huge = key.seal_metadata(b"\x00metadata manifest v1", &w.0, &mut rng(5));
    let huge = base64ct::Base64::encode_string(&huge);
    assert!(matches!(
        Manifest::open(&huge, &key),
        Err(Error::Damaged(_))
    ));
}

#[test]
fn digests_computed_ahead_prove_only_their_own_document() {
    let key = keyring(1);
    let m = std::sync::Arc::new(document());
    let manifest = Manifest::open(&sealed(&m, 5, &key), &key).unwrap();
    let ahead = ItemDigests::of(&m);
    assert!(ahead.are_of(&m));
    assert!(manifest.departures_of(&m, &ahead).is_empty());
    // An equal document elsewhere, and one rewritten in place with the
    // same stamps: the digests ahead are not theirs, so each item is
    // digested as it is (the rewrite still shows).
    let equal = std::sync::Arc::new(Metadata::clone(&m));
    assert!(!ahead.are_of(&equal));
    assert!(manifest.departures_of(&equal, &ahead).is_empty());
    let swapped = std::sync::Arc::new(rewritten(&m, |j| {
        j["systems"]["s2"]["value"]["name"] = "renamed".into();
    }));
    assert_eq!(
        manifest.departures_of(&swapped, &ahead),
        [(Kind::System, "s2".to_owned(), Departure::Altered)]
    );
    // A copy made to change the document (as `Arc::make_mut` makes one
    // while the digests hold it) is another document.
    let mut edited = std::sync::Arc::clone(&m);
    std::sync::Arc::make_mut(&mut edited)
        .systems
        .get_mut("s2")
        .unwrap()
        .value
        .as_mut()
        .unwrap()
        .name = "renamed".into();
    assert!(!ahead.are_of(&edited));
    assert_eq!(
        manifest.departures_of(&edited, &ahead),
        [(Kind::System, "s2".to_owned(), Departure::Altered)]
    );
}
