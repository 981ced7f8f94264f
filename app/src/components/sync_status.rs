//! What the user is told about offline use and syncing: the top bar's sync
//! status, and the banners above every screen (not a secure connection,
//! offline, server unreachable,
//! a sync problem, the keyring or metadata changed on the server
//! (`trust_notices.rs`), edits replaced elsewhere, a new release ready).

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use super::{
    insecure_context::InsecureContextBanner,
    trust_notices::{KeyringConflictNotice, TrustNotices},
};
use crate::{
    lazy::{self, split},
    state::{AppState, Prompts, Status},
    sync::Notice,
};

/// "Changes not synced yet" or "Synced 14:02:31", for the top bar.
#[component]
pub fn SyncStatus() -> impl IntoView {
    let status = expect_context::<Status>();
    let text = move || {
        if status.metadata_pending.get() || status.keyring_pending.get() {
            Some("Changes not synced yet".to_owned())
        } else {
            status
                .synced_at
                .get()
                .map(|at| format!("Synced {}", clock(at)))
        }
    };
    view! {
        <Show when=move || status.loaded.get()>
            <span class="sync-status" aria-live="polite">{text}</span>
        </Show>
    }
}

/// The banners above every screen.
#[component]
pub fn Banners() -> impl IntoView {
    let status = expect_context::<Status>();
    let notices = expect_context::<Prompts>().notices;
    let signed_in = move || status.loaded.get();
    let state = expect_context::<AppState>();
    let trouble = move || {
        state.vault.conflict.with(Option::is_some)
            || !notices.with(Vec::is_empty)
            || state.has_findings()
    };
    view! {
        <InsecureContextBanner/>
        <UpdateReady/>
        <Show when=move || !status.online.get()>
            <p class="banner" aria-live="polite">
                "You're offline. Keyhaven is working from this browser's copy of your account; "
                "changes are kept here and sync when the network returns."
            </p>
        </Show>
        <Show when=move || status.online.get() && !status.reachable.get() && signed_in()>
            <p class="banner" aria-live="polite">
                "The Keyhaven server can't be reached. Changes are kept in this browser and sync when it answers."
            </p>
        </Show>
        // What asks the user to decide loads when there is something to
        // decide (a conflict, an item not verified, a sync notice).
        <Show when=trouble>
            {lazy::page(trouble_banners(notices))}
        </Show>
        <Show when=move || status.sync_problem.get().is_some()>
            <p class="banner warning" role="alert">
                "Not synced: " {move || status.sync_problem.get()}
            </p>
        </Show>
    }
}

split! {
    fn trouble_banners(notices: RwSignal<Vec<Notice>>) {
        view! {
            <KeyringConflictNotice/>
            <TrustNotices/>
            <SyncNotices notices/>
        }
    }
}

/// What sync told the user (replaced edits, unproven deletions with
/// Restore, rollbacks), each until dismissed.
#[component]
fn SyncNotices(notices: RwSignal<Vec<Notice>>) -> impl IntoView {
    view! {
        <For
            each=move || notices.get().into_iter().enumerate()
            key=|(i, notice)| (*i, notice.to_string())
            let((i, notice))
        >
            <p class="banner" role="alert">
                {notice.to_string()}
                " "
                {match notice {
                    Notice::Deleted(orphaned) => Some(view! {
                        <RestoreDeleted orphaned notices/>
                    }),
                    _ => None,
                }}
                <button
                    type="button"
                    on:click=move |_| notices.update(|n| {
                        if i < n.len() {
                            n.remove(i);
                        }
                    })
                >
                    "Dismiss"
                </button>
            </p>
        </For>
    }
}

/// Restore, for a system or keypair deleted in the server's copy while
/// its key is still in the keyring: puts it back, and the notice goes.
#[component]
fn RestoreDeleted(
    orphaned: keyhaven_core::sync::metadata::Orphaned,
    notices: RwSignal<Vec<Notice>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let restore = move |_| {
        let orphaned = orphaned.clone();
        leptos::task::spawn_local(async move {
            let shown = Notice::Deleted(orphaned.clone());
            // (An error leaves the restored item pending; the status says so.)
            let _ = state.restore_deleted(orphaned).await;
            notices.update(|n| n.retain(|other| *other != shown));
        });
    };
    view! {
        <button type="button" on:click=restore>"Restore"</button>
        " "
    }
}

/// "A new version of Keyhaven is ready." with Reload: `boot.js` raises
/// `keyhaven-update` when a newer release has installed, and only the
/// user's Reload activates it.
#[component]
fn UpdateReady() -> impl IntoView {
    let ready = RwSignal::new(call_boot("keyhavenUpdateReady").is_some_and(|v| v.is_truthy()));
    // Listens as long as the page lives.
    let _ = window_event_listener_untyped("keyhaven-update", move |_| ready.set(true));
    view! {
        <Show when=move || ready.get()>
            <p class="banner" aria-live="polite">
                "A new version of Keyhaven is ready. "
                <button type="button" on:click=move |_| {
                    call_boot("keyhavenApplyUpdate");
                }>"Reload"</button>
            </p>
        </Show>
    }
}

/// Calls a function `boot.js` put on `window`, if it is there.
fn call_boot(name: &str) -> Option<JsValue> {
    let window = web_sys::window()?;
    let function = js_sys::Reflect::get(&window, &name.into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    function.call0(&window).ok()
}

/// A time of day in the user's locale.
fn clock(ms: u64) -> String {
    js_sys::Date::new(&JsValue::from_f64(ms as f64))
        .to_locale_time_string("default")
        .into()
}
