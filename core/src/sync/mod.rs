//! What this browser does with the server's copies, decided without a
//! browser: for the keyring the app gathers the facts ([`Local`],
//! [`Server`]), asks [`decide`], and carries out the [`Step`]; the
//! metadata is merged by [`metadata::pull`].
//!
//! The rules, because the server is trusted with availability only:
//!
//! - Nothing replaces this browser's copy unless it is proven: merged
//!   under the data key (same keyring, manifest verified), or unlocked
//!   with the user's passphrase. A locked browser holds a newer server
//!   copy aside until unlock proves it.
//! - A keyring missing on the server, older than the highest revision
//!   this browser has seen for the account (any keyring id), unreadable,
//!   or not verifiable with this browser's key is a [`Conflict`]: the
//!   user is told and chooses to restore this browser's copy or knowingly
//!   adopt the server's.
//! - The highest revision only rises on proof (a write the server
//!   accepted, a verified merge, an unlock), so a junk keyring served once
//!   can't reset it.

pub mod live;
pub mod metadata;
pub mod stored;

use crate::{api::Tag, keyring::Keyring};

/// This browser's side.
#[derive(Debug, Clone, Copy)]
pub struct Local<'a> {
    /// This browser's copy (proven, or the first one it ever downloaded).
    pub keyring: Option<&'a Keyring>,
    /// Whether that copy was ever stored on the server (it has a tag).
    pub stored: bool,
    /// It holds changes the server hasn't acknowledged.
    pub pending: bool,
    /// The data key is in memory.
    pub unlocked: bool,
    /// The highest revision proven for this account, any keyring id.
    pub highest: u64,
}

/// The server's keyring as the app read it, with its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCopy {
    /// The keyring it sent.
    pub keyring: Keyring,
    /// Its tag.
    pub tag: Tag,
}

/// What the server has.
#[derive(Debug, Clone)]
pub enum Server {
    /// It has no keyring.
    Missing,
    /// Bytes that aren't a keyring, under this tag.
    Unreadable(Tag),
    /// A keyring that parses.
    Present(ServerCopy),
}

/// What the app does next; each step carries the server's copy it is
/// about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing changes (the server has none, nor does this browser).
    Keep,
    /// Store this browser's copy: it was created here and never stored.
    Create,
    /// Take the server's copy: this browser loses nothing by it.
    Take(ServerCopy),
    /// Merge the server's copy into the unlocked keyring; the merge
    /// verifies it (a failure is [`Conflict::Replaced`]).
    Merge(ServerCopy),
    /// Keep this browser's copy and set the server's aside until the
    /// keyring is unlocked, which proves or refuses it.
    Hold(ServerCopy),
    /// Keep this browser's copy and tell the user.
    Conflict(KeyringConflict),
}

/// The server's keyring was not taken: why, and what the server has (to
/// adopt knowingly, or to write over with Restore).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringConflict {
    /// Why it was not taken.
    pub conflict: Conflict,
    /// The server's copy, when it has a readable one.
    pub server: Option<Keyring>,
    /// Its tag, when it has any copy.
    pub server_tag: Option<Tag>,
}

impl KeyringConflict {
    /// A conflict over `server`'s copy.
    pub fn over(conflict: Conflict, server: Option<ServerCopy>) -> Self {
        let (server, server_tag) = match server {
            Some(ServerCopy { keyring, tag }) => (Some(keyring), Some(tag)),
            None => (None, None),
        };
        Self {
            conflict,
            server,
            server_tag,
        }
    }
}

/// Why the server's copy was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The server has no keyring any more.
    Missing,
    /// The server's keyring can't be read at all.
    Unreadable,
    /// Older than a revision this browser has proven before.
    /// Older than a revision this browser proved before.
    Older {
        /// The highest revision this browser proved.
        seen: u64,
        /// The revision the server sent.
        found: u64,
    },
    /// Another keyring (reset and re-created, or the passphrase changed
    /// on another device), or one this browser's key doesn't verify.
    Replaced,
}

impl Conflict {
    /// What the user is told.
    pub fn message(&self) -> String {
        match self {
            Self::Missing => "The Keyhaven server no longer has a keyring for this account \
                (it may have been reset on another device, or the server lost it). This \
                browser kept its copy."
                .into(),
            Self::Unreadable => "The Keyhaven server's copy of the keyring can't be read \
                (it is damaged or was altered). This browser kept its copy."
                .into(),
            Self::Older { seen, found } => format!(
                "The Keyhaven server sent an older keyring (revision {found}) than this \
                 browser has already seen (revision {seen}): it may have been rolled back, or \
                 restored from an old backup. This browser kept its newer copy."
            ),
            Self::Replaced => "The keyring on the Keyhaven server is not the one this \
                browser has: it was reset or its passphrase changed on another device, or \
                someone without your passphrase replaced it. This browser kept its copy; \
                unlock the server's keyring with its passphrase to use it."
                .into(),
        }
    }

    /// Whether the user may adopt the server's copy as it is (a replaced
    /// keyring is adopted only by unlocking it).
    pub fn can_adopt(&self) -> bool {
        matches!(self, Self::Missing | Self::Older { .. })
    }
}

/// Decides what to do with the server's copy.
pub fn decide(local: Local<'_>, server: Server) -> Step {
    let remote = match server {
        Server::Missing => {
            return match local.keyring {
                None => Step::Keep,
                Some(_) if !local.stored && local.pending => Step::Create,
                Some(_) => Step::Conflict(KeyringConflict::over(Conflict::Missing, None)),
            };
        }
        Server::Unreadable(tag) => {
            return Step::Conflict(KeyringConflict {
                conflict: Conflict::Unreadable,
                server: None,
                server_tag: Some(tag),
            });
        }
        Server::Present(remote) => remote,
    };
    let found = remote.keyring.revision();
    if found < local.highest {
        let older = Conflict::Older {
            seen: local.highest,
            found,
        };
        return Step::Conflict(KeyringConflict::over(older, Some(remote)));
    }
    let Some(ours) = local.keyring else {
        return Step::Take(remote);
    };
    if !local.pending && ours.to_bytes() == remote.keyring.to_bytes() {
        return Step::Take(remote);
    }
    match (local.unlocked, ours.id() == remote.keyring.id()) {
        (true, true) => Step::Merge(remote),
        (true, false) => Step::Conflict(KeyringConflict::over(Conflict::Replaced, Some(remote))),
        (false, _) => Step::Hold(remote),
    }
}

#[cfg(test)]
mod tests;
