//! Whether the browser has a network: `navigator.onLine`, kept current by
//! the window's `online`/`offline` events. Actions that need the network
//! are disabled with the reason while it is gone.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, prelude::Closure};

use crate::state::AppState;

pub fn start(state: AppState) {
    let Some(window) = web_sys::window() else {
        return;
    };
    state.online.set(window.navigator().on_line());
    for (event, value) in [("online", true), ("offline", false)] {
        let handler = Closure::<dyn Fn()>::new(move || state.online.set(value));
        let _ = window.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
        // Lives as long as the page.
        handler.forget();
    }
}
