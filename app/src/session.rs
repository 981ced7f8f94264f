//! Screens that need a signed-in account: check the session once, send
//! the visitor to /signin without one, and load the account's data.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;

use crate::{
    components::ErrorLine,
    net::api::{self, ApiError},
    saved,
    state::{AppState, Session},
};

/// Renders `children` once the session is known to be live and the
/// account's data is loaded; otherwise redirects to /signin.
#[component]
pub fn Protected(children: ChildrenFn) -> impl IntoView {
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let navigate = navigate.clone();
        match state.session.get() {
            Session::Unknown => spawn_local(async move {
                match api::whoami().await {
                    Ok(user) => state.signed_in(user),
                    // Offline, whoever this browser keeps a copy for.
                    Err(ApiError::Offline) => match saved::user().await {
                        Some(user) => state.signed_in(Some(user)),
                        None => error.set(Some(ApiError::Offline.to_string())),
                    },
                    Err(e) => error.set(Some(e.to_string())),
                }
            }),
            Session::SignedOut => navigate("/signin", Default::default()),
            Session::SignedIn(_) if !state.status.loaded.get_untracked() => {
                spawn_local(async move {
                    if let Err(e) = state.load().await {
                        error.set(Some(e.to_string()));
                    }
                });
            }
            Session::SignedIn(_) => {}
        }
    });
    view! {
        <ErrorLine error/>
        <Show
            when=move || state.status.loaded.get() && state.session.with(|s| s.user().is_some())
            fallback=move || view! { <p class="loading" aria-busy="true">"Loading…"</p> }
        >
            {children()}
            <crate::pages::UnlockPrompt/>
        </Show>
    }
}

/// The signed-in user and a Sign out button, for the top bar. Signing out
/// deletes this browser's copy, so changes not synced yet ask first.
#[component]
pub fn Account() -> impl IntoView {
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let confirming = RwSignal::new(false);
    let sign_out = move |_| {
        if state.pending() && !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        confirming.set(false);
        let navigate = navigate.clone();
        spawn_local(async move {
            state.sign_out().await;
            navigate("/signin", Default::default());
        });
    };
    view! {
        <Show when=move || state.session.with(|s| s.user().is_some())>
            <span class="user">{move || state.session.with(|s| s.user().map(str::to_owned))}</span>
            <Show when=move || confirming.get()>
                <span class="sync-status" role="alert">"Changes not synced yet will be lost."</span>
            </Show>
            <button type="button" class="topbar-button" on:click=sign_out.clone()>
                {move || if confirming.get() { "Sign out anyway" } else { "Sign out" }}
            </button>
        </Show>
    }
}
