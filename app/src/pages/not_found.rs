use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <h1>"Page not found"</h1>
        <p>"Nothing is at this address. " <A href="/">"Go to the dashboard"</A></p>
    }
}
