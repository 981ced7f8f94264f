//! In-memory stand-ins for the engine's two edges: a blob store that
//! behaves as the Keyhaven server's does (tags, `If-Match`, 412), with
//! hooks a test uses to play a hostile or busy server; and a saved copy.

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
    rc::Rc,
};

use keyhaven_core::{
    api::{BlobInfo, BlobName, Tag},
    model::Metadata,
    sync::stored,
};

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
type Meddle = Box<dyn FnMut(&mut BTreeMap<String, (Vec<u8>, Tag)>)>;

/// The server's blobs, shared by every engine ("browser") of a test.
#[derive(Default)]
pub(super) struct Store {
    pub blobs: RefCell<BTreeMap<String, (Vec<u8>, Tag)>>,
    pub offline: Cell<bool>,
    next: Cell<u64>,
    /// Runs before each write is checked.
    pub before_put: RefCell<Option<Meddle>>,
    /// Writes of the keyring or the metadata's top (not its parts).
    pub puts: Cell<usize>,
    /// Bytes written and read, every blob.
    pub bytes_up: Cell<usize>,
    pub bytes_down: Cell<usize>,
}

impl Store {
    pub(super) fn tag(&self) -> Tag {
        self.next.set(self.next.get() + 1);
        Tag::new(format!("t{}", self.next.get())).unwrap()
    }

    /// Writes `bytes` as another client would (a new tag). The metadata
    /// is a whole document, stored in parts as the app stores it (the
    /// parts it had stay, as a server may keep them).
    pub(super) fn overwrite(&self, name: BlobName, bytes: Vec<u8>) {
        let bytes = match name {
            BlobName::Metadata => match Metadata::from_json(&bytes) {
                Ok(doc) => {
                    let (top, parts) = stored::store(&doc);
                    for (_, part) in parts {
                        let tag = self.tag();
                        self.blobs.borrow_mut().insert(part.name, (part.bytes, tag));
                    }
                    top.to_json()
                }
                Err(_) => bytes,
            },
            BlobName::Keyring => bytes,
        };
        let tag = self.tag();
        self.blobs
            .borrow_mut()
            .insert(name.as_str().to_owned(), (bytes, tag));
    }

    /// A blob's bytes; the metadata whole, assembled from its parts.
    pub(super) fn bytes(&self, name: BlobName) -> Option<Vec<u8>> {
        let blobs = self.blobs.borrow();
        let bytes = blobs.get(name.as_str()).map(|(b, _)| b.clone())?;
        if name == BlobName::Keyring {
            return Some(bytes);
        }
        let Ok(stored::Read::Top(top)) = stored::Read::from_json(&bytes) else {
            return Some(bytes);
        };
        let parts = top
            .parts
            .iter()
            .filter_map(|(part, name)| {
                let (bytes, _) = blobs.get(name)?;
                Some((part, stored::read_part(part, bytes).ok()?.0))
            })
            .collect();
        Some(stored::assemble(&top, &parts).to_json())
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
                name: name.clone(),
                tag: tag.clone(),
                size: bytes.len() as u64,
                updated: 0,
            })
            .collect())
    }

    async fn get(&self, name: &str) -> Result<Option<Fetched>, ApiError> {
        self.0.reachable()?;
        Ok(self.0.blobs.borrow().get(name).map(|(bytes, tag)| {
            self.0.bytes_down.set(self.0.bytes_down.get() + bytes.len());
            Fetched {
                bytes: bytes.clone(),
                tag: tag.clone(),
            }
        }))
    }

    async fn put(&self, name: &str, bytes: &[u8], expected: Option<&Tag>) -> Result<Tag, ApiError> {
        self.0.reachable()?;
        if let Some(meddle) = self.0.before_put.borrow_mut().as_mut() {
            meddle(&mut self.0.blobs.borrow_mut());
        }
        if BlobName::parse(name).is_some() {
            self.0.puts.set(self.0.puts.get() + 1);
        }
        self.0.bytes_up.set(self.0.bytes_up.get() + bytes.len());
        let current = self.0.blobs.borrow().get(name).map(|(_, t)| t.clone());
        if current.as_ref() != expected {
            return Err(ApiError::Conflict { current });
        }
        let tag = self.0.tag();
        self.0
            .blobs
            .borrow_mut()
            .insert(name.to_owned(), (bytes.to_vec(), tag.clone()));
        Ok(tag)
    }

    async fn delete(&self, name: &str, tag: &Tag) -> Result<(), ApiError> {
        self.0.reachable()?;
        let mut blobs = self.0.blobs.borrow_mut();
        match blobs.get(name) {
            Some((_, current)) if current == tag => {
                blobs.remove(name);
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

    async fn load_newer(&self, than: u64) -> Option<Saved> {
        self.0.copy.borrow().clone().filter(|c| c.generation > than)
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
