//! Auto-lock: after a stretch without a key press or a click (default 15
//! minutes, chosen on the Keyring screen and kept in this browser), the
//! keyring locks and its key is wiped from memory.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, prelude::Closure};

use crate::state::{AppState, now_ms};

pub const CHOICES: [u32; 4] = [5, 15, 30, 60];
const DEFAULT_MINUTES: u32 = 15;
const SETTING: &str = "keyhaven.autolock_minutes";
const CHECK_EVERY_MS: i32 = 15_000;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

pub fn minutes() -> u32 {
    storage()
        .and_then(|s| s.get_item(SETTING).ok().flatten())
        .and_then(|v| v.parse().ok())
        .filter(|m| CHOICES.contains(m))
        .unwrap_or(DEFAULT_MINUTES)
}

pub fn set_minutes(minutes: u32) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(SETTING, &minutes.to_string());
    }
}

/// Watches for activity and locks the keyring when idle too long.
pub fn start(state: AppState) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let last_activity = StoredValue::new(now_ms());
    for event in ["keydown", "pointerdown"] {
        let _ = window_event_listener_untyped(event, move |_| last_activity.set_value(now_ms()));
    }
    let check = Closure::<dyn Fn()>::new(move || {
        let idle_ms = now_ms().saturating_sub(last_activity.get_value());
        if state.vault.unlocked.get_untracked() && idle_ms >= u64::from(minutes()) * 60_000 {
            state.lock();
            state.prompts.auto_locked.set(true);
        }
    });
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
        check.as_ref().unchecked_ref(),
        CHECK_EVERY_MS,
    );
    check.forget();
}
