use leptos::prelude::*;

/// A form's buttons: Cancel (or Close) and its primary submit button,
/// disabled while `disabled` holds.
#[component]
pub fn FormActions(
    on_cancel: Callback<()>,
    /// The submit button's label (`Save`, `Ok`, `Authenticate`, ...).
    submit: &'static str,
    #[prop(into)] disabled: Signal<bool>,
    #[prop(default = "Cancel")] cancel: &'static str,
) -> impl IntoView {
    view! {
        <div class="actions">
            <button type="button" on:click=move |_| on_cancel.run(())>{cancel}</button>
            <button type="submit" class="primary" prop:disabled=move || disabled.get()>{submit}</button>
        </div>
    }
}
