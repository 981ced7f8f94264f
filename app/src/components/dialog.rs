use leptos::{html, prelude::*};
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// What Tab can reach inside a dialog.
const FOCUSABLE: &str = "input:not([disabled]), textarea:not([disabled]), select:not([disabled]), \
                         button:not([disabled]), a[href], [tabindex]:not([tabindex=\"-1\"])";

/// A modal dialog with an accessible name (its title): it takes the focus
/// to its first field when it opens, keeps Tab and Shift+Tab inside
/// itself, closes on Escape, and gives the focus back to whatever opened
/// it when it closes (as WAI-ARIA's dialog pattern asks).
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
    let id = format!("dialog-{}", title.to_ascii_lowercase().replace(' ', "-"));
    let labelled_by = id.clone();
    let panel = NodeRef::<html::Div>::new();

    // The opener has the focus now, before the dialog takes it.
    let opener = SendWrapper::new(focused());
    on_cleanup(move || {
        // Still on the page (a dialog opened from another dialog's button
        // may have outlived its opener).
        if let Some(opener) = opener.take().filter(|e| e.is_connected()) {
            let _ = opener.focus();
        }
    });
    Effect::new(move |_| {
        if let Some(first) = panel.get().and_then(|p| focusables(&p).into_iter().next()) {
            let _ = first.focus();
        }
    });
    let on_keydown = move |event: web_sys::KeyboardEvent| match event.key().as_str() {
        "Escape" => on_cancel.run(()),
        "Tab" => {
            let Some(panel) = panel.get_untracked() else {
                return;
            };
            let all = focusables(&panel);
            let (Some(first), Some(last)) = (all.first(), all.last()) else {
                return;
            };
            let current = focused();
            let wrap_to = match (event.shift_key(), current.as_ref()) {
                (true, Some(now)) if now == first => Some(last),
                (false, Some(now)) if now == last => Some(first),
                // Focus somewhere outside (the page behind): back in.
                (_, now) if !now.is_some_and(|n| panel.contains(Some(n))) => Some(first),
                _ => None,
            };
            if let Some(target) = wrap_to {
                event.prevent_default();
                let _ = target.focus();
            }
        }
        _ => {}
    };
    view! {
        <div class="backdrop">
            <div
                class=if wide { "dialog wide" } else { "dialog" }
                role="dialog"
                aria-modal="true"
                aria-labelledby=labelled_by
                node_ref=panel
                on:keydown=on_keydown
            >
                <h2 id=id>{title}</h2>
                {children()}
            </div>
        </div>
    }
}

/// The element that has the focus, if any.
fn focused() -> Option<HtmlElement> {
    web_sys::window()?
        .document()?
        .active_element()?
        .dyn_into::<HtmlElement>()
        .ok()
}

/// The dialog's focusable elements, in document order.
fn focusables(panel: &web_sys::HtmlDivElement) -> Vec<HtmlElement> {
    let Ok(list) = panel.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
        .collect()
}
