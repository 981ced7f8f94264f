//! The TrueNAS release each system reported (`system.info`) at its last
//! login from this browser: shown on the dashboard, and what picks the
//! versioned endpoint the next connection opens. Kept in localStorage,
//! per browser: the server never sees or steers it, and learning it is no
//! edit of the shared document.
//!
//! Stored and held as plain text, one `system-id version` a line: a map
//! type would add its code (and a signal of a new type) to the first load.

use keyhaven_core::truenas::{calls, version::Release};
use leptos::prelude::*;

use crate::net::truenas::TrueNasSession;

const STORAGE_KEY: &str = "keyhaven.truenas-releases";

thread_local! {
    static RELEASES: ArcRwSignal<String> = ArcRwSignal::new(
        storage()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .unwrap_or_default(),
    );
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The version on `system_id`'s line.
fn lookup<'a>(text: &'a str, system_id: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|line| line.strip_prefix(system_id)?.strip_prefix(' '))
}

/// The release last seen for a system, as TrueNAS wrote it (tracked).
pub fn shown(system_id: &str) -> Option<String> {
    RELEASES.with(|r| r.with(|text| lookup(text, system_id).map(str::to_owned)))
}

/// The release to open a connection for (untracked).
pub fn release(system_id: &str) -> Option<Release> {
    RELEASES.with(|r| r.with_untracked(|text| lookup(text, system_id).and_then(Release::parse)))
}

/// Asks a logged-in system its release and remembers it. A system that
/// won't say is simply not pinned: nothing depends on it but the endpoint.
pub async fn learn(system_id: &str, session: &TrueNasSession, timeout_ms: i32) {
    let Ok(info) = session.call(calls::system_info(), timeout_ms).await else {
        return;
    };
    // One word: it is stored one system a line.
    let Some(version) = info["version"]
        .as_str()
        .filter(|v| Release::parse(v).is_some() && !v.contains(char::is_whitespace))
    else {
        return;
    };
    let Some(text) = RELEASES.with(|r| {
        r.with_untracked(|text| {
            (lookup(text, system_id) != Some(version)).then(|| {
                let mut lines: String = text
                    .lines()
                    .filter(|line| lookup(line, system_id).is_none())
                    .map(|line| format!("{line}\n"))
                    .collect();
                lines.push_str(&format!("{system_id} {version}\n"));
                lines
            })
        })
    }) else {
        return;
    };
    if let Some(storage) = storage() {
        let _ = storage.set_item(STORAGE_KEY, &text);
    }
    RELEASES.with(|r| r.set(text));
}
