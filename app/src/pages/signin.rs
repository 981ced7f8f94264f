use keyhaven_core::api::Credentials;
use leptos::{ev::SubmitEvent, prelude::*};
use leptos_router::hooks::use_navigate;

use crate::{
    components::{ErrorLine, Submit},
    net::api,
    state::AppState,
};

/// `/signin`: sign in to this Keyhaven server, or create an account.
#[component]
pub fn SignInPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let creating = RwSignal::new(false);
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();

    let mismatch =
        move || creating.get() && !confirm.get().is_empty() && confirm.get() != password.get();
    let ready = move || {
        !username.get().trim().is_empty()
            && !password.get().is_empty()
            && (!creating.get() || confirm.get() == password.get())
    };

    let sign_in = Submit::new(
        error,
        move |credentials: Credentials| async move {
            if creating.get_untracked() {
                api::create_account(&credentials).await?;
            } else {
                api::sign_in(&credentials).await?;
            }
            Ok(credentials.username.trim().to_ascii_lowercase())
        },
        move |user: String| {
            password.set(String::new());
            confirm.set(String::new());
            state.signed_in(Some(user));
            navigate("/", Default::default());
        },
    );
    let busy = sign_in.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if ready() {
            sign_in.run(Credentials {
                username: username.get_untracked().trim().to_owned(),
                password: password.get_untracked(),
            });
        }
    };

    view! {
        <section class="auth">
            <h1>{move || if creating.get() { "Create account" } else { "Sign in" }}</h1>
            <p class="hint">
                "Your account on this Keyhaven server stores your systems and your keyring, encrypted in this browser before they leave it."
            </p>
            <form on:submit=submit>
                <label>
                    "User name"
                    <input type="text" autocomplete="username" required bind:value=username/>
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        required
                        autocomplete=move || if creating.get() { "new-password" } else { "current-password" }
                        bind:value=password
                    />
                </label>
                <Show when=move || creating.get()>
                    <label>
                        "Confirm password"
                        <input type="password" autocomplete="new-password" required bind:value=confirm/>
                    </label>
                    <Show when=mismatch>
                        <p class="field-error">"The passwords do not match."</p>
                    </Show>
                </Show>
                <ErrorLine error/>
                <div class="actions">
                    <button type="submit" class="primary" prop:disabled=move || busy.get() || !ready()>
                        {move || match (creating.get(), busy.get()) {
                            (_, true) => "Please wait…",
                            (true, false) => "Create account",
                            (false, false) => "Sign in",
                        }}
                    </button>
                </div>
            </form>
            <p class="switch">
                {move || if creating.get() { "Already have an account? " } else { "New here? " }}
                <button
                    type="button"
                    class="link"
                    on:click=move |_| {
                        creating.update(|c| *c = !*c);
                        error.set(None);
                    }
                >
                    {move || if creating.get() { "Sign in" } else { "Create account" }}
                </button>
            </p>
        </section>
    }
}
