//! Live sync: an `EventSource` on `/api/v1/events` while signed in and
//! online. A change announced with a tag this browser doesn't hold makes it
//! pull at once (its own writes come back with the tag it already has).
//! The browser reconnects a dropped stream itself; a stream refused (its
//! session gone, too many open) is retried with back-off. The 30 s pull
//! stays as the fallback.

use std::time::Duration;

use leptos::prelude::*;
use serde::Deserialize;
use wasm_bindgen::{JsCast, prelude::Closure};
use web_sys::{EventSource, MessageEvent};

use keyhaven_core::{
    api::Tag,
    sync::live::{self, Held},
};

use crate::{state::AppState, sync::SyncKind};

const EVENTS: &str = "/api/v1/events";
const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
struct Changed {
    name: Option<String>,
    tag: Option<String>,
}

/// The open stream and its handlers (dropped together).
struct Open {
    source: EventSource,
    _on_changed: Closure<dyn Fn(MessageEvent)>,
    _on_ready: Closure<dyn Fn()>,
    _on_error: Closure<dyn Fn()>,
}

impl Drop for Open {
    fn drop(&mut self) {
        self.source.close();
    }
}

pub fn start(state: AppState) {
    let open = StoredValue::new_local(None::<Open>);
    let backoff = StoredValue::new(Duration::from_secs(1));
    // Bumped to reopen after a refused stream.
    let retry = RwSignal::new(0_u32);
    Effect::new(move |_| {
        retry.track();
        let wanted = state.status.loaded.get()
            && state.status.online.get()
            && state.session.with(|s| s.user().is_some());
        open.set_value(None);
        if wanted {
            open.set_value(connect(state, retry, backoff));
        }
    });
}

fn connect(state: AppState, retry: RwSignal<u32>, backoff: StoredValue<Duration>) -> Option<Open> {
    let source = EventSource::new(EVENTS).ok()?;
    let on_changed = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        backoff.set_value(Duration::from_secs(1));
        let Some(text) = event.data().as_string() else {
            return;
        };
        let Ok(changed) = serde_json::from_str::<Changed>(&text) else {
            return;
        };
        if is_news(state, &changed) {
            leptos::task::spawn_local(async move {
                let _ = state.sync(SyncKind::PullThenPush).await;
            });
        }
    });
    // Every "ready" after the first is a reconnection (a server restart, a
    // dropped proxy): what was announced meanwhile was missed, so pull.
    let connected_before = StoredValue::new(false);
    let on_ready = Closure::<dyn Fn()>::new(move || {
        backoff.set_value(Duration::from_secs(1));
        if connected_before.get_value() {
            leptos::task::spawn_local(async move {
                let _ = state.sync(SyncKind::PullThenPush).await;
            });
        }
        connected_before.set_value(true);
    });
    let watched = source.clone();
    let on_error = Closure::<dyn Fn()>::new(move || {
        // CONNECTING: the browser retries by itself. CLOSED: it gave up
        // (refused, or not an event stream): try again later.
        if watched.ready_state() == EventSource::CLOSED {
            let wait = backoff.get_value();
            backoff.set_value((wait * 2).min(MAX_BACKOFF));
            set_timeout(move || retry.update(|r| *r += 1), wait);
        }
    });
    let _ = source.add_event_listener_with_callback("changed", on_changed.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("ready", on_ready.as_ref().unchecked_ref());
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Some(Open {
        source,
        _on_changed: on_changed,
        _on_ready: on_ready,
        _on_error: on_error,
    })
}

/// Whether a change is one this browser doesn't have yet (core decides).
fn is_news(state: AppState, changed: &Changed) -> bool {
    let engine = state.engine();
    let replicas = engine.replicas();
    live::is_news(
        changed.name.as_deref(),
        changed.tag.as_deref(),
        Held {
            metadata: replicas.metadata.tag.as_ref().map(Tag::as_str),
            keyring: replicas.keyring.tag.as_ref().map(Tag::as_str),
        },
    )
}
