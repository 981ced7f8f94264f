use leptos::prelude::*;
use leptos_router::components::A;

/// `/keyring`: the systems and their encrypted API keys (seed 004).
#[component]
pub fn Keyring() -> impl IntoView {
    view! {
        <div class="page-header">
            <A href="/" attr:class="back" attr:aria-label="Back to Dashboard">
                <span class="material-icon" aria-hidden="true">"arrow_back_ios"</span>
            </A>
            <h1>"Keyring"</h1>
        </div>
    }
}
