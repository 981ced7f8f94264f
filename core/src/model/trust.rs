//! Trust in the metadata's items, per item: verified under the keyring,
//! not sealed yet, or changed outside it ([`Finding`]); and the metadata's
//! operations on seals (seal, restore, reseal after a rekey). The sealed
//! fields themselves are in `seal`.

use std::{cell::RefCell, collections::BTreeMap};

use base64ct::{Base64, Encoding};
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};

use super::{
    Item, Kind, Metadata,
    manifest::item_digest,
    public_base64,
    seal::{Pinned, Sealed},
};
use crate::{
    Error, MetadataProblem,
    keyring::{Unlocked, wire::Writer},
};

/// How far an item's sealed fields can be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Sealed under this keyring and unchanged since.
    Verified,
    /// Never sealed: written while a keyring was locked (here or on another
    /// device), or added by someone without the keyring.
    Unsealed,
    /// Its fields differ from what was sealed.
    /// A sealed field differs: what was sealed, and what is there now.
    Changed {
        /// The values sealed.
        trusted: Pinned,
        /// The values there now.
        now: Pinned,
    },
    /// A seal that this keyring's key does not open: made under another
    /// key (the passphrase was changed elsewhere) or forged.
    Foreign,
}

/// An item that is not [`Trust::Verified`], for the user to decide on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which list the item is in.
    pub kind: Kind,
    /// Its id.
    pub id: String,
    /// Its name, for the notice.
    pub name: String,
    /// What is wrong with it.
    pub trust: Trust,
    /// The item's sealed fields as they are now.
    pub now: Pinned,
}

/// Binds a seal to its item: kind and id.
fn place(kind: Kind, id: &str) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(kind as u8).str16(id);
    w.0
}

fn trust_of<T: Sealed>(id: &str, item: &Item<T>, keyring: &Unlocked) -> Option<Trust> {
    let value = item.value.as_ref()?;
    Some(trust_in(
        T::KIND,
        id,
        item.seal.as_deref(),
        value.pinned(),
        keyring,
    ))
}

/// [`trust_of`] past what depends on the item's type (one copy of this
/// code in the app's download, not one per kind).
fn trust_in(kind: Kind, id: &str, seal: Option<&str>, now: Pinned, keyring: &Unlocked) -> Trust {
    let Some(seal) = seal else {
        return Trust::Unsealed;
    };
    with_opened(kind, id, seal, keyring, |trusted| match trusted {
        None => Trust::Foreign,
        Some(trusted) if *trusted == now => Trust::Verified,
        // Sealed by an earlier release (no name, no timeout): verified on
        // what it has, and sealed anew at unlock (`upgrade_legacy_seals`).
        Some(trusted) if trusted.is_legacy() && *trusted == now.as_legacy() => Trust::Verified,
        Some(trusted) => Trust::Changed {
            trusted: trusted.clone(),
            now,
        },
    })
}

/// What each item's seal held when it was last opened under one data key
/// (an [`Unlocked`] keeps its own, so a new key starts empty). The trust
/// notices look at every item whenever the metadata changes: at 1,000
/// systems that was 5,000 decryptions each time, a long task in the
/// browser. An entry counts only for the very seal text it was opened
/// from, so a seal the server replaces is opened anew; one entry per item,
/// so it grows with the fleet, not with the edits.
///
/// Kept in a vector sorted by kind and id rather than a map: the checks
/// walk the items in that order, so entries are appended or found in
/// place, and a vector adds far less code to the app's download than
/// another map type would.
#[derive(Default)]
pub struct OpenedSeals(RefCell<Vec<Opened>>);

/// An item's seal text and what it held (`None`: it did not open).
struct Opened {
    kind: Kind,
    id: String,
    seal: String,
    pinned: Option<Pinned>,
}

/// `read` of the fields a seal holds, if it opens under `keyring` for the
/// item (each seal opened once: [`OpenedSeals`]).
fn with_opened<R>(
    kind: Kind,
    id: &str,
    seal: &str,
    keyring: &Unlocked,
    read: impl FnOnce(Option<&Pinned>) -> R,
) -> R {
    let cache = keyring.opened_seals();
    let at = cache
        .0
        .borrow()
        .binary_search_by(|o| (o.kind, o.id.as_str()).cmp(&(kind, id)));
    if let Ok(at) = at {
        let cache = cache.0.borrow();
        if cache[at].seal == seal {
            return read(cache[at].pinned.as_ref());
        }
    }
    let pinned = public_base64::decode(seal)
        .and_then(|bytes| keyring.open_metadata(&place(kind, id), &bytes))
        .and_then(|plain| Pinned::decode(&plain));
    let result = read(pinned.as_ref());
    let opened = Opened {
        kind,
        id: id.to_owned(),
        seal: seal.to_owned(),
        pinned,
    };
    match at {
        Ok(at) => cache.0.borrow_mut()[at] = opened,
        Err(at) => cache.0.borrow_mut().insert(at, opened),
    }
    result
}

/// The fields a seal holds, if it opens under `keyring` for the item.
fn opened_pinned(kind: Kind, id: &str, seal: &str, keyring: &Unlocked) -> Option<Pinned> {
    #[allow(clippy::redundant_closure_for_method_calls)]
    // `Option::cloned` is not general over the lifetime
    with_opened(kind, id, seal, keyring, |pinned| pinned.cloned())
}

/// The digest of the values `seal` holds for the item, if it opens under
/// `keyring`.
fn opened(kind: Kind, id: &str, seal: &str, keyring: &Unlocked) -> Option<PinDigest> {
    let pinned = opened_pinned(kind, id, seal, keyring)?;
    Some(Sha256::digest(pinned.encode()).into())
}

fn seal_of<T: Sealed>(
    id: &str,
    value: &T,
    keyring: &Unlocked,
    rng: &mut impl CryptoRngCore,
) -> String {
    let sealed = keyring.seal_metadata(&place(T::KIND, id), &value.pinned().encode(), rng);
    Base64::encode_string(&sealed)
}

fn findings_in<T: Sealed>(
    map: &BTreeMap<String, Item<T>>,
    keyring: &Unlocked,
    out: &mut Vec<Finding>,
) {
    for (id, item) in map {
        let Some(value) = &item.value else { continue };
        match trust_of(id, item, keyring) {
            Some(Trust::Verified) | None => {}
            Some(trust) => out.push(Finding {
                kind: T::KIND,
                id: id.clone(),
                name: value.label().to_owned(),
                now: value.pinned(),
                trust,
            }),
        }
    }
}

/// A digest of an item's sealed fields, to recognize later that an item
/// written here while locked is still what was written.
pub type PinDigest = [u8; 32];

/// An item written while the keyring was locked, to seal at the next
/// unlock. Sealing makes its values the user's, so it happens only if the
/// item is still what was written AND what the edit was made over was the
/// user's too: a locked edit of an item the server changed must not seal
/// the server's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedEdit {
    /// Which list the item is in.
    pub kind: Kind,
    /// Its id.
    pub id: String,
    /// The digest of its sealed fields as written.
    pub written: PinDigest,
    /// What the edit was made over.
    pub over: Basis,
}

/// What an edit was made over, as far as seals can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// Values known to be the user's: a new item typed here, or one this
    /// browser verified under the keyring before.
    Known,
    /// A sealed item: the user's if its seal opens to exactly the values
    /// it had then (their digest).
    Sealed {
        /// The seal it had (base64, as stored).
        seal: String,
        /// The digest of its sealed fields then.
        digest: PinDigest,
    },
    /// An item never sealed, or one already changed: only the user's
    /// Confirm (or Accept the change) makes it theirs.
    Unconfirmed,
}

fn digest<T: Sealed>(value: &T) -> PinDigest {
    Sha256::digest(value.pinned().encode()).into()
}

/// Seals the item at `id` in `map` as it is now; whether there was one.
fn seal_in<T: Sealed>(
    map: &mut BTreeMap<String, Item<T>>,
    id: &str,
    keyring: &Unlocked,
    rng: &mut impl CryptoRngCore,
) -> bool {
    let Some(item) = map.get_mut(id) else {
        return false;
    };
    let Some(value) = &item.value else {
        return false;
    };
    item.seal = Some(seal_of(id, value, keyring, rng));
    true
}

/// Calls `$body` with the map of `$kind`'s items, whichever kind it is.
macro_rules! with_map {
    ($metadata:expr, $kind:expr, |$map:ident| $body:expr) => {
        match $kind {
            Kind::System => {
                let $map = &mut $metadata.systems;
                $body
            }
            Kind::Keypair => {
                let $map = &mut $metadata.keypairs;
                $body
            }
            Kind::Connection => {
                let $map = &mut $metadata.connections;
                $body
            }
        }
    };
}

impl Metadata {
    /// How far the item's sealed fields can be trusted (`None`: no such
    /// item, or deleted).
    pub fn trust(&self, kind: Kind, id: &str, keyring: &Unlocked) -> Option<Trust> {
        match kind {
            Kind::System => trust_of(id, self.systems.get(id)?, keyring),
            Kind::Keypair => trust_of(id, self.keypairs.get(id)?, keyring),
            Kind::Connection => trust_of(id, self.connections.get(id)?, keyring),
        }
    }

    /// Opens the seals of up to `count` items, from the `from`th on (in
    /// the order systems, keypairs, connections), so later checks find
    /// them opened ([`OpenedSeals`]). Returns where to go on, `None` when
    /// none are left: a caller opens a fleet's seals in slices, letting
    /// the browser draw between them.
    pub fn open_seals(&self, keyring: &Unlocked, from: usize, count: usize) -> Option<usize> {
        fn sealed<T: Sealed>(
            items: &BTreeMap<String, Item<T>>,
        ) -> impl Iterator<Item = (Kind, &String, &String)> {
            items
                .iter()
                .filter_map(|(id, item)| Some((T::KIND, id, item.seal.as_ref()?)))
        }
        let mut items = sealed(&self.systems)
            .chain(sealed(&self.keypairs))
            .chain(sealed(&self.connections))
            .skip(from);
        for (kind, id, seal) in items.by_ref().take(count) {
            with_opened(kind, id, seal, keyring, |_| ());
        }
        items.next().map(|_| from + count)
    }

    /// Every live item that isn't verified.
    pub fn findings(&self, keyring: &Unlocked) -> Vec<Finding> {
        let mut out = Vec::new();
        findings_in(&self.systems, keyring, &mut out);
        findings_in(&self.keypairs, keyring, &mut out);
        findings_in(&self.connections, keyring, &mut out);
        out
    }

    /// Seals the item as it is now (this browser wrote it, or the user
    /// accepted it). The stamp stays: a seal is not an edit.
    pub fn seal(
        &mut self,
        kind: Kind,
        id: &str,
        keyring: &Unlocked,
        rng: &mut impl CryptoRngCore,
    ) -> bool {
        with_map!(self, kind, |map| seal_in(map, id, keyring, rng))
    }

    /// What an edit (`before` → `self`, keyring locked) wrote to the
    /// live item, for [`Metadata::seal_locked_edits`] at the next unlock.
    pub fn locked_edit(&self, before: &Metadata, kind: Kind, id: &str) -> Option<LockedEdit> {
        let written = self.pin_digest(kind, id)?;
        let over = match (before.pin_digest(kind, id), before.seal_string(kind, id)) {
            // Put back after a deletion, with the seal it had: that seal
            // decides, like an edit over it.
            (None, _) if before.knows(kind, id) => match self.seal_string(kind, id) {
                Some(seal) => Basis::Sealed {
                    seal,
                    digest: written,
                },
                None => Basis::Unconfirmed,
            },
            (None, _) => Basis::Known,
            (Some(digest), Some(seal)) => Basis::Sealed { seal, digest },
            (Some(_), None) => Basis::Unconfirmed,
        };
        Some(LockedEdit {
            kind,
            id: id.to_owned(),
            written,
            over,
        })
    }

    /// A live item as known to be the user's (verified here, now), for
    /// sealing under another keyring at its first unlock.
    pub fn known(&self, kind: Kind, id: &str) -> Option<LockedEdit> {
        Some(LockedEdit {
            kind,
            id: id.to_owned(),
            written: self.pin_digest(kind, id)?,
            over: Basis::Known,
        })
    }

    /// At unlock: seals each item written while locked that is still what
    /// was written and was written over the user's own values; returns the
    /// rest (changed meanwhile, or made over values nobody confirmed), which
    /// stay unsealed for the user to confirm.
    pub fn seal_locked_edits(
        &mut self,
        edits: &[LockedEdit],
        keyring: &Unlocked,
        rng: &mut impl CryptoRngCore,
    ) -> Vec<(Kind, String)> {
        let mut left = Vec::new();
        for edit in edits {
            let Some(now) = self.pin_digest(edit.kind, &edit.id) else {
                continue;
            };
            let theirs = match &edit.over {
                Basis::Known => true,
                Basis::Sealed { seal, digest } => {
                    opened(edit.kind, &edit.id, seal, keyring).as_ref() == Some(digest)
                }
                Basis::Unconfirmed => false,
            };
            if theirs && now == edit.written {
                self.seal(edit.kind, &edit.id, keyring, rng);
                continue;
            }
            // Still unsealed, over a sealed item: its earlier seal goes back,
            // so the user sees what changed and can restore their values.
            if let Basis::Sealed { seal, .. } = &edit.over
                && self.seal_string(edit.kind, &edit.id).is_none()
            {
                with_map!(self, edit.kind, |map| {
                    if let Some(item) = map.get_mut(&edit.id) {
                        item.seal = Some(seal.clone());
                    }
                });
            }
            left.push((edit.kind, edit.id.clone()));
        }
        left
    }

    /// Seals what an edit (`before` → `self`, keyring unlocked) wrote: an
    /// item new or verified before the edit is sealed as it is now; one that
    /// was not (changed outside the keyring, never confirmed) keeps the seal
    /// it had, so the values the user did not confirm stay shown as such.
    pub fn seal_edit(
        &mut self,
        before: &Metadata,
        keyring: &Unlocked,
        rng: &mut impl CryptoRngCore,
    ) {
        for (kind, id) in self.changed_since(before) {
            match before.trust(kind, &id, keyring) {
                // Put back after a deletion: it keeps the seal it came with.
                None if before.knows(kind, &id) => {}
                None | Some(Trust::Verified) => {
                    self.seal(kind, &id, keyring, rng);
                }
                Some(_) => {
                    let seal = before.seal_string(kind, &id);
                    with_map!(self, kind, |map| {
                        if let Some(item) = map.get_mut(&id) {
                            item.seal = seal;
                        }
                    });
                }
            }
        }
    }

    /// Seals anew, with every field, the verified items whose seals an
    /// earlier release made (without names and timeouts); whether any was.
    /// Not an edit: stamps stay.
    pub fn upgrade_legacy_seals(
        &mut self,
        keyring: &Unlocked,
        rng: &mut impl CryptoRngCore,
    ) -> bool {
        let legacy = self.legacy_seals(keyring);
        for (kind, id) in &legacy {
            self.seal(*kind, id, keyring, rng);
        }
        !legacy.is_empty()
    }

    /// The verified items whose seals an earlier release made, for
    /// [`Metadata::upgrade_legacy_seals`] (looked for apart, so a caller
    /// copies a shared document only when there are some).
    pub fn legacy_seals(&self, keyring: &Unlocked) -> Vec<(Kind, String)> {
        // One pass, each seal opened once: this runs at every unlock, over
        // every item of the fleet (5,000 at 1,000 systems).
        fn legacy_in<T: Sealed>(
            items: &BTreeMap<String, Item<T>>,
            keyring: &Unlocked,
            out: &mut Vec<(Kind, String)>,
        ) {
            for (id, item) in items {
                let (Some(value), Some(seal)) = (&item.value, &item.seal) else {
                    continue;
                };
                // Legacy, and verified as `trust_of` verifies it.
                let upgrade = with_opened(T::KIND, id, seal, keyring, |trusted| {
                    trusted.is_some_and(|trusted| {
                        trusted.is_legacy() && {
                            let now = value.pinned();
                            *trusted == now || *trusted == now.as_legacy()
                        }
                    })
                });
                if upgrade {
                    out.push((T::KIND, id.clone()));
                }
            }
        }
        let mut legacy = Vec::new();
        legacy_in(&self.systems, keyring, &mut legacy);
        legacy_in(&self.keypairs, keyring, &mut legacy);
        legacy_in(&self.connections, keyring, &mut legacy);
        legacy
    }

    /// Takes away what the item's seal proves, for an item the manifest
    /// doesn't prove (replayed, rewritten, or never listed): it carries
    /// `ours`'s seal when this browser has the same version or a verified
    /// one (so a different value shows as Changed, with Restore mine), and
    /// none otherwise (not confirmed).
    pub fn distrust(&mut self, kind: Kind, id: &str, ours: &Metadata, keyring: &Unlocked) {
        let mine = self.version(kind, id);
        let same = mine.is_some() && mine == ours.version(kind, id);
        let seal = if same || ours.trust(kind, id, keyring) == Some(Trust::Verified) {
            ours.seal_string(kind, id)
        } else {
            None
        };
        with_map!(self, kind, |map| {
            if let Some(item) = map.get_mut(id).filter(|item| item.value.is_some()) {
                item.seal = seal;
            }
        });
    }

    /// A digest of everything the item is but its seal, a tombstone
    /// included (as the manifest lists it).
    pub fn version(&self, kind: Kind, id: &str) -> Option<[u8; 32]> {
        match kind {
            Kind::System => Some(item_digest(kind, id, self.systems.get(id)?)),
            Kind::Keypair => Some(item_digest(kind, id, self.keypairs.get(id)?)),
            Kind::Connection => Some(item_digest(kind, id, self.connections.get(id)?)),
        }
    }

    /// A live item's seal as stored.
    fn seal_string(&self, kind: Kind, id: &str) -> Option<String> {
        let seal = |item: Option<&Option<String>>| item.cloned().flatten();
        match kind {
            Kind::System => seal(self.systems.get(id).map(|i| &i.seal)),
            Kind::Keypair => seal(self.keypairs.get(id).map(|i| &i.seal)),
            Kind::Connection => seal(self.connections.get(id).map(|i| &i.seal)),
        }
    }

    /// The digest of a live item's sealed fields.
    pub fn pin_digest(&self, kind: Kind, id: &str) -> Option<PinDigest> {
        match kind {
            Kind::System => self.system(id).map(digest),
            Kind::Keypair => self.keypair(id).map(digest),
            Kind::Connection => self.connection(id).map(digest),
        }
    }

    /// Puts back the values that were sealed for a changed item (a new
    /// write, so it syncs and wins over the change), sealed again.
    pub fn restore(
        &mut self,
        kind: Kind,
        id: &str,
        keyring: &Unlocked,
        now: u64,
        by: &str,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(), Error> {
        let Some(Trust::Changed { trusted, .. }) = self.trust(kind, id, keyring) else {
            return Err(Error::Metadata(MetadataProblem::NothingToRestore));
        };
        with_map!(self, kind, |map| restore_in(map, id, &trusted, now, by))?;
        self.seal(kind, id, keyring, rng);
        Ok(())
    }

    /// Seals `items` (those that verified under the previous data key)
    /// under `keyring`'s new one, as a new write of each (stamped `now`),
    /// so the new seal wins every merge with a copy sealed under the old
    /// key.
    pub fn reseal(
        &mut self,
        items: &[(Kind, String)],
        keyring: &Unlocked,
        now: u64,
        by: &str,
        rng: &mut impl CryptoRngCore,
    ) {
        for (kind, id) in items {
            with_map!(self, *kind, |map| rewrite_in(map, id, now, by));
            self.seal(*kind, id, keyring, rng);
        }
    }

    /// The live items whose seals verify under `keyring`.
    pub fn verified(&self, keyring: &Unlocked) -> Vec<(Kind, String)> {
        self.keys()
            .into_iter()
            .filter(|(kind, id)| self.trust(*kind, id, keyring) == Some(Trust::Verified))
            .collect()
    }

    /// The live items `self` wrote or changed since `before` (a new
    /// stamp or value), to seal right away or once the keyring is unlocked.
    pub fn changed_since(&self, before: &Metadata) -> Vec<(Kind, String)> {
        fn changed<T: PartialEq>(
            kind: Kind,
            now: &BTreeMap<String, Item<T>>,
            before: &BTreeMap<String, Item<T>>,
            out: &mut Vec<(Kind, String)>,
        ) {
            for (id, item) in now {
                let same = before.get(id).is_some_and(|old| {
                    (old.updated, &old.by, &old.value) == (item.updated, &item.by, &item.value)
                });
                if item.value.is_some() && !same {
                    out.push((kind, id.clone()));
                }
            }
        }
        let mut out = Vec::new();
        changed(Kind::System, &self.systems, &before.systems, &mut out);
        changed(Kind::Keypair, &self.keypairs, &before.keypairs, &mut out);
        changed(
            Kind::Connection,
            &self.connections,
            &before.connections,
            &mut out,
        );
        out
    }

    /// Every live item's kind and id.
    fn keys(&self) -> Vec<(Kind, String)> {
        let systems = self.systems().map(|(id, _)| (Kind::System, id));
        let keypairs = self.keypairs().map(|(id, _)| (Kind::Keypair, id));
        let connections = self.connections().map(|(id, _)| (Kind::Connection, id));
        systems
            .chain(keypairs)
            .chain(connections)
            .map(|(kind, id)| (kind, id.to_owned()))
            .collect()
    }
}

/// Writes the item again as it is (a new stamp).
fn rewrite_in<T: Sealed>(map: &mut BTreeMap<String, Item<T>>, id: &str, now: u64, by: &str) {
    if let Some(value) = map.get(id).and_then(|item| item.value.clone()) {
        super::put(map, id, Some(value), now, by);
    }
}

fn restore_in<T: Sealed>(
    map: &mut BTreeMap<String, Item<T>>,
    id: &str,
    trusted: &Pinned,
    now: u64,
    by: &str,
) -> Result<(), Error> {
    let mut value = map
        .get(id)
        .and_then(|item| item.value.clone())
        .ok_or(Error::Metadata(MetadataProblem::ItemGone))?;
    value.restore(trusted)?;
    super::put(map, id, Some(value), now, by);
    Ok(())
}

#[cfg(test)]
mod tests;
