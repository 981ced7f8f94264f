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

/// "One-Time Password (if necessary)": shown while `when` holds (once a
/// system asked for it), or always when `when` is not given (seed 000's
/// Semi-automatic form lists it up front).
#[component]
pub fn OtpField(
    #[prop(optional)] when: Option<RwSignal<bool>>,
    otp: RwSignal<String>,
) -> impl IntoView {
    view! {
        <Show when=move || when.is_none_or(|w| w.get())>
            <label>
                "One-Time Password (if necessary)"
                <input type="text" inputmode="numeric" autocomplete="one-time-code" bind:value=otp/>
            </label>
        </Show>
    }
}
