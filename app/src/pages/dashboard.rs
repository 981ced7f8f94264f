use leptos::prelude::*;
use leptos_router::components::A;

/// `/`: the registered TrueNAS systems, and the way to the other screens.
#[component]
pub fn Dashboard() -> impl IntoView {
    view! {
        <h1>"Dashboard"</h1>
        <nav class="cards">
            <A href="/keyring" attr:class="card">"Keyring"</A>
            <A href="/credentials/backup" attr:class="card">"Backup Credentials"</A>
        </nav>
    }
}
