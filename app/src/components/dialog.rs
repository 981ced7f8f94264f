use leptos::{html, prelude::*};

/// A modal dialog with an accessible name (its title), that closes on
/// Escape, and that puts the focus on its first field when it opens.
#[component]
pub fn Dialog(
    /// The heading, also the dialog's accessible name.
    title: &'static str,
    /// Called on Escape (the dialog's Cancel).
    on_cancel: Callback<()>,
    /// Room for long forms (key fields).
    #[prop(optional)]
    wide: bool,
    children: Children,
) -> impl IntoView {
    let id = format!("dialog-{}", title.to_lowercase().replace(' ', "-"));
    let labelled_by = id.clone();
    let panel = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        if let Some(panel) = panel.get() {
            let first = panel
                .query_selector("input:not([disabled]), textarea, select, button")
                .ok()
                .flatten();
            if let Some(element) =
                first.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = element.focus();
            }
        }
    });
    view! {
        <div class="backdrop">
            <div
                class=if wide { "dialog wide" } else { "dialog" }
                role="dialog"
                aria-modal="true"
                aria-labelledby=labelled_by
                node_ref=panel
                on:keydown=move |event| {
                    if event.key() == "Escape" {
                        on_cancel.run(());
                    }
                }
            >
                <h2 id=id>{title}</h2>
                {children()}
            </div>
        </div>
    }
}
