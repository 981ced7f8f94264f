//! Keyhaven's browser app: every screen, the shared state and its sync with
//! the server, and (in later modules) the crypto worker and the TrueNAS API
//! client.

// Leptos's `#[component]` doesn't take a restricted visibility cleanly, and
// every screen is a component: inside this crate `pub` means the crate.
#![allow(unreachable_pub)]

mod autolock;
mod components;
mod connections;
mod download;
mod error;
mod kdf;
mod keychain;
mod keypairs;
mod labels;
mod lazy;
mod listing;
mod live;
pub mod names;
mod net;
mod not_connected;
mod online;
mod pages;
mod saved;
mod session;
mod state;
mod sync;
mod systems;
mod tabs;
mod trust;
mod untrusted;
mod versions;
pub mod worker;

pub use error::AppError;

use leptos::prelude::*;
use leptos_router::{
    components::{A, Route, Router, Routes},
    path,
};

use session::{Account, Protected};
use state::AppState;

/// The whole app: the top bar and one route per screen. Routes are real URLs,
/// so deep links and reloads land on the same screen.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    // Parts on their own, for views that only read one concern (the sync
    // status); a view that runs commands takes the whole state.
    provide_context(state.status);
    provide_context(state.prompts);
    autolock::start(state);
    online::start(state);
    state::start_syncing(state);
    live::start(state);
    view! {
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">
                    <img src="/icon.svg" alt="" width="28" height="28"/>
                    <span>"Keyhaven"</span>
                </A>
                <div class="spacer"></div>
                <components::SyncStatus/>
                <Account/>
            </header>
            <main class="page">
                <components::Banners/>
                <Routes fallback=pages::NotFoundPage>
                    <Route path=path!("/signin") view=pages::SignInPage/>
                    <Route path=path!("/") view=|| view! { <Protected><pages::DashboardPage/></Protected> }/>
                    // Split off (`lazy`): loaded when first opened.
                    <Route path=path!("/keyring") view=|| view! { <Protected>{lazy::page(pages::keyring_page())}</Protected> }/>
                    <Route
                        path=path!("/credentials/backup")
                        view=|| view! { <Protected>{lazy::page(pages::backup_credentials_page())}</Protected> }
                    />
                </Routes>
            </main>
        </Router>
    }
}
