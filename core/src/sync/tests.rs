use secrecy::SecretString;

use super::*;
use crate::{
    api::Tag,
    keyring::{EntryValue, Unlocked},
    testing::{T0, keyring as unlocked, rng},
};

/// A stored copy at `revision` (seals until it gets there).
fn sealed(keyring: &mut Unlocked, revision: u64) -> Keyring {
    let mut rng = rng(revision);
    while keyring.keyring().revision() < revision {
        keyring.seal(&mut rng);
    }
    keyring.keyring().clone()
}

fn at(keyring: &Keyring, tag: &str) -> Server {
    Server::Present(copy(keyring, tag))
}

fn copy(keyring: &Keyring, tag: &str) -> ServerCopy {
    ServerCopy {
        keyring: keyring.clone(),
        tag: Tag::new(tag).unwrap(),
    }
}

fn conflict(conflict: Conflict, server: Option<(&Keyring, &str)>) -> Step {
    Step::Conflict(KeyringConflict::over(
        conflict,
        server.map(|(k, t)| copy(k, t)),
    ))
}

fn local(keyring: Option<&Keyring>, highest: u64) -> Local<'_> {
    Local {
        keyring,
        stored: true,
        pending: false,
        unlocked: false,
        highest,
    }
}

#[test]
fn a_missing_keyring_is_never_dropped_silently() {
    let ours = sealed(&mut unlocked(1), 3);
    assert_eq!(
        decide(local(Some(&ours), 3), Server::Missing),
        conflict(Conflict::Missing, None)
    );
    // Even with nothing pending, unlocked or not.
    let unlocked_here = Local {
        unlocked: true,
        ..local(Some(&ours), 3)
    };
    assert_eq!(
        decide(unlocked_here, Server::Missing),
        conflict(Conflict::Missing, None)
    );
    // Nothing here and nothing there: nothing to say.
    assert_eq!(decide(local(None, 0), Server::Missing), Step::Keep);
}

#[test]
fn a_keyring_created_here_and_never_stored_is_created() {
    let ours = sealed(&mut unlocked(1), 1);
    let created = Local {
        stored: false,
        pending: true,
        ..local(Some(&ours), 0)
    };
    assert_eq!(decide(created, Server::Missing), Step::Create);
}

#[test]
fn an_unreadable_keyring_is_reported_and_ours_kept() {
    let ours = sealed(&mut unlocked(1), 2);
    assert_eq!(
        decide(
            local(Some(&ours), 2),
            Server::Unreadable(Tag::new("u1").unwrap())
        ),
        Step::Conflict(KeyringConflict {
            conflict: Conflict::Unreadable,
            server: None,
            server_tag: Some(Tag::new("u1").unwrap()),
        })
    );
    assert!(!Conflict::Unreadable.can_adopt());
}

#[test]
fn an_older_revision_is_refused_whatever_its_id() {
    let mut keyring = unlocked(1);
    let old = sealed(&mut keyring, 2);
    let ours = sealed(&mut keyring, 5);
    assert_eq!(
        decide(local(Some(&ours), 5), at(&old, "told")),
        conflict(Conflict::Older { seen: 5, found: 2 }, Some((&old, "told")))
    );
    // Another keyring id at a lower revision is refused just the same.
    let other = sealed(&mut unlocked(2), 3);
    assert_eq!(
        decide(local(Some(&ours), 5), at(&other, "tother")),
        conflict(
            Conflict::Older { seen: 5, found: 3 },
            Some((&other, "tother"))
        )
    );
    // After sign-out this browser has no copy, but remembers the highest.
    assert_eq!(
        decide(local(None, 5), at(&old, "told")),
        conflict(Conflict::Older { seen: 5, found: 2 }, Some((&old, "told")))
    );
    assert!(Conflict::Older { seen: 5, found: 2 }.can_adopt());
}

#[test]
fn a_junk_keyring_served_once_does_not_let_the_old_one_back_in() {
    let mut keyring = unlocked(1);
    let old = sealed(&mut keyring, 2);
    let ours = sealed(&mut keyring, 6);
    // Junk with another id and a high revision: held while locked,
    // refused while unlocked; neither proves anything, so the caller
    // keeps its highest revision (6).
    let junk = sealed(&mut unlocked(9), 40);
    assert_eq!(
        decide(local(Some(&ours), 6), at(&junk, "tjunk")),
        Step::Hold(copy(&junk, "tjunk"))
    );
    let open = Local {
        unlocked: true,
        ..local(Some(&ours), 6)
    };
    assert_eq!(
        decide(open, at(&junk, "tjunk")),
        conflict(Conflict::Replaced, Some((&junk, "tjunk")))
    );
    assert_eq!(
        decide(local(Some(&ours), 6), at(&old, "told")),
        conflict(Conflict::Older { seen: 6, found: 2 }, Some((&old, "told")))
    );
}

#[test]
fn a_newer_copy_is_merged_when_unlocked_and_held_when_locked() {
    let mut keyring = unlocked(1);
    let ours = sealed(&mut keyring, 2);
    let mut rng = rng(7);
    keyring
        .set(
            "api-key/nas1",
            &EntryValue::ApiKey {
                username: "root".into(),
                key: SecretString::from("1-abc".to_owned()),
            },
            T0 + 5,
            &mut rng,
        )
        .unwrap();
    let newer = sealed(&mut keyring, 3);
    let open = Local {
        unlocked: true,
        ..local(Some(&ours), 2)
    };
    assert_eq!(
        decide(open, at(&newer, "tnewer")),
        Step::Merge(copy(&newer, "tnewer"))
    );
    assert_eq!(
        decide(local(Some(&ours), 2), at(&newer, "tnewer")),
        Step::Hold(copy(&newer, "tnewer"))
    );
    // A different keyring while unlocked can't be merged.
    let other = sealed(&mut unlocked(3), 3);
    assert_eq!(
        decide(open, at(&other, "tother")),
        conflict(Conflict::Replaced, Some((&other, "tother")))
    );
    assert!(!Conflict::Replaced.can_adopt());
}

#[test]
fn a_browser_with_nothing_takes_what_the_server_has() {
    let theirs = sealed(&mut unlocked(1), 4);
    assert_eq!(
        decide(local(None, 0), at(&theirs, "ttheirs")),
        Step::Take(copy(&theirs, "ttheirs"))
    );
}

#[test]
fn the_same_copy_is_simply_taken() {
    let ours = sealed(&mut unlocked(1), 4);
    assert_eq!(
        decide(local(Some(&ours), 4), at(&ours, "tours")),
        Step::Take(copy(&ours, "tours"))
    );
    // With changes pending here, even the same base is merged, not taken.
    let pending = Local {
        pending: true,
        unlocked: true,
        ..local(Some(&ours), 4)
    };
    assert_eq!(
        decide(pending, at(&ours, "tours")),
        Step::Merge(copy(&ours, "tours"))
    );
}

#[test]
fn messages_say_what_happened_and_that_nothing_was_lost() {
    for conflict in [
        Conflict::Missing,
        Conflict::Unreadable,
        Conflict::Older { seen: 5, found: 2 },
        Conflict::Replaced,
    ] {
        assert!(
            conflict.message().contains("This browser kept"),
            "{conflict:?}"
        );
    }
    assert!(
        Conflict::Older { seen: 5, found: 2 }
            .message()
            .contains("revision 2")
    );
}
