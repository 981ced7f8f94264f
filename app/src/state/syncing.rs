//! The user-facing sync commands: open the account, edit the metadata,
//! sync now, settle a keyring conflict. The engine does the work; these
//! show its outcome in the status signals.

use std::time::Duration;

use keyhaven_core::{model::Metadata, sync::metadata::Orphaned};
use leptos::prelude::*;

use super::AppState;
use crate::{error::AppError, saved, sync::SyncKind, tabs};

/// How often an open app looks for changes made elsewhere.
const PULL_EVERY: Duration = Duration::from_secs(30);

impl AppState {
    /// Opens the account: this browser's copy at once, then the server's.
    /// Fails only when neither can be had.
    pub async fn load(&self) -> Result<(), AppError> {
        let Some(user) = self.user() else {
            return Ok(());
        };
        if saved::load(&user).await.is_none() && saved::user().await.is_some() {
            // Another account's copy: it goes when someone else signs in.
            let _ = saved::clear().await;
        }
        let engine = self.engine();
        let have_copy = engine.restore_saved().await;
        self.refresh();
        let result = self.sync_shown(SyncKind::PullThenPush).await;
        // Without the server this browser's copy opens; its problems show
        // in the sync status. A keyring conflict is the server's answer,
        // not its absence: the account opens and says so.
        if let Err(error) = result
            && !have_copy
            && self.vault.conflict.with_untracked(Option::is_none)
        {
            return Err(error);
        }
        self.status.loaded.set(true);
        Ok(())
    }

    /// Applies `edit` to this browser's copy and syncs it. Without the
    /// network the edit waits (the UI shows it pending) and this is `Ok`;
    /// an error means the server refused it, and the edit is still kept.
    pub async fn update_metadata(
        &self,
        edit: impl FnOnce(&mut Metadata, u64, &str),
    ) -> Result<(), AppError> {
        self.engine().edit_metadata(edit).await;
        // Shown once saved: a reload the moment the screen changed must
        // find the change.
        self.refresh();
        self.sync(SyncKind::Push).await
    }

    /// Puts back an item a deletion the keyring contradicts took away, as
    /// this browser had it (its seal too: as trusted as it was).
    pub async fn restore_deleted(&self, orphaned: Orphaned) -> Result<(), AppError> {
        self.update_metadata(move |m, now, by| {
            m.reinstate(&orphaned.id, &orphaned.snapshot, now, by);
        })
        .await
    }

    /// Pushes what is pending (pulling first, with [`SyncKind::PullThenPush`]);
    /// an unreachable server is not an error here: the changes wait.
    pub async fn sync(&self, kind: SyncKind) -> Result<(), AppError> {
        match self.sync_shown(kind).await {
            Err(error) if error.is_offline() => Ok(()),
            other => other,
        }
    }

    /// Syncs, and shows the outcome in the status.
    async fn sync_shown(&self, kind: SyncKind) -> Result<(), AppError> {
        let result = self
            .engine()
            .sync_then_save(kind, &|| self.show_metadata())
            .await;
        self.refresh();
        if !self.vault.unlocked.get_untracked() {
            // Once the page has drawn: what unlocking will prove, ready
            // while the passphrase is typed.
            crate::net::truenas::sleep(0).await;
            self.engine().digest_ahead();
        }
        match &result {
            Ok(()) => {
                self.status.reachable.set(true);
                self.status.sync_problem.set(None);
            }
            Err(error) if error.is_offline() => {
                self.status.reachable.set(false);
                self.retry_later();
            }
            Err(error) => {
                self.status.reachable.set(true);
                // A keyring conflict has its own notice.
                if self.vault.conflict.with_untracked(Option::is_none) {
                    self.status.sync_problem.set(Some(error.to_string()));
                }
            }
        }
        result
    }

    /// Whether this browser holds changes the server hasn't acknowledged.
    pub fn pending(&self) -> bool {
        self.engine().replicas().pending()
    }

    /// Another tab changed the saved copy: take it in.
    pub(crate) async fn reload_saved(&self) {
        self.engine().reload_saved().await;
        self.refresh();
    }

    /// "Restore from this browser": writes this browser's copy over what
    /// the server has (or in its place, when it has none).
    pub async fn restore_keyring(&self) -> Result<(), AppError> {
        let result = self.engine().restore_keyring().await;
        self.refresh();
        if self.vault.conflict.with_untracked(Option::is_none) {
            self.status.sync_problem.set(None);
        }
        result?;
        self.sync(SyncKind::PullThenPush).await
    }

    /// Knowingly takes what the server has: no keyring (it was reset), or
    /// an older copy. (A replaced keyring is adopted by unlocking it.)
    pub async fn adopt_server_keyring(&self) {
        let adopted = self.engine().adopt_server_keyring().await;
        self.refresh();
        match adopted {
            Ok(()) => self.status.sync_problem.set(None),
            Err(error) => self.status.sync_problem.set(Some(error.to_string())),
        }
    }

    /// After an unreachable server: try again soon (the `online` event
    /// covers a browser that knows it is offline).
    fn retry_later(&self) {
        if !self.pending() || !self.status.online.get_untracked() || self.retrying.get_value() {
            return;
        }
        self.retrying.set_value(true);
        let state = *self;
        set_timeout(
            move || {
                state.retrying.set_value(false);
                leptos::task::spawn_local(async move {
                    let _ = state.sync(SyncKind::Push).await;
                });
            },
            Duration::from_secs(3),
        );
    }
}

/// Pulls on focus, on reconnect and periodically while the page is open;
/// takes in what other tabs save.
pub fn start(state: AppState) {
    let pull = move || {
        if state.status.loaded.get_untracked() && state.status.online.get_untracked() {
            leptos::task::spawn_local(async move {
                let _ = state.sync(SyncKind::PullThenPush).await;
            });
        }
    };
    // (`visibilitychange` bubbles from the document to the window.)
    for event in ["focus", "online", "visibilitychange"] {
        // Listens as long as the page lives.
        let _ = window_event_listener_untyped(event, move |_| {
            if event != "visibilitychange" || !document().hidden() {
                pull();
            }
        });
    }
    let _ = set_interval_with_handle(pull, PULL_EVERY);
    tabs::listen(move || {
        leptos::task::spawn_local(async move { state.reload_saved().await });
    });
}
