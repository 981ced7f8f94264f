//! Merging two copies of one keyring, entry by entry.

use super::*;

#[test]
fn merge_keeps_both_sides_edits_and_the_later_of_conflicting_ones() {
    let (bytes, _) = sample(18);
    let base = Keyring::parse(&bytes).unwrap();
    let (mut rng_a, mut rng_b) = (rng(20), rng(21));
    let mut a = base.unlock_with_passphrase(&secret(PASSPHRASE)).unwrap();
    let mut b = base.unlock_with_passphrase(&secret(PASSPHRASE)).unwrap();
    a.set(
        "api-key/only-a",
        &api_key("root", "a"),
        T0 + 100,
        &mut rng_a,
    )
    .unwrap();
    b.set(
        "api-key/only-b",
        &api_key("root", "b"),
        T0 + 100,
        &mut rng_b,
    )
    .unwrap();
    a.set(
        "api-key/nas1",
        &api_key("root", "a-earlier"),
        T0 + 200,
        &mut rng_a,
    )
    .unwrap();
    b.set(
        "api-key/nas1",
        &api_key("root", "b-later"),
        T0 + 300,
        &mut rng_b,
    )
    .unwrap();
    assert!(a.remove("api-key/nas2", T0 + 150));
    let b_stored = Keyring::parse(&b.seal(&mut rng_b)).unwrap();

    let report = a.merge(&b_stored).unwrap();
    assert_eq!(report.taken, ["api-key/nas1", "api-key/only-b"]);
    let merged = Keyring::parse(&a.seal(&mut rng_a)).unwrap();
    assert_eq!(merged.revision(), 3, "above both sides");
    let merged = merged.unlock_with_passphrase(&secret(PASSPHRASE)).unwrap();
    assert_eq!(api_key_of(merged.get("api-key/nas1").unwrap()).1, "b-later");
    assert_eq!(api_key_of(merged.get("api-key/only-a").unwrap()).1, "a");
    assert_eq!(api_key_of(merged.get("api-key/only-b").unwrap()).1, "b");
    assert!(
        merged.get("api-key/nas2").unwrap().is_none(),
        "the delete holds"
    );
}

/// A fork: the other copy lacks an entry this one holds. The merge says
/// so, so the caller stores it over the other copy instead of taking that.
#[test]
fn merge_says_when_it_kept_something_the_other_copy_lacks() {
    let (bytes, _) = sample(24);
    let base = Keyring::parse(&bytes).unwrap();
    let (mut rng_a, mut rng_b) = (rng(25), rng(26));
    let mut a = base.unlock_with_passphrase(&secret(PASSPHRASE)).unwrap();
    let mut b = base.unlock_with_passphrase(&secret(PASSPHRASE)).unwrap();
    a.set("api-key/fork", &api_key("root", "a"), T0 + 100, &mut rng_a)
        .unwrap();
    a.seal(&mut rng_a);
    b.set("api-key/other", &api_key("root", "b"), T0 + 100, &mut rng_b)
        .unwrap();
    let b_stored = Keyring::parse(&b.seal(&mut rng_b)).unwrap();
    assert_eq!(b_stored.revision(), a.keyring().revision(), "same revision");
    assert!(a.merge(&b_stored).unwrap().kept_ours);
    // The same copy merged into one that adds nothing: nothing kept.
    let mut c = base.unlock_with_passphrase(&secret(PASSPHRASE)).unwrap();
    assert!(!c.merge(&b_stored).unwrap().kept_ours);
}

/// Revisions never wrap: a seal at the largest revision stays there
/// instead of starting again from 0 (which every browser would read as a
/// rollback).
#[test]
fn a_seal_never_wraps_the_revision() {
    let (bytes, _) = sample(27);
    let mut a = Keyring::parse(&bytes)
        .unwrap()
        .unlock_with_passphrase(&secret(PASSPHRASE))
        .unwrap();
    a.continue_after(u64::MAX);
    let sealed = Keyring::parse(&a.seal(&mut rng(28))).unwrap();
    assert_eq!(sealed.revision(), u64::MAX);
}

#[test]
fn merge_refuses_a_different_or_tampered_keyring() {
    let (a, _) = sample(22);
    let (b, _) = sample(23);
    let mut unlocked = Keyring::parse(&a)
        .unwrap()
        .unlock_with_passphrase(&secret(PASSPHRASE))
        .unwrap();
    assert!(matches!(
        unlocked.merge(&Keyring::parse(&b).unwrap()),
        Err(Error::Keyring(crate::KeyringProblem::Different))
    ));
    let mut tampered = Keyring::parse(&a).unwrap();
    tampered.entries.remove("api-key/nas1");
    assert!(matches!(unlocked.merge(&tampered), Err(Error::Tampered(_))));
}

mod merge_properties {
    use proptest::prelude::*;

    use crate::keyring::{Entry, merge::merge_entries};
    use std::collections::BTreeMap;

    fn arb_entries() -> impl Strategy<Value = BTreeMap<String, Entry>> {
        prop::collection::btree_map(
            "[a-d]",
            (0u64..5, any::<bool>(), 0u8..3).prop_map(|(updated_ms, deleted, n)| Entry {
                updated_ms,
                deleted,
                nonce: [n; 24],
                ciphertext: if deleted { Vec::new() } else { vec![n; 4] },
            }),
            0..5,
        )
    }

    fn merged(a: &BTreeMap<String, Entry>, b: &BTreeMap<String, Entry>) -> BTreeMap<String, Entry> {
        let mut out = a.clone();
        merge_entries(&mut out, b);
        out
    }

    proptest! {
        #[test]
        fn keyring_merge_is_commutative_and_idempotent(a in arb_entries(), b in arb_entries()) {
            prop_assert_eq!(merged(&a, &b), merged(&b, &a));
            prop_assert_eq!(merged(&merged(&a, &b), &b), merged(&a, &b));
            prop_assert_eq!(merged(&a, &a), a.clone());
        }

        #[test]
        fn keyring_merge_loses_no_entry(a in arb_entries(), b in arb_entries()) {
            let m = merged(&a, &b);
            for (id, entry) in a.iter().chain(b.iter()) {
                let kept = &m[id];
                prop_assert!((kept.updated_ms, kept.nonce) >= (entry.updated_ms, entry.nonce));
            }
        }
    }
}
