//! The TrueNAS release each system reported (`system.info`) at its last
//! login from this browser: shown on the dashboard, and what picks the
//! versioned endpoint the next connection opens. Kept in localStorage,
//! per browser: the server never sees or steers it, and learning it is no
//! edit of the shared document.

use std::collections::BTreeMap;

use keyhaven_core::truenas::{calls, version::Release};
use leptos::prelude::*;

use crate::net::truenas::TrueNasSession;

const STORAGE_KEY: &str = "keyhaven.truenas-releases";

thread_local! {
    static RELEASES: ArcRwSignal<BTreeMap<String, String>> = ArcRwSignal::new(load());
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn load() -> BTreeMap<String, String> {
    storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// The release last seen for a system, as TrueNAS wrote it (tracked).
pub fn shown(system_id: &str) -> Option<String> {
    RELEASES.with(|r| r.with(|map| map.get(system_id).cloned()))
}

/// The release to open a connection for (untracked).
pub fn release(system_id: &str) -> Option<Release> {
    RELEASES.with(|r| r.with_untracked(|map| map.get(system_id).and_then(|v| Release::parse(v))))
}

/// Asks a logged-in system its release and remembers it. A system that
/// won't say is simply not pinned: nothing depends on it but the endpoint.
pub async fn learn(system_id: &str, session: &TrueNasSession, timeout_ms: i32) {
    let Ok(info) = session.call(calls::system_info(), timeout_ms).await else {
        return;
    };
    let Some(version) = info["version"]
        .as_str()
        .filter(|v| Release::parse(v).is_some())
    else {
        return;
    };
    if RELEASES
        .with(|r| r.with_untracked(|map| map.get(system_id).map(String::as_str) == Some(version)))
    {
        return;
    }
    RELEASES.with(|r| {
        r.update(|map| {
            map.insert(system_id.to_owned(), version.to_owned());
        });
    });
    let text = RELEASES.with(|r| r.with_untracked(serde_json::to_string));
    if let (Some(storage), Ok(text)) = (storage(), text) {
        let _ = storage.set_item(STORAGE_KEY, &text);
    }
}
