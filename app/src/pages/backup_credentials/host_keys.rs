//! The host keys a connection form lists: each key's type and SHA256
//! fingerprint, and the side-by-side comparison when the remote's keys
//! changed.

use keyhaven_core::{
    api::HostKey,
    ssh::{self, parse_host_keys},
};
use leptos::prelude::*;

/// A host key as the form lists it: type and fingerprint.
#[derive(Clone, PartialEq)]
pub struct Shown {
    label: String,
    fingerprint: String,
}

pub fn shown(text: &str) -> Vec<Shown> {
    parse_host_keys(text)
        .map(|keys| {
            keys.iter()
                .map(|k| Shown {
                    label: ssh::describe(k),
                    fingerprint: ssh::fingerprint_sha256(k),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The field's host keys, each with its fingerprint, to compare with the
/// remote's (`ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub` there).
#[component]
pub fn HostKeyList(keys: Signal<Vec<Shown>>, label: &'static str) -> impl IntoView {
    view! {
        <Show when=move || keys.with(|k| !k.is_empty())>
            <ul class="host-keys" aria-label=label>
                <For each=move || keys.get() key=|k| k.fingerprint.clone() let:key>
                    <li><span>{key.label}</span> " " <code>{key.fingerprint}</code></li>
                </For>
            </ul>
        </Show>
    }
}

/// The remote offers other host keys than the stored ones: show both and
/// replace only on the user's word.
#[component]
pub fn HostKeyChanged(
    before: RwSignal<String>,
    changed: RwSignal<Option<Vec<HostKey>>>,
) -> impl IntoView {
    let stored = Signal::derive(move || shown(&before.get()));
    let found = Signal::derive(move || {
        changed
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|k| Shown {
                label: ssh::parse_public_key(&k.public_key)
                    .map(|p| ssh::describe(&p))
                    .unwrap_or(k.algorithm),
                fingerprint: k.fingerprint,
            })
            .collect()
    });
    let replace = move |_| {
        if let Some(keys) = changed.get_untracked() {
            before.set(
                keys.iter()
                    .map(|k| k.public_key.clone())
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        changed.set(None);
    };
    view! {
        <div class="host-key-changed" role="alert">
            <p>
                <strong>"The remote host key changed."</strong>
                " If the remote system was not reinstalled and its keys were not regenerated, someone may be impersonating it. Compare the fingerprints with the remote's before replacing."
            </p>
            <div class="side-by-side">
                <div><h3>"Stored"</h3><HostKeyList keys=stored label="Stored host keys"/></div>
                <div><h3>"Discovered"</h3><HostKeyList keys=found label="Discovered host keys"/></div>
            </div>
            <div class="actions">
                <button type="button" on:click=move |_| changed.set(None)>"Keep Stored Key"</button>
                <button type="button" class="danger" on:click=replace>"Replace Remote Host Key"</button>
            </div>
        </div>
    }
}
