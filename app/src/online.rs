//! Whether the browser has a network: `navigator.onLine`, kept current by
//! the window's `online`/`offline` events. Actions that need the network
//! are disabled with the reason while it is gone.

use leptos::prelude::*;

use crate::state::AppState;

pub fn start(state: AppState) {
    let Some(window) = web_sys::window() else {
        return;
    };
    state.status.online.set(window.navigator().on_line());
    for (event, value) in [("online", true), ("offline", false)] {
        // Listens as long as the page lives.
        let _ = window_event_listener_untyped(event, move |_| state.status.online.set(value));
    }
}
