use leptos::prelude::*;

/// `/signin`: sign in to this Keyhaven server, or create an account.
#[component]
pub fn SignIn() -> impl IntoView {
    view! { <h1>"Sign in"</h1> }
}
