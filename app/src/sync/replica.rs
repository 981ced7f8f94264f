//! One blob as this browser holds it, and what the engine needs of each:
//! what to write, what a write's success means, how to take in the
//! server's copy. The push-and-retry loop is written once, over this trait
//! (`Engine::push`), which finds each replica among the others with
//! `AsMut` (see `replicas.rs`).

use keyhaven_core::{
    api::{BlobName, Tag},
    keyring::{Keyring, Unlocked},
};

use super::{Notice, ports::Blobs};
use crate::{error::AppError, net::api::ApiError};

/// What a replica's rules need besides its own state.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    /// This browser's id, stamped on its edits.
    pub device: &'a str,
    pub now: u64,
    /// The newest copy of this keyring this browser has (its own, or a
    /// newer one held until unlock): which entries it holds.
    pub keyring: Option<&'a Keyring>,
    /// The data key, when this browser's keyring is unlocked and no newer
    /// copy of it waits for unlock: what the server's copy is checked under.
    pub unlocked: Option<&'a Unlocked>,
}

/// A write to make: the bytes, and what they hold; and the blobs to write
/// first, which the written one names (the metadata's parts).
pub(crate) struct Outgoing<S> {
    pub bytes: Vec<u8>,
    pub sent: S,
    pub first: Vec<(String, Vec<u8>)>,
}

pub(crate) trait Replica {
    const NAME: BlobName;
    /// What was sent, to tell afterwards whether an edit came meanwhile.
    type Sent;
    /// The server's copy, as fetched.
    type Incoming;
    /// What fetching needs to know of this replica (read before the
    /// fetch: no borrow is held across it).
    type Known;
    /// Its `take_in` reads [`Ctx::keyring`] and [`Ctx::unlocked`] (else
    /// they are `None`).
    const READS_KEYRING: bool = false;

    /// The server's tag of the copy this replica last took in or wrote.
    fn tag(&self) -> Option<&Tag>;

    /// What to write, and over which tag, when something is pending;
    /// an error when it can't be written now (a conflict to settle).
    fn outgoing(&mut self) -> Result<Option<Outgoing<Self::Sent>>, AppError>;

    /// The server stored `sent` as `tag`: pending unless edited meanwhile.
    fn stored(&mut self, sent: Self::Sent, tag: Tag);

    /// A blob named in [`Outgoing::first`] was written, as `tag`.
    fn wrote_first(&mut self, _name: String, _tag: Tag) {}

    /// Blobs a stored write left unnamed, to delete (name and tag).
    fn garbage(&mut self) -> Vec<(String, Tag)> {
        Vec::new()
    }

    /// What fetching needs to know.
    fn known(&self) -> Self::Known;

    /// Fetches the server's copy (`None`: it has none).
    async fn fetch(
        blobs: &impl Blobs,
        known: Self::Known,
    ) -> Result<Option<Self::Incoming>, ApiError>;

    /// Takes in the server's copy (`None`: it has none) by this blob's
    /// rules; what the user should hear goes to `notices`. An error: it
    /// was not taken (this browser's copy stands).
    fn take_in(
        &mut self,
        server: Option<Self::Incoming>,
        ctx: Ctx<'_>,
        notices: &mut Vec<Notice>,
    ) -> Result<(), AppError>;
}
