//! In-memory stand-ins for the engine's two edges: a blob store that
//! behaves as the Keyhaven server's does (tags, `If-Match`, 412), with
//! hooks a test uses to play a hostile or busy server; and a saved copy.

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
    rc::Rc,
};

use keyhaven_core::api::{BlobInfo, BlobName, Tag};

use crate::{
    error::AppError,
    net::api::ApiError,
    saved::Saved,
    sync::{
        engine::Engine,
        ports::{Blobs, Fetched, SavedCopy},
    },
};

/// Before a write lands: what a test does to the store (another writer).
type Meddle = Box<dyn FnMut(&mut BTreeMap<&'static str, (Vec<u8>, Tag)>)>;

/// The server's blobs, shared by every engine ("browser") of a test.
#[derive(Default)]
pub(super) struct Store {
    pub blobs: RefCell<BTreeMap<&'static str, (Vec<u8>, Tag)>>,
    pub offline: Cell<bool>,
    next: Cell<u64>,
    /// Runs before each write is checked.
    pub before_put: RefCell<Option<Meddle>>,
    pub puts: Cell<usize>,
}

impl Store {
    pub(super) fn tag(&self) -> Tag {
        self.next.set(self.next.get() + 1);
        Tag::new(format!("t{}", self.next.get())).unwrap()
    }

    /// Writes `bytes` as another client would (a new tag).
    pub(super) fn overwrite(&self, name: BlobName, bytes: Vec<u8>) {
        let tag = self.tag();
        self.blobs.borrow_mut().insert(name.as_str(), (bytes, tag));
    }

    pub(super) fn bytes(&self, name: BlobName) -> Option<Vec<u8>> {
        self.blobs
            .borrow()
            .get(name.as_str())
            .map(|(b, _)| b.clone())
    }

    fn reachable(&self) -> Result<(), ApiError> {
        if self.offline.get() {
            Err(ApiError::Offline)
        } else {
            Ok(())
        }
    }
}

#[derive(Clone)]
pub(super) struct Net(pub Rc<Store>);

impl Blobs for Net {
    async fn list(&self) -> Result<Vec<BlobInfo>, ApiError> {
        self.0.reachable()?;
        Ok(self
            .0
            .blobs
            .borrow()
            .iter()
            .map(|(name, (bytes, tag))| BlobInfo {
                name: (*name).to_owned(),
                tag: tag.clone(),
                size: bytes.len() as u64,
                updated: 0,
            })
            .collect())
    }

    async fn get(&self, name: BlobName) -> Result<Option<Fetched>, ApiError> {
        self.0.reachable()?;
        Ok(self
            .0
            .blobs
            .borrow()
            .get(name.as_str())
            .map(|(bytes, tag)| Fetched {
                bytes: bytes.clone(),
                tag: tag.clone(),
            }))
    }

    async fn put(
        &self,
        name: BlobName,
        bytes: &[u8],
        expected: Option<&Tag>,
    ) -> Result<Tag, ApiError> {
        self.0.reachable()?;
        if let Some(meddle) = self.0.before_put.borrow_mut().as_mut() {
            meddle(&mut self.0.blobs.borrow_mut());
        }
        self.0.puts.set(self.0.puts.get() + 1);
        let current = self
            .0
            .blobs
            .borrow()
            .get(name.as_str())
            .map(|(_, t)| t.clone());
        if current.as_ref() != expected {
            return Err(ApiError::Conflict { current });
        }
        let tag = self.0.tag();
        self.0
            .blobs
            .borrow_mut()
            .insert(name.as_str(), (bytes.to_vec(), tag.clone()));
        Ok(tag)
    }

    async fn delete(&self, name: BlobName, tag: &Tag) -> Result<(), ApiError> {
        self.0.reachable()?;
        let mut blobs = self.0.blobs.borrow_mut();
        match blobs.get(name.as_str()) {
            Some((_, current)) if current == tag => {
                blobs.remove(name.as_str());
                Ok(())
            }
            Some((_, current)) => Err(ApiError::Conflict {
                current: Some(current.clone()),
            }),
            None => Err(ApiError::Server {
                status: 404,
                code: "not_found".into(),
                message: "No such blob.".into(),
            }),
        }
    }
}

/// One browser's saved copy (shared by its tabs) and highest revision.
#[derive(Default)]
pub(super) struct Disk {
    pub copy: RefCell<Option<Saved>>,
    pub highest: Cell<u64>,
    /// The highest manifest revision.
    pub manifest: Cell<u64>,
}

#[derive(Clone)]
pub(super) struct Saves(pub Rc<Disk>);

impl SavedCopy for Saves {
    type Guard = ();

    async fn lock(&self) {}

    async fn load(&self) -> Option<Saved> {
        self.0.copy.borrow().clone()
    }

    async fn store(&self, copy: &Saved) -> Result<(), AppError> {
        *self.0.copy.borrow_mut() = Some(copy.clone());
        Ok(())
    }

    fn highest_revision(&self, of: BlobName) -> u64 {
        match of {
            BlobName::Keyring => self.0.highest.get(),
            BlobName::Metadata => self.0.manifest.get(),
        }
    }

    fn remember_highest_revision(&self, of: BlobName, revision: u64) {
        match of {
            BlobName::Keyring => self.0.highest.set(revision),
            BlobName::Metadata => self.0.manifest.set(revision),
        }
    }
}

pub(super) type TestEngine = Engine<Net, Saves>;

/// A browser signed in to the account on `store`, with its own disk.
pub(super) fn browser(store: &Rc<Store>, disk: &Rc<Disk>, device: &str) -> TestEngine {
    Engine::new(
        Net(store.clone()),
        Saves(disk.clone()),
        Some("ana".into()),
        device.into(),
        clock,
    )
}

thread_local! {
    static NOW: Cell<u64> = const { Cell::new(1_763_700_000_000) };
}

/// A clock that moves on a millisecond at every look, so edits order.
fn clock() -> u64 {
    NOW.with(|now| {
        now.set(now.get() + 1);
        now.get()
    })
}
