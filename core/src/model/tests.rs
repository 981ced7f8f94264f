use proptest::prelude::*;

use super::*;

fn keypair(name: &str) -> Keypair {
    Keypair {
        name: name.into(),
        key_type: "ssh-ed25519".into(),
        public_key: "ssh-ed25519 AAAA".into(),
        fingerprint: "SHA256:x".into(),
    }
}

fn connection(name: &str, keypair_id: &str) -> Connection {
    Connection {
        name: name.into(),
        host: "nas2.lan".into(),
        port: 22,
        username: "root".into(),
        keypair_id: keypair_id.into(),
        remote_host_keys: String::new(),
        connect_timeout: 10,
    }
}

#[test]
fn names_are_unique_across_keypairs_and_connections() {
    let mut m = Metadata::default();
    m.put_keypair("k1", keypair("backup"), 1, "d");
    m.put_connection("c1", connection("nas2", "k1"), 1, "d");
    let taken = "Is already in use by another Keychain Credential";
    assert_eq!(
        m.check_credential_name("backup", None)
            .unwrap_err()
            .to_string(),
        taken
    );
    assert_eq!(
        m.check_credential_name("nas2", None)
            .unwrap_err()
            .to_string(),
        taken
    );
    assert!(
        m.check_credential_name("nas2", Some("c1")).is_ok(),
        "editing keeps its own name"
    );
    assert!(m.check_credential_name("other", None).is_ok());
    assert_eq!(
        m.check_credential_name("  ", None).unwrap_err().to_string(),
        "Name is required"
    );
    // A deleted item's name is free again.
    m.remove_keypair("k1", 2, "d");
    assert!(m.check_credential_name("backup", None).is_ok());
}

#[test]
fn connections_using_a_keypair_are_found() {
    let mut m = Metadata::default();
    m.put_keypair("k1", keypair("a"), 1, "d");
    m.put_connection("c1", connection("x", "k1"), 1, "d");
    m.put_connection("c2", connection("y", "k2"), 1, "d");
    let using: Vec<&str> = m
        .connections_using("k1")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(using, ["c1"]);
}

#[test]
fn json_round_trips_and_garbage_is_refused() {
    let mut m = Metadata::default();
    m.put_system(
        "s1",
        System {
            name: "nas1".into(),
            url: "https://nas1.lan".into(),
            api_username: Some("root".into()),
            api_key_id: Some(7),
        },
        5,
        "d",
    );
    m.remove_system("s1", 6, "d");
    assert_eq!(Metadata::from_json(&m.to_json()).unwrap(), m);
    assert!(Metadata::from_json(b"{\"systems\": 5}").is_err());
    assert_eq!(Metadata::from_json(b"{}").unwrap(), Metadata::default());
}

#[test]
fn edits_after_a_backwards_clock_still_win() {
    let mut m = Metadata::default();
    m.put_keypair("k", keypair("first"), 100, "d");
    m.put_keypair("k", keypair("second"), 50, "d");
    assert_eq!(m.keypair("k").unwrap().name, "second");
    assert_eq!(m.keypairs["k"].updated, 101);
}

#[test]
fn merge_keeps_both_sides_and_the_later_edit() {
    let mut base = Metadata::default();
    base.put_connection("c", connection("shared", "k"), 10, "a");
    base.put_keypair("gone", keypair("old"), 10, "a");
    let mut a = base.clone();
    let mut b = base.clone();
    a.put_keypair("ka", keypair("from a"), 20, "a");
    b.put_keypair("kb", keypair("from b"), 20, "b");
    a.put_connection("c", connection("edited by a", "k"), 30, "a");
    b.put_connection("c", connection("edited by b later", "k"), 40, "b");
    a.remove_keypair("gone", 25, "a");

    let report = a.merge(&b);
    assert_eq!(a.connection("c").unwrap().name, "edited by b later");
    assert!(a.keypair("ka").is_some() && a.keypair("kb").is_some());
    assert!(
        a.keypair("gone").is_none(),
        "the delete holds against an older version"
    );
    assert_eq!(
        report.replaced,
        [Replaced {
            kind: Kind::Connection,
            id: "c".to_owned(),
            name: "edited by a".to_owned(),
            by: "a".to_owned(),
            deleted: false,
            proven: true,
        }]
    );
    assert_eq!(report.added, [(Kind::Keypair, "kb".to_owned())]);

    // A later delete on the other side replaces an edit here, and says so.
    let mut c = b.clone();
    c.remove_connection("c", 50, "c");
    let report = b.merge(&c);
    assert!(b.connection("c").is_none());
    assert_eq!(report.replaced.len(), 1);
    assert!(report.replaced[0].deleted);
    assert_eq!(report.replaced[0].name, "edited by b later");
    assert_eq!(report.replaced[0].by, "b");
}

#[test]
fn urls_and_hosts_are_normalized_as_truenas_does() {
    assert_eq!(
        normalize_truenas_url("10.0.0.5", "http").unwrap(),
        "http://10.0.0.5"
    );
    assert_eq!(
        normalize_truenas_url("10.0.0.5", "https").unwrap(),
        "https://10.0.0.5"
    );
    assert_eq!(
        normalize_truenas_url(" HTTPS://NAS1.lan:443/ui/ ", "http").unwrap(),
        "https://nas1.lan"
    );
    assert_eq!(
        normalize_truenas_url("https://nas1.lan:8443", "http").unwrap(),
        "https://nas1.lan:8443"
    );
    assert_eq!(
        normalize_truenas_url("https://[fd00::5]/", "http").unwrap(),
        "https://[fd00::5]"
    );
    assert!(normalize_truenas_url("ftp://nas1", "http").is_err());
    assert!(normalize_truenas_url("https://nas 1", "http").is_err());
    assert!(normalize_truenas_url("https://nas1:99999", "http").is_err());
    assert_eq!(
        normalize_truenas_url("", "http").unwrap_err().to_string(),
        "TrueNAS URL is required"
    );

    assert_eq!(
        host_from_input("https://10.231.3.76").unwrap(),
        "10.231.3.76"
    );
    assert_eq!(
        host_from_input("ssh://root@nas2.lan:2222/").unwrap(),
        "nas2.lan"
    );
    assert_eq!(host_from_input("fd00::5").unwrap(), "fd00::5");
    assert!(host_from_input("-bad-.lan").is_err());
    assert!(host_from_input("").is_err());

    assert_eq!(check_port("22").unwrap(), 22);
    for bad in ["0", "65536", "-1", "x", ""] {
        assert!(check_port(bad).is_err(), "{bad}");
    }
    assert_eq!(check_connect_timeout("10").unwrap(), 10);
    assert!(check_connect_timeout("0").is_err());
    assert!(check_connect_timeout("301").is_err());
}

// Property tests: merge is commutative, idempotent, and loses no item.

fn arb_item() -> impl Strategy<Value = Item<Keypair>> {
    (
        0u64..6,
        prop::sample::select(vec!["a", "b"]),
        prop::option::of("[a-c]{1,2}"),
        prop::option::of("[xy]"),
    )
        .prop_map(|(updated, by, name, seal)| Item {
            updated,
            by: by.to_owned(),
            value: name.map(|n| keypair(&n)),
            seal,
        })
}

fn arb_metadata() -> impl Strategy<Value = Metadata> {
    (
        prop::collection::btree_map("[a-e]", arb_item(), 0..5),
        prop::collection::btree_map("[a-e]", arb_item(), 0..5),
    )
        .prop_map(|(keypairs, other)| {
            let mut m = Metadata {
                keypairs,
                ..Metadata::default()
            };
            for (id, item) in other {
                let value = item.value.map(|k| connection(&k.name, "k"));
                m.connections.insert(
                    id,
                    Item {
                        updated: item.updated,
                        by: item.by,
                        value,
                        seal: item.seal,
                    },
                );
            }
            m
        })
}

proptest! {
    #[test]
    fn merge_is_commutative(a in arb_metadata(), b in arb_metadata()) {
        prop_assert_eq!(Metadata::merged(&a, &b), Metadata::merged(&b, &a));
    }

    #[test]
    fn merge_is_idempotent(a in arb_metadata(), b in arb_metadata()) {
        let once = Metadata::merged(&a, &b);
        prop_assert_eq!(Metadata::merged(&once, &b), once.clone());
        prop_assert_eq!(Metadata::merged(&a, &a), a);
    }

    #[test]
    fn merge_is_associative(a in arb_metadata(), b in arb_metadata(), c in arb_metadata()) {
        let left = Metadata::merged(&Metadata::merged(&a, &b), &c);
        let right = Metadata::merged(&a, &Metadata::merged(&b, &c));
        prop_assert_eq!(left, right);
    }

    #[test]
    fn merge_loses_no_item_and_keeps_the_latest(a in arb_metadata(), b in arb_metadata()) {
        let merged = Metadata::merged(&a, &b);
        for side in [&a, &b] {
            for (id, item) in &side.keypairs {
                let kept = &merged.keypairs[id];
                prop_assert!((kept.updated, &kept.by) >= (item.updated, &item.by));
            }
            for id in side.connections.keys() {
                prop_assert!(merged.connections.contains_key(id));
            }
        }
    }
}
