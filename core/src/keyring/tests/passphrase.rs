//! Changing the passphrase (which rotates the data key), recovery codes
//! and the metadata seals that follow the key.

use super::*;

#[test]
fn changing_the_passphrase_rotates_the_data_key() {
    let (bytes, code) = sample(13);
    let mut rng = rng(5);
    let before = Keyring::parse(&bytes).unwrap();
    let mut unlocked = before.unlock_with_passphrase(&secret(PASSPHRASE)).unwrap();
    unlocked
        .change_passphrase_to(&secret("new pass phrase"), FAST, T0 + 20, &mut rng)
        .unwrap();
    unlocked
        .set(
            "api-key/nas3",
            &api_key("root", "3-cccc"),
            T0 + 21,
            &mut rng,
        )
        .unwrap();
    let after = Keyring::parse(&unlocked.seal(&mut rng)).unwrap();
    assert_eq!(after.id(), before.id(), "the same keyring, a new key");
    assert_eq!(
        after
            .unlock_with_passphrase(&secret(PASSPHRASE))
            .unwrap_err(),
        Error::WrongPassphrase
    );
    assert!(!after.has_recovery_code(), "the old recovery code is gone");
    assert!(after.unlock_with_recovery_code(&code).is_err());
    let reopened = after
        .unlock_with_passphrase(&secret("new pass phrase"))
        .unwrap();
    assert_eq!(
        api_key_of(reopened.get("api-key/nas1").unwrap()).1,
        "1-aaaa"
    );
    assert!(reopened.get("api-key/old").unwrap().is_none());
    // Every entry was re-encrypted, times and tombstones kept.
    for (id, entry) in &before.entries {
        let now = &after.entries[id];
        assert_eq!(
            (now.updated_ms, now.deleted),
            (entry.updated_ms, entry.deleted)
        );
        if !entry.deleted {
            assert_ne!(now.ciphertext, entry.ciphertext, "{id} re-encrypted");
        }
    }
    // The old key opens nothing written under the new one: an old blob's
    // entry spliced in fails, and so does the new entry under the old key.
    let mut old_key = before.unlock_with_passphrase(&secret(PASSPHRASE)).unwrap();
    assert!(old_key.merge(&after).is_err());
    let mut spliced = after.clone();
    spliced.entries.insert(
        "api-key/nas1".into(),
        before.entries["api-key/nas1"].clone(),
    );
    assert!(matches!(
        reopened.decrypt("api-key/nas1", &spliced.entries["api-key/nas1"]),
        Err(Error::Tampered(_))
    ));
}

#[test]
fn entries_made_under_the_old_key_are_absorbed_into_the_rotated_one() {
    let (bytes, _) = sample(21);
    let mut rng = rng(6);
    let keyring = Keyring::parse(&bytes).unwrap();
    // Device B rotates; device A, still on the old key, stores a key.
    let mut b = keyring.unlock_with_passphrase(&secret(PASSPHRASE)).unwrap();
    b.change_passphrase_to(&secret("new pass phrase"), FAST, T0 + 30, &mut rng)
        .unwrap();
    b.seal(&mut rng);
    let mut a = keyring.unlock_with_passphrase(&secret(PASSPHRASE)).unwrap();
    a.set(
        "api-key/nas4",
        &api_key("root", "4-dddd"),
        T0 + 40,
        &mut rng,
    )
    .unwrap();
    assert!(a.remove("api-key/nas2", T0 + 41));
    a.seal(&mut rng);
    let report = b.absorb(&a, &mut rng).unwrap();
    assert_eq!(report.taken, ["api-key/nas2", "api-key/nas4"]);
    let stored = Keyring::parse(&b.seal(&mut rng)).unwrap();
    let opened = stored
        .unlock_with_passphrase(&secret("new pass phrase"))
        .unwrap();
    assert_eq!(api_key_of(opened.get("api-key/nas4").unwrap()).1, "4-dddd");
    assert!(opened.get("api-key/nas2").unwrap().is_none());
    // Another keyring altogether is refused.
    let (other, _) = sample(22);
    let mut stranger =
        Keyring::create_with_passphrase("x", &secret(PASSPHRASE), FAST, T0, &mut rng).unwrap();
    let other = Keyring::parse(&other)
        .unwrap()
        .unlock_with_passphrase(&secret(PASSPHRASE))
        .unwrap();
    assert!(stranger.absorb(&other, &mut rng).is_err());
}

#[test]
fn a_new_keyring_continues_the_accounts_revisions() {
    let mut rng = rng(8);
    let mut k =
        Keyring::create_with_passphrase("x", &secret(PASSPHRASE), FAST, T0, &mut rng).unwrap();
    k.continue_after(41);
    let stored = Keyring::parse(&k.seal(&mut rng)).unwrap();
    assert_eq!(stored.revision(), 42);
    k.continue_after(3);
    assert_eq!(Keyring::parse(&k.seal(&mut rng)).unwrap().revision(), 43);
}

#[test]
fn metadata_seals_open_only_for_their_place_and_key() {
    let mut rng = rng(9);
    let k = Keyring::create_with_passphrase("x", &secret(PASSPHRASE), FAST, T0, &mut rng).unwrap();
    let sealed = k.seal_metadata(b"place-1", b"https://nas1.lan", &mut rng);
    assert_eq!(
        k.open_metadata(b"place-1", &sealed).unwrap().as_slice(),
        b"https://nas1.lan"
    );
    assert!(k.open_metadata(b"place-2", &sealed).is_none());
    assert!(k.open_metadata(b"place-1", &sealed[..30]).is_none());
    let other =
        Keyring::create_with_passphrase("x", &secret(PASSPHRASE), FAST, T0, &mut rng).unwrap();
    assert!(other.open_metadata(b"place-1", &sealed).is_none());
}

#[test]
fn the_recovery_code_unlocks_and_lets_a_new_passphrase_be_set() {
    let (bytes, code) = sample(14);
    let keyring = Keyring::parse(&bytes).unwrap();
    assert_eq!(code.split('-').count(), 8);
    // Typed sloppily: lower case, spaces.
    let typed = code.to_lowercase().replace('-', " ");
    let mut rng = rng(6);
    let mut unlocked = keyring.unlock_with_recovery_code(&typed).unwrap();
    unlocked
        .change_passphrase_to(&secret("fresh start"), FAST, T0 + 30, &mut rng)
        .unwrap();
    // The passphrase change rotated the key: the old code is spent, and a
    // new one is issued.
    let fresh_code = unlocked.new_recovery_code(FAST, T0 + 31, &mut rng).unwrap();
    let after = Keyring::parse(&unlocked.seal(&mut rng)).unwrap();
    assert!(after.unlock_with_passphrase(&secret("fresh start")).is_ok());
    assert_eq!(
        after.unlock_with_recovery_code(&code).unwrap_err(),
        Error::WrongRecoveryCode
    );
    assert!(after.unlock_with_recovery_code(fresh_code.expose()).is_ok());

    let mut wrong = code.into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        keyring
            .unlock_with_recovery_code(std::str::from_utf8(&wrong).unwrap())
            .unwrap_err(),
        Error::WrongRecoveryCode
    );
    assert!(matches!(
        keyring.unlock_with_recovery_code("not a code"),
        Err(Error::Keyring(crate::KeyringProblem::NotARecoveryCode))
    ));
}

#[test]
fn a_keyring_without_a_recovery_code_says_so() {
    let mut rng = rng(15);
    let mut k =
        Keyring::create_with_passphrase("k", &secret(PASSPHRASE), FAST, T0, &mut rng).unwrap();
    let keyring = Keyring::parse(&k.seal(&mut rng)).unwrap();
    let code = RecoveryCode::generate(&mut rng);
    assert_eq!(
        keyring
            .unlock_with_recovery_code(code.expose())
            .unwrap_err(),
        Error::NoRecoveryCode
    );
}
