use leptos::prelude::*;

/// The error a form or screen shows, announced to screen readers.
#[component]
pub fn ErrorLine(error: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || error.with(Option::is_some)>
            <p class="error" role="alert">{move || error.get()}</p>
        </Show>
    }
}

/// Progress for long work (key derivation, a TrueNAS login): a labelled
/// indeterminate bar and a sentence, while `when` holds.
#[component]
pub fn Busy(#[prop(into)] when: Signal<bool>, label: &'static str) -> impl IntoView {
    view! {
        <Show when=move || when.get()>
            <p class="progress" role="status">
                <progress aria-label=label></progress>
                " " {label} "…"
            </p>
        </Show>
    }
}

/// "One-Time Password (if necessary)", shown once a system asked for it.
#[component]
pub fn OtpField(when: RwSignal<bool>, otp: RwSignal<String>) -> impl IntoView {
    view! {
        <Show when=move || when.get()>
            <label>
                "One-Time Password (if necessary)"
                <input type="text" inputmode="numeric" autocomplete="one-time-code" bind:value=otp/>
            </label>
        </Show>
    }
}
