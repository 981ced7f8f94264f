//! The sync engine: owns the two replicas, and talks to the server and the
//! saved copy only through [`Blobs`] and [`SavedCopy`], so `cargo test`
//! runs it natively against in-memory ones. One sync at a time (edits in
//! between queue); no `RefCell` borrow is held across an `await`.

use std::{
    cell::{Cell, Ref, RefCell},
    sync::Arc,
};

use keyhaven_core::{
    api::{BlobName, Tag},
    keyring::{Keyring, Unlocked},
    model::Metadata,
    sync::ServerCopy,
};

use super::{
    SyncKind,
    keyring::KeyringReplica,
    metadata::MetadataReplica,
    ports::{Blobs, SavedCopy},
    replica::{Ctx, Outgoing, Replica},
    replicas::Replicas,
};
use crate::{error::AppError, net::api::ApiError};

/// Merge-and-retry rounds before giving up on a contended write.
const MAX_ATTEMPTS: usize = 5;

pub(crate) struct Engine<B, S> {
    blobs: B,
    saved: S,
    /// The signed-in user (`None`: nobody, and nothing is saved or synced).
    user: Option<String>,
    /// This browser's id, stamped on its edits.
    device: String,
    clock: fn() -> u64,
    replicas: RefCell<Replicas>,
    one_at_a_time: futures::lock::Mutex<()>,
    /// Signed out: nothing more is synced or saved.
    closed: Cell<bool>,
}

impl<B: Blobs, S: SavedCopy> Engine<B, S> {
    pub(crate) fn new(
        blobs: B,
        saved: S,
        user: Option<String>,
        device: String,
        clock: fn() -> u64,
    ) -> Self {
        let mut replicas = Replicas::new(saved.highest_revision(BlobName::Keyring));
        replicas.metadata.proven = saved.highest_revision(BlobName::Metadata);
        Self {
            blobs,
            saved,
            user,
            device,
            clock,
            replicas: RefCell::new(replicas),
            one_at_a_time: futures::lock::Mutex::new(()),
            closed: Cell::new(false),
        }
    }

    pub(crate) fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Everything sync keeps, to read (briefly: never across an `await`).
    pub(crate) fn replicas(&self) -> Ref<'_, Replicas> {
        self.replicas.borrow()
    }

    /// Changes the replicas; a changed highest revision is remembered at
    /// once (it outlives the saved copy).
    pub(crate) fn write<R>(&self, change: impl FnOnce(&mut Replicas) -> R) -> R {
        let mut replicas = self.replicas.borrow_mut();
        let highest = |r: &Replicas| [r.keyring.highest, r.metadata.proven];
        let before = highest(&replicas);
        let result = change(&mut replicas);
        let after = highest(&replicas);
        drop(replicas);
        if self.user.is_some() {
            let names = [BlobName::Keyring, BlobName::Metadata];
            for ((name, before), after) in names.into_iter().zip(before).zip(after) {
                if before != after {
                    self.saved.remember_highest_revision(name, after);
                }
            }
        }
        result
    }

    /// Runs `f` with the unlocked keyring; `None` when locked.
    pub(crate) fn with_unlocked<R>(&self, f: impl FnOnce(&Unlocked) -> R) -> Option<R> {
        self.replicas.borrow().keyring.unlocked.as_ref().map(f)
    }

    /// Puts back this browser's saved copy of the account, if it has one
    /// (before the server answers).
    pub(crate) async fn restore_saved(&self) -> bool {
        match self.saved.load().await {
            Some(saved) => {
                self.write(|r| r.restore(saved));
                true
            }
            None => false,
        }
    }

    /// Pushes what is pending (pulling first, with [`SyncKind::PullThenPush`]);
    /// an unreachable server is not an error here: the changes wait.
    pub(crate) async fn sync(&self, kind: SyncKind) -> Result<(), AppError> {
        match self.sync_now(kind).await {
            Err(error) if error.is_offline() => Ok(()),
            other => other,
        }
    }

    pub(crate) async fn sync_now(&self, kind: SyncKind) -> Result<(), AppError> {
        self.sync_then_save(kind, &|| {}).await
    }

    /// Syncs, calls `synced` (to show what came in: saving a fleet's copy
    /// in IndexedDB takes longer than the sync itself, and the screen need
    /// not wait for it), then saves.
    pub(crate) async fn sync_then_save(
        &self,
        kind: SyncKind,
        // (Not generic: one copy of the sync's code in the download.)
        synced: &dyn Fn(),
    ) -> Result<(), AppError> {
        let _one_at_a_time = self.one_at_a_time.lock().await;
        if self.closed.get() || self.user.is_none() {
            return Ok(());
        }
        let result = async {
            if kind == SyncKind::PullThenPush {
                self.pull().await?;
            }
            self.push::<KeyringReplica>().await?;
            self.push::<MetadataReplica>().await
        }
        .await;
        if result.is_ok() {
            let now = self.now();
            self.write(|r| {
                if !r.pending() {
                    r.synced_at = Some(now);
                }
            });
        }
        synced();
        let saved = self.persist().await;
        result.and(saved)
    }

    /// Takes in what changed on the server since this browser last looked.
    /// A refused keyring (say, rolled back) doesn't stop the metadata.
    async fn pull(&self) -> Result<(), AppError> {
        let listed = self.blobs.list().await?;
        let tag_of = |name: BlobName| {
            listed
                .iter()
                .find(|b| b.name == name.as_str())
                .map(|b| b.tag.clone())
        };
        let keyring_tag = tag_of(BlobName::Keyring);
        let keyring = if keyring_tag != self.replicas().keyring.tag {
            let server = self.fetch::<KeyringReplica>().await?;
            self.take_in::<KeyringReplica>(server)
        } else {
            Ok(())
        };
        let metadata_tag = tag_of(BlobName::Metadata);
        let ours = self.replicas().metadata.tag.clone();
        match (metadata_tag, ours) {
            // Stored before, gone now (dropped): this browser's goes back.
            (None, Some(_)) => self.take_in::<MetadataReplica>(None)?,
            (Some(theirs), ours) if Some(&theirs) != ours.as_ref() => {
                // (Gone between the listing and now: nothing to take in.)
                if let Some(server) = self.fetch::<MetadataReplica>().await? {
                    self.take_in::<MetadataReplica>(Some(server))?;
                }
            }
            _ => {}
        }
        keyring
    }

    /// The server's copy of `R`'s blob.
    async fn fetch<R: Replica>(&self) -> Result<Option<R::Incoming>, ApiError>
    where
        Replicas: AsMut<R>,
    {
        let known = self.write(|r| AsMut::<R>::as_mut(r).known());
        R::fetch(&self.blobs, known).await
    }

    /// Writes what `R` has pending over the tag it holds (after the blobs
    /// it names); someone else wrote first (412): take theirs in, by `R`'s
    /// rules, and try again. Blobs the write left unnamed are deleted.
    async fn push<R: Replica>(&self) -> Result<(), AppError>
    where
        Replicas: AsMut<R>,
    {
        for _ in 0..MAX_ATTEMPTS {
            let Some(Outgoing { bytes, sent, first }) = self.write(|r| {
                // The metadata goes with a manifest of what it is now.
                if R::NAME == BlobName::Metadata {
                    r.seal_manifest();
                }
                AsMut::<R>::as_mut(r).outgoing()
            })?
            else {
                return Ok(());
            };
            for (name, bytes) in first {
                let tag = self.write_new(&name, &bytes).await?;
                self.write(|r| AsMut::<R>::as_mut(r).wrote_first(name, tag));
            }
            let tag = self.write(|r| AsMut::<R>::as_mut(r).tag().cloned());
            match self.blobs.put(R::NAME.as_str(), &bytes, tag.as_ref()).await {
                Ok(tag) => {
                    self.write(|r| AsMut::<R>::as_mut(r).stored(sent, tag));
                    let garbage = self.write(|r| AsMut::<R>::as_mut(r).garbage());
                    for (name, tag) in garbage {
                        // Best effort: one left behind only takes space.
                        let _ = self.blobs.delete(&name, &tag).await;
                    }
                }
                Err(ApiError::Conflict { .. }) => {
                    let server = self.fetch::<R>().await?;
                    self.take_in::<R>(server)?;
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::TooContended)
    }

    /// Writes a blob named for its content: created, or, if one by that
    /// name is there, written over (an honest one holds the same bytes).
    async fn write_new(&self, name: &str, bytes: &[u8]) -> Result<Tag, ApiError> {
        match self.blobs.put(name, bytes, None).await {
            Err(ApiError::Conflict {
                current: Some(current),
            }) => self.blobs.put(name, bytes, Some(&current)).await,
            other => other,
        }
    }

    fn take_in<R: Replica>(&self, server: Option<R::Incoming>) -> Result<(), AppError>
    where
        Replicas: AsMut<R>,
    {
        let now = self.now();
        self.write(|r| {
            // A copy of the keyring (it can't be borrowed beside the
            // replica being changed), made only for a replica that reads it.
            let k = &mut r.keyring;
            let keyring = match (&k.held, &k.keyring) {
                _ if !R::READS_KEYRING => None,
                (Some(held), Some(ours)) if held.keyring.id() == ours.id() => {
                    Some(held.keyring.clone())
                }
                (_, ours) => ours.clone(),
            };
            // The data key, lent for the call (and put back after it); not
            // while a newer keyring waits, whose key may have sealed the
            // server's copy.
            let unlocked = match k.held {
                None if R::READS_KEYRING => k.unlocked.take(),
                _ => None,
            };
            let ctx = Ctx {
                device: &self.device,
                now,
                keyring: keyring.as_ref(),
                unlocked: unlocked.as_ref(),
            };
            let mut notices = std::mem::take(&mut r.notices);
            let taken = AsMut::<R>::as_mut(r).take_in(server, ctx, &mut notices);
            r.notices = notices;
            if unlocked.is_some() {
                r.keyring.unlocked = unlocked;
            }
            taken
        })
    }

    /// Writes this browser's copy to the saved copy: under the browser-wide
    /// lock, what another tab saved meanwhile is merged in first (so no
    /// tab writes over another's unsynced edit).
    pub(crate) async fn persist(&self) -> Result<(), AppError> {
        let Some(user) = &self.user else {
            return Ok(());
        };
        let _browser_wide = self.saved.lock().await;
        // Signed out while waiting for the lock: this copy must not come back.
        if self.closed.get() {
            return Ok(());
        }
        // Another tab stored since this one last wrote or read: take it in.
        let ours = self.replicas().generation;
        if let Some(theirs) = self.saved.load_newer(ours).await {
            self.write(|r| r.absorb(theirs));
        }
        let copy = self.write(|r| {
            r.generation += 1;
            r.snapshot(user)
        });
        self.saved.store(&copy).await
    }

    /// Another tab changed the saved copy: take it in.
    pub(crate) async fn reload_saved(&self) {
        let _browser_wide = self.saved.lock().await;
        if self.closed.get() {
            return;
        }
        if let Some(theirs) = self.saved.load().await {
            self.write(|r| r.absorb(theirs));
        }
    }

    /// Signs out: waits for a sync in flight, after which nothing is synced
    /// or saved by this engine again.
    pub(crate) async fn close(&self) {
        let _one_at_a_time = self.one_at_a_time.lock().await;
        self.closed.set(true);
        self.write(|r| r.keyring.unlocked = None);
    }

    /// Replaced by another account's engine: a sync still in flight saves
    /// nothing, and the data key goes now.
    pub(crate) fn retire(&self) {
        self.closed.set(true);
        self.write(|r| r.keyring.unlocked = None);
    }

    /// Applies an edit to this browser's document (sealed if unlocked) and
    /// saves it; the caller shows it, then syncs.
    pub(crate) async fn edit_metadata(&self, edit: impl FnOnce(&mut Metadata, u64, &str)) {
        let mut after = Metadata::clone(&self.replicas().metadata.metadata);
        edit(&mut after, self.now(), &self.device);
        self.write(|r| r.metadata.write(after, r.keyring.unlocked.as_ref()));
        let _ = self.persist().await;
    }

    /// Changes the document with the unlocked keyring (sealing or
    /// restoring items) and saves it.
    pub(crate) async fn reseal_metadata(
        &self,
        change: impl FnOnce(&mut Metadata, &Unlocked, u64, &str) -> Result<(), keyhaven_core::Error>,
    ) -> Result<(), AppError> {
        let now = self.now();
        self.write(|r| {
            let keyring = r.keyring.unlocked.as_ref().ok_or(AppError::Locked)?;
            let mut metadata = Metadata::clone(&r.metadata.metadata);
            change(&mut metadata, keyring, now, &self.device)?;
            r.metadata.metadata = Arc::new(metadata);
            r.metadata.pending = true;
            Ok::<_, AppError>(())
        })?;
        let _ = self.persist().await;
        Ok(())
    }

    /// Changes the unlocked keyring, seals it into this browser's copy and
    /// saves it; the caller shows it, then syncs.
    pub(crate) async fn edit_keyring<T>(
        &self,
        change: impl FnOnce(&mut Unlocked) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let result = self.write(|r| {
            let unlocked = r.keyring.unlocked.as_mut().ok_or(AppError::Locked)?;
            let result = change(unlocked)?;
            r.keyring.seal()?;
            Ok::<_, AppError>(result)
        })?;
        let _ = self.persist().await;
        Ok(result)
    }

    /// The keyring is open: the data key stays here, and items written
    /// while locked are sealed. Returns whether the document changed.
    pub(crate) fn opened(&self, unlocked: Unlocked) -> bool {
        let now = self.now();
        self.write(|r| {
            r.keyring.saw_revision(unlocked.keyring().revision());
            // What was taken in while locked, checked against its manifest.
            let distrusted = r.metadata.prove_at_unlock(&unlocked, &mut r.notices);
            let sealed = r
                .metadata
                .seal_written_while_locked(&unlocked, now, &self.device);
            // Seals of an earlier release, which left names out: made anew.
            r.keyring.unlocked = Some(unlocked);
            distrusted || sealed
        })
    }

    /// While locked: what unlocking will prove, made ready (see
    /// `MetadataReplica::digest_ahead`).
    pub(crate) fn digest_ahead(&self) {
        let mut r = self.replicas.borrow_mut();
        if r.keyring.unlocked.is_none() {
            r.metadata.digest_ahead();
        }
    }

    /// Opens the seals of up to `count` items from the `from`th on under
    /// the data key (see `Metadata::open_seals`); where to go on, `None`
    /// when done or locked.
    pub(crate) fn open_seals(&self, from: usize, count: usize) -> Option<usize> {
        let r = self.replicas();
        let keyring = r.keyring.unlocked.as_ref()?;
        r.metadata.metadata.open_seals(keyring, from, count)
    }

    /// Seals of an earlier release, which left names out, made anew (once
    /// the seals are opened: this looks at every one); whether any was.
    pub(crate) fn upgrade_legacy_seals(&self) -> bool {
        self.write(|r| {
            let Some(keyring) = &r.keyring.unlocked else {
                return false;
            };
            // Looked for first, so the shared document is copied only
            // when there are some (the second look finds them opened).
            if r.metadata.metadata.legacy_seals(keyring).is_empty() {
                return false;
            }
            let doc = Arc::make_mut(&mut r.metadata.metadata);
            doc.upgrade_legacy_seals(keyring, &mut rand_core::OsRng);
            r.metadata.pending = true;
            true
        })
    }

    /// Forgets the data key (zeroized when dropped).
    pub(crate) fn lock(&self) {
        self.write(|r| r.keyring.unlocked = None);
    }

    /// A new keyring, created here: it continues after every revision this
    /// account has shown, is stored like any other change, and opens.
    pub(crate) async fn create_keyring(&self, mut unlocked: Unlocked) -> Result<(), AppError> {
        let id = unlocked.keyring().id();
        self.write(|r| {
            let k = &mut r.keyring;
            // After the highest revision proven for the account, so an old
            // copy of the previous keyring can't pass for a newer one. Only
            // proven revisions: one the server merely showed could be any
            // number it liked (u64::MAX, to wrap every later revision).
            unlocked.continue_after(k.highest);
            unlocked.seal(&mut rand_core::OsRng);
            k.reset_here = false;
            k.keyring = Some(unlocked.keyring().clone());
            k.tag = None;
            k.pending = true;
            let now = self.now();
            r.metadata
                .seal_written_while_locked(&unlocked, now, &self.device);
            k.unlocked = Some(unlocked);
        });
        let _ = self.persist().await;
        // Offline, it waits to be stored like any other change.
        self.sync(SyncKind::Push).await?;
        let kept = self.replicas().keyring.keyring.as_ref().map(Keyring::id) == Some(id);
        if kept {
            Ok(())
        } else {
            Err(AppError::CreatedElsewhere)
        }
    }

    /// Adopts a server copy its passphrase just proved (`unlocked` is it).
    pub(crate) fn adopt_proven(&self, copy: ServerCopy, unlocked: Unlocked) {
        self.write(|r| r.keyring.replace(Some(copy.keyring), Some(copy.tag), false));
        self.opened(unlocked);
    }

    /// Deletes the keyring on the server and here; systems stay. Needs the
    /// server (a reset can't wait in a queue: it would undo whatever
    /// another browser stores meanwhile).
    pub(crate) async fn reset_keyring(&self) -> Result<(), AppError> {
        let _one_at_a_time = self.one_at_a_time.lock().await;
        // In a conflict, what is deleted is what the server has now.
        let tag = {
            let r = self.replicas();
            match &r.keyring.conflict {
                Some(conflict) => conflict.server_tag.clone(),
                None => r.keyring.tag.clone(),
            }
        };
        if let Some(tag) = tag {
            match self.blobs.delete(BlobName::Keyring.as_str(), &tag).await {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(ApiError::Conflict { .. }) => return Err(AppError::ChangedMeanwhile),
                Err(ApiError::Offline) => {
                    return Err(AppError::NeedsNetwork("Resetting the keyring"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.write(|r| {
            // Items verified now are sealed again under the next keyring.
            if let Some(keyring) = &r.keyring.unlocked {
                let m = &r.metadata.metadata;
                let verified: Vec<_> = m
                    .verified(keyring)
                    .into_iter()
                    .filter_map(|(kind, id)| m.known(kind, &id))
                    .collect();
                r.metadata.unsealed.extend(verified);
            }
            r.keyring.unlocked = None;
            r.keyring.replace(None, None, false);
        });
        self.persist().await
    }

    /// "Restore from this browser": writes this browser's copy over what
    /// the server has (or in its place, when it has none).
    pub(crate) async fn restore_keyring(&self) -> Result<(), AppError> {
        let (conflict, local) = {
            let r = self.replicas();
            (r.keyring.conflict.clone(), r.keyring.keyring.clone())
        };
        let Some(conflict) = conflict else {
            return Ok(());
        };
        let local = local.ok_or(AppError::NothingToRestore)?;
        let _one_at_a_time = self.one_at_a_time.lock().await;
        let written = self
            .blobs
            .put(
                BlobName::Keyring.as_str(),
                &local.to_bytes(),
                conflict.server_tag.as_ref(),
            )
            .await;
        match written {
            Ok(tag) => self.write(|r| {
                r.keyring.saw_revision(local.revision());
                r.keyring
                    .replace(r.keyring.keyring.clone(), Some(tag), false);
            }),
            // Changed again meanwhile: the caller's sync looks again.
            Err(ApiError::Conflict { .. }) => {}
            Err(other) => return Err(other.into()),
        }
        // Saved before the lock is let go: a sign-out waiting for it must
        // find this done, not racing its clearing of the copy. (The caller
        // then syncs: changed again meanwhile, it looks again.)
        self.persist().await
    }

    /// Knowingly takes what the server has: no keyring (it was reset), or
    /// an older copy. (A replaced keyring is adopted by unlocking it.)
    pub(crate) async fn adopt_server_keyring(&self) -> Result<(), AppError> {
        let adopted = self.write(|r| {
            let conflict = r.keyring.conflict.clone()?;
            if !conflict.conflict.can_adopt() {
                return None;
            }
            r.keyring.unlocked = None;
            match (conflict.server, conflict.server_tag) {
                (Some(keyring), Some(tag)) => {
                    // The user chose this revision: it is the new baseline.
                    r.keyring.highest = keyring.revision();
                    r.keyring.replace(Some(keyring), Some(tag), false);
                }
                _ => r.keyring.replace(None, None, false),
            }
            Some(())
        });
        if adopted.is_some() {
            self.persist().await?;
        }
        Ok(())
    }

    /// Changes the keyring and the metadata together (a new passphrase: the
    /// metadata's seals move to the new key), seals and saves both.
    pub(crate) async fn rekey(
        &self,
        change: impl FnOnce(&mut Unlocked, &mut Metadata, u64, &str) -> Result<(), AppError>,
    ) -> Result<(), AppError> {
        let now = self.now();
        self.write(|r| {
            let unlocked = r.keyring.unlocked.as_mut().ok_or(AppError::Locked)?;
            let mut metadata = Metadata::clone(&r.metadata.metadata);
            change(unlocked, &mut metadata, now, &self.device)?;
            r.metadata.metadata = Arc::new(metadata);
            r.metadata.pending = true;
            r.keyring.seal()
        })?;
        let _ = self.persist().await;
        Ok(())
    }

    /// "Unlock the server's keyring": its passphrase proved `held` (opened
    /// as `theirs`), and it is adopted. When it is the same keyring under a
    /// new key, this browser's changes not synced yet are carried over and
    /// the metadata it had verified is sealed under the new key.
    pub(crate) async fn unlock_server_keyring(
        &self,
        mut theirs: Unlocked,
        held: ServerCopy,
    ) -> Result<(), AppError> {
        let now = self.now();
        self.write(|r| {
            let pending = r.keyring.pending;
            let mut metadata = Metadata::clone(&r.metadata.metadata);
            let carried = r.keyring.unlocked.as_ref().map(|ours| {
                let verified = metadata.verified(ours);
                let report = theirs.absorb(ours, &mut rand_core::OsRng)?;
                metadata.reseal(&verified, &theirs, now, &self.device, &mut rand_core::OsRng);
                Ok::<_, keyhaven_core::Error>(report)
            });
            let carried_any = match carried {
                Some(Ok(report)) => !report.taken.is_empty(),
                Some(Err(_)) if pending => {
                    r.notices.push(super::Notice::NotCarried);
                    false
                }
                None if pending => return Err(AppError::UnlockThisCopyFirst),
                _ => false,
            };
            let view = if carried_any {
                theirs.seal(&mut rand_core::OsRng);
                theirs.keyring().clone()
            } else {
                held.keyring
            };
            r.metadata.metadata = Arc::new(metadata);
            r.metadata.pending = true;
            r.keyring.replace(Some(view), Some(held.tag), carried_any);
            Ok(())
        })?;
        self.opened(theirs);
        self.persist().await
    }
}
