mod passphrase;
mod unlock;

use passphrase::{ChangePassphrase, CreateKeyring};
// Not split off: a recovery code is shown once, and its dialog must not
// depend on a download that could fail.
pub use passphrase::{RecoveryCodeDialog, create_keyring};
pub use unlock::UnlockPrompt;

use futures::{StreamExt, stream};
use keyhaven_core::keyring::api_key_id;
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

use std::collections::HashMap;

use crate::{
    components::{Dialog, ErrorLine, Submit},
    lazy::split,
    listing::{Listing, PAGE_SIZE, Pager, SearchBox},
    not_connected::NotConnected,
    state::AppState,
    systems,
};

split! {
    /// `/keyring`, loaded when first opened.
    pub fn keyring_page() { view! { <KeyringPage/> } }
}

/// `/keyring`: the systems and their encrypted API keys (seed 004).
/// How many systems the Connected column checks at once: a fleet of
/// hundreds would otherwise open a connection to every one together.
const CHECKS_AT_ONCE: usize = 16;

#[component]
fn KeyringPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let creating = RwSignal::new(false);
    let resetting = RwSignal::new(false);
    let recovery = RwSignal::new(None::<String>);
    let changing = RwSignal::new(false);
    let has_keyring = move || state.vault.keyring.with(Option::is_some);
    // Connected: every stored key tried after unlock (at most
    // `CHECKS_AT_ONCE` systems at a time, each result shown as it comes),
    // and again
    // only when what a check depends on changes (a system's URL, user or
    // key; the lock; the network) — not on every edit elsewhere. A result
    // from an older round never lands over a newer one.
    let checks = RwSignal::new(HashMap::<String, Result<(), NotConnected>>::new());
    let to_check = Memo::new(move |_| {
        if !state.vault.unlocked.get() || !state.status.online.get() {
            return None;
        }
        // Read in place: the keyring of a fleet is megabytes.
        state.vault.keyring.with(|keyring| {
            let stored = |id: &str| {
                keyring
                    .as_ref()
                    .is_some_and(|k| k.contains(&api_key_id(id)))
            };
            Some(state.metadata.with(|m| {
                m.systems()
                    .filter(|(id, _)| stored(id))
                    .map(|(id, s)| {
                        (
                            id.to_owned(),
                            s.url.clone(),
                            s.api_username.clone(),
                            s.api_key_id,
                        )
                    })
                    .collect::<Vec<_>>()
            }))
        })
    });
    let round = StoredValue::new(0_u64);
    Effect::new(move |_| {
        round.update_value(|r| *r += 1);
        let this_round = round.get_value();
        checks.set(HashMap::new());
        // A newer round, or the screen closed (the round's value is gone
        // with it): what is not started yet is not checked.
        let current = move || round.try_get_value() == Some(this_round);
        // Offline there is nothing to check against (done again on return).
        let ids = to_check.get().unwrap_or_default().into_iter();
        let each = stream::iter(ids.map(|(id, ..)| id));
        spawn_local(
            each.for_each_concurrent(CHECKS_AT_ONCE, move |id| async move {
                if !current() {
                    return;
                }
                let outcome = systems::check(state, id.clone()).await;
                if current() {
                    checks.try_update(|c| c.insert(id, outcome));
                }
            }),
        );
    });
    // The systems the search matches, in name order, apart from their
    // Connected state: a check's result redraws one page's rows, it does
    // not sort the fleet again.
    let listing = Listing::new();
    let matching = listing.matching(
        move |search| {
            state.metadata.with(|m| {
                m.systems()
                    .filter(|(_, s)| search.matches(&[&s.name]))
                    .map(|(id, s)| (id.to_owned(), s.name.clone()))
                    .collect()
            })
        },
        |(_, name): &(String, String)| name,
    );
    let rows = move || {
        let unlocked = state.vault.unlocked.get();
        let online = state.status.online.get();
        let page = matching.with(|rows| listing.page_of(rows));
        // Read in place, not cloned: this runs at each Connected result,
        // and the keyring of a fleet is megabytes.
        state.vault.keyring.with(|keyring| {
            checks.with(|checks| {
                page.into_iter()
                    .map(|(id, name)| {
                        let stored = keyring
                            .as_ref()
                            .is_some_and(|k| k.contains(&api_key_id(&id)));
                        let connected = match (stored, unlocked, checks.get(&id)) {
                            (false, _, _) => "False (no key stored)".to_owned(),
                            (true, false, _) => "False (locked)".to_owned(),
                            (true, true, _) if !online => {
                                "Not checked (offline: checking needs the network)".to_owned()
                            }
                            (true, true, None) => "Checking…".to_owned(),
                            (true, true, Some(Ok(()))) => "True".to_owned(),
                            (true, true, Some(Err(reason))) => format!("False ({reason})"),
                        };
                        (name, if stored { "Stored" } else { "" }, connected)
                    })
                    .collect::<Vec<_>>()
            })
        })
    };
    view! {
        <div class="page-header">
            <A href="/" attr:class="back" attr:aria-label="Back to Dashboard">
                <span class="material-icon" aria-hidden="true">"arrow_back_ios"</span>
            </A>
            <h1>"Keyring"</h1>
            <div class="spacer"></div>
            <Show
                when=has_keyring
                fallback=move || view! {
                    <button type="button" class="primary" on:click=move |_| creating.set(true)>"Create Keyring"</button>
                }
            >
                <Show
                    when=move || state.vault.unlocked.get()
                    fallback=move || view! {
                        <button type="button" on:click=move |_| state.prompts.unlock_dismissed.set(false)>"Unlock"</button>
                    }
                >
                    <button type="button" on:click=move |_| changing.set(true)>"Change Passphrase"</button>
                    <button
                        type="button"
                        on:click=move |_| {
                            state.lock();
                            // Locked on purpose: don't ask for the passphrase right away.
                            state.prompts.unlock_dismissed.set(true);
                        }
                    >
                        "Lock"
                    </button>
                </Show>
                <button type="button" on:click=move |_| resetting.set(true)>"Reset"</button>
            </Show>
        </div>
        <p class="hint">
            {move || match (state.vault.keyring.with(|k| k.as_ref().map(|k| k.name().to_owned())), state.vault.unlocked.get()) {
                (None, _) => "No keyring yet. Create Keyring sets the passphrase that encrypts your systems' API keys.".to_owned(),
                (Some(name), true) => format!("Keyring \u{201c}{name}\u{201d} is unlocked."),
                (Some(name), false) => format!("Keyring \u{201c}{name}\u{201d} is locked."),
            }}
        </p>
        <Show when=move || state.prompts.auto_locked.get() && !state.vault.unlocked.get()>
            <p class="notice" role="status">"The keyring locked itself after the idle time; its key was wiped from memory."</p>
        </Show>
        <label class="inline">
            "Lock after"
            <select on:change=move |event| {
                if let Ok(minutes) = event_target_value(&event).parse() {
                    crate::autolock::set_minutes(minutes);
                }
            }>
                {crate::autolock::CHOICES
                    .iter()
                    .map(|&m| view! { <option value=m.to_string() selected=m == crate::autolock::minutes()>{format!("{m} minutes idle")}</option> })
                    .collect_view()}
            </select>
        </label>
        <section class="card">
            <Show when=move || state.metadata.with(|m| m.systems().nth(PAGE_SIZE).is_some())>
                <SearchBox listing label="Search systems"/>
            </Show>
            <table class="table">
                <thead>
                    <tr><th scope="col">"TrueNAS"</th><th scope="col">"Key"</th><th scope="col">"Connected"</th></tr>
                </thead>
                <tbody>
                    <For each=rows key=|row| row.clone() let:row>
                        <tr><td>{row.0}</td><td>{row.1}</td><td>{row.2}</td></tr>
                    </For>
                </tbody>
            </table>
            <Pager listing total=Signal::derive(move || matching.with(Vec::len)) label="Systems pages"/>
        </section>
        <Show when=move || creating.get()>
            <CreateKeyring close=Callback::new(move |code: Option<String>| {
                creating.set(false);
                recovery.set(code);
            })/>
        </Show>
        <Show when=move || recovery.get().is_some()>
            <RecoveryCodeDialog code=recovery/>
        </Show>
        <Show when=move || resetting.get()>
            <ResetKeyring close=Callback::new(move |()| resetting.set(false))/>
        </Show>
        <Show when=move || changing.get()>
            <ChangePassphrase close=Callback::new(move |code: Option<String>| {
                changing.set(false);
                recovery.set(code);
            })/>
        </Show>
    }
}

/// "Reset Keyring": the warning, Ok, Cancel.
#[component]
fn ResetKeyring(close: Callback<()>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let error = RwSignal::new(None::<String>);
    let reset = Submit::new(
        error,
        move |()| async move { state.reset_keyring().await },
        move |()| close.run(()),
    );
    let busy = reset.pending();
    let confirm = move |_| reset.run(());
    view! {
        <Dialog title="Reset Keyring" on_cancel=close>
            <p>
                "Resetting the keyring permanently removes its encryption keys from the database. Every TrueNAS system must then be authenticated again by hand, and keypairs lose their private halves. Your systems, public keys and connections stay."
            </p>
            <ErrorLine error/>
            <div class="actions">
                <button type="button" on:click=move |_| close.run(())>"Cancel"</button>
                <button type="button" class="danger" prop:disabled=move || busy.get() on:click=confirm>"Ok"</button>
            </div>
        </Dialog>
    }
}
