//! Keyhaven's browser app: every screen, and (in later modules) browser
//! storage, sync, the TrueNAS API client and the crypto worker.

mod pages;

use leptos::prelude::*;
use leptos_router::{
    components::{A, Route, Router, Routes},
    path,
};

/// The whole app: the top bar and one route per screen. Routes are real URLs,
/// so deep links and reloads land on the same screen.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">
                    <img src="/icon.svg" alt="" width="28" height="28"/>
                    <span>"Keyhaven"</span>
                </A>
            </header>
            <main class="page">
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/") view=pages::Dashboard/>
                    <Route path=path!("/signin") view=pages::SignIn/>
                    <Route path=path!("/keyring") view=pages::Keyring/>
                    <Route path=path!("/credentials/backup") view=pages::BackupCredentials/>
                </Routes>
            </main>
        </Router>
    }
}
