//! Where each credential lives: the "Credentials on" scope (Keyhaven, or a
//! system of the keyring), and for each Keyhaven keypair and connection the
//! systems that hold it, read from their keychains.

use std::rc::Rc;

use futures::{StreamExt, stream};
use keyhaven_core::{
    keyring::api_key_id,
    model::Connection,
    truenas::keychain::{Keychain, differences},
};
use leptos::prelude::*;

use crate::{keychain::OnSystem, state::AppState};

/// The systems whose API key the keyring holds: (id, name), by name.
fn stored_systems(state: AppState) -> Memo<Vec<(String, String)>> {
    Memo::new(move |_| {
        let list: Vec<(String, String)> = state.vault.keyring.with(|keyring| {
            state.metadata.with(|m| {
                m.systems()
                    .filter(|(id, _)| {
                        keyring
                            .as_ref()
                            .is_some_and(|k| k.contains(&api_key_id(id)))
                    })
                    .map(|(id, s)| (id.to_owned(), s.name.clone()))
                    .collect()
            })
        });
        crate::names::by_name(list, |(_, n)| n)
    })
}

/// How many systems' keychains are read at once.
const AT_ONCE: usize = 16;

/// The systems' keychains, read while the keyring is unlocked and the
/// browser online (again when the systems change, or on `reload`).
#[derive(Clone, Copy)]
pub struct Placements {
    found: LocalResource<Vec<(String, Rc<Keychain>)>>,
    round: RwSignal<u32>,
}

impl Placements {
    pub fn new(state: AppState) -> Self {
        let round = RwSignal::new(0_u32);
        let systems = stored_systems(state);
        let found = LocalResource::new(move || {
            round.track();
            let ready = state.vault.unlocked.get() && state.status.online.get();
            let systems = systems.get();
            async move {
                if !ready {
                    return Vec::new();
                }
                // At most `AT_ONCE` systems at a time, as the Keyring
                // screen's Connected checks: a fleet of hundreds would
                // otherwise open a connection to every one together.
                stream::iter(systems)
                    .map(|(id, name)| async move {
                        let keychain = OnSystem::open(state, &id)
                            .await
                            .ok()?
                            .keychain()
                            .await
                            .ok()?;
                        Some((name, Rc::new(keychain)))
                    })
                    .buffered(AT_ONCE)
                    .filter_map(std::future::ready)
                    .collect()
                    .await
            }
        });
        Self { found, round }
    }

    pub fn reload(&self) {
        self.round.update(|r| *r += 1);
    }

    /// "On nasA, nasB": the systems holding this public key.
    pub fn of_keypair(&self, public_key: &str) -> String {
        let found = self.found.get().unwrap_or_default();
        let names: Vec<&str> = found
            .iter()
            .filter(|(_, k)| k.keypair_with_public(public_key).is_some())
            .map(|(name, _)| name.as_str())
            .collect();
        on(&names)
    }

    /// "On nasA (Port differs)": the systems with a connection of this
    /// name, and what differs from Keyhaven's there.
    pub fn of_connection(&self, connection: &Connection) -> String {
        let found = self.found.get().unwrap_or_default();
        let places: Vec<String> = found
            .iter()
            .filter_map(|(name, k)| {
                let there = k.connections.iter().find(|c| c.name == connection.name)?;
                let differ = differences(connection, there);
                Some(if differ.is_empty() {
                    name.clone()
                } else {
                    format!("{name} ({} differs)", differ.join(", "))
                })
            })
            .collect();
        on(&places.iter().map(String::as_str).collect::<Vec<_>>())
    }
}

fn on(names: &[&str]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!("On {}", names.join(", "))
    }
}

/// "Credentials on": Keyhaven, or a system of the keyring. The systems are
/// disabled, with the reason, while the keyring is locked or the browser
/// offline; nothing is queued against a system.
#[component]
pub fn Scope(scope: RwSignal<Option<String>>, notice: RwSignal<Option<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let systems = stored_systems(state);
    let ready = move || state.vault.unlocked.get() && state.status.online.get();
    let reason = move || {
        if !state.status.online.get() {
            "Offline: a system's own credentials need the network."
        } else {
            "Unlock the keyring to manage the systems' own credentials."
        }
    };
    Effect::new(move |_| {
        if !ready() && scope.with_untracked(Option::is_some) {
            scope.set(None);
        }
    });
    view! {
        <label class="scope">
            "Credentials on"
            <select prop:value=move || scope.get().unwrap_or_default() on:change=move |ev| {
                let value = event_target_value(&ev);
                notice.set(None);
                scope.set((!value.is_empty()).then_some(value));
            }>
                <option value="" selected=move || scope.with(Option::is_none)>"Keyhaven"</option>
                // Plain options, drawn again as a whole when the systems or
                // `ready` change: a fleet of 1,000 would otherwise make
                // 2,000 reactive attributes the screen's first render waits on.
                {move || {
                    let disabled = !ready();
                    systems.with(|systems| {
                        systems
                            .iter()
                            .map(|(id, name)| {
                                let selected = scope.with_untracked(|s| s.as_deref() == Some(id.as_str()));
                                view! { <option value=id.clone() disabled=disabled selected=selected>{name.clone()}</option> }
                            })
                            .collect_view()
                    })
                }}
            </select>
        </label>
        <Show when=move || !ready() && !systems.with(Vec::is_empty)>
            <span class="hint">{reason}</span>
        </Show>
    }
}
