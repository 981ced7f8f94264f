//! Keeping this browser's copy of the account and the server's in step.
//!
//! Every edit lands in this browser's copy first (the engine's replicas,
//! then IndexedDB) and is marked pending; a sync then pushes it with
//! `If-Match`. When someone else wrote first (412), the server's copy is
//! fetched and taken in by that blob's rules (core's merges, tombstones
//! included) and the write retried. Without the network the edit simply
//! stays pending until it returns. Changes made elsewhere are pulled on
//! focus, on reconnect, on the server's announcements and every half
//! minute.
//!
//! The keyring goes before the metadata, so other browsers never list a
//! keypair whose private key hasn't arrived. What to do with the server's
//! keyring is core's decision (`keyhaven_core::sync::decide`): nothing
//! replaces this browser's copy unless it is proven, and a missing, older,
//! unreadable or unverifiable keyring is a conflict the user settles
//! ("Restore from this browser", or knowingly adopt the server's).
//!
//! Parts: [`engine::Engine`] (the loop, over two traits in [`ports`]),
//! one [`replica::Replica`] per blob (`keyring`, `metadata`), the saved
//! copy's merge (`saved_copy`), and the browser's edges (`browser`). The
//! app's `AppState` shows the replicas in signals and starts syncs
//! (`state/syncing.rs`); nothing here knows of it.

mod browser;
mod engine;
mod keyring;
mod metadata;
mod ports;
mod replica;
mod replicas;
mod saved_copy;
#[cfg(test)]
mod tests;

use std::fmt;

use keyhaven_core::{
    model::{Kind, Replaced},
    sync::metadata::{NoProof, Orphaned, Unproven},
};

pub(crate) use browser::{Browser, BrowserEngine, Server};

/// How much a sync does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    /// Push what is pending (after an edit).
    Push,
    /// Look at the server's copies first (focus, reconnect, unlock, the timer).
    PullThenPush,
}

/// What sync tells the user outside any one screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The server's copy of an item was refused; this browser's is kept.
    Refused {
        kind: Kind,
        name: String,
        why: &'static str,
    },
    /// An edit of this browser's lost to a later one made elsewhere.
    Replaced(Replaced),
    /// The keyring was reset elsewhere: changes not synced yet were lost.
    NotCarried,
    /// An item the server's copy deleted without proof: its key is still in
    /// the keyring, or the manifest doesn't list the deletion (offers
    /// Restore).
    Deleted(Orphaned),
    /// The server's document is not proven by its manifest: an older one
    /// served again, or none at all. Nothing in it counts as verified.
    Unproven(NoProof),
    /// The manifest lists this many items the server's document lacks and
    /// this browser doesn't have.
    Withheld(usize),
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused { kind, name, why } => write!(
                f,
                "The Keyhaven server's copy of {} was refused: {why}. This browser's copy is kept.",
                crate::labels::item(*kind, name)
            ),
            Self::Replaced(replaced) => {
                let by = match (replaced.deleted, replaced.proven) {
                    (true, _) => "was replaced: it was deleted later on another device",
                    (false, true) => "was replaced by a later edit made on another device",
                    // Made while a keyring was locked, or by the server: the
                    // trust notice shows both versions.
                    (false, false) => {
                        "was replaced by a later version your keyring doesn't confirm (an edit \
                         made while a keyring was locked, or the Keyhaven server's own). Check it \
                         before you use it"
                    }
                };
                write!(
                    f,
                    "Your edit to {} {by}.",
                    crate::labels::item(replaced.kind, &replaced.name)
                )
            }
            Self::Deleted(orphaned) => {
                let item = crate::labels::item(orphaned.snapshot.kind(), &orphaned.name);
                let key = match orphaned.snapshot.kind() {
                    Kind::System => "API key",
                    _ => "private key",
                };
                match orphaned.why {
                    Unproven::KeyInKeyring => write!(
                        f,
                        "{item} was deleted in the Keyhaven server's copy, but its {key} is \
                         still in your keyring: Keyhaven deletes the key first, so this deletion \
                         was not made by Keyhaven."
                    )?,
                    Unproven::NotListed => write!(
                        f,
                        "{item} was deleted in the Keyhaven server's copy, and no browser with \
                         your keyring unlocked listed that deletion."
                    )?,
                }
                f.write_str(" Restore it, or dismiss this to leave it deleted.")
            }
            Self::Unproven(NoProof::Older { shown, proven }) => write!(
                f,
                "The Keyhaven server served an older copy of your systems, keypairs and \
                 connections (revision {shown}; this browser has seen {proven}). Nothing in it \
                 is taken as verified: this browser's copy is kept and written back, and \
                 what only the server's copy has is shown as not confirmed."
            ),
            Self::Unproven(NoProof::Missing) => f.write_str(
                "The Keyhaven server's copy of your systems, keypairs and connections carries \
                 no manifest sealed by your keyring. Nothing in it is taken as verified: this \
                 browser's copy is kept and written back, and what only the server's copy has \
                 is shown as not confirmed.",
            ),
            Self::Withheld(count) => write!(
                f,
                "The Keyhaven server's copy of your systems, keypairs and connections lacks {count} \
                 item(s) its manifest lists, and this browser doesn't have them. Open Keyhaven \
                 in a browser that has them, unlocked, to write them back."
            ),
            Self::NotCarried => f.write_str(
                "The keyring was reset on another device, so the changes made to it in this \
                 browser and not synced yet could not be carried over. Systems, keypairs' public \
                 keys and connections are unchanged.",
            ),
        }
    }
}
