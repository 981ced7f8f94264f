use keyhaven_core::keyring::{RecoveryCode, api_key_id};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_router::components::A;
use secrecy::SecretString;

use std::collections::HashMap;

use crate::{
    components::{Busy, Dialog, ErrorLine, FormActions, Submit},
    error::AppError,
    state::AppState,
    systems::{self, NotConnected},
};

/// `/keyring`: the systems and their encrypted API keys (seed 004).
#[component]
pub fn KeyringPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let creating = RwSignal::new(false);
    let resetting = RwSignal::new(false);
    let recovery = RwSignal::new(None::<String>);
    let changing = RwSignal::new(false);
    let has_keyring = move || state.vault.keyring.with(Option::is_some);
    // Connected: every stored key tried at once after unlock, and again
    // only when what a check depends on changes (a system's URL, user or
    // key; the lock; the network) — not on every edit elsewhere. A result
    // from an older round never lands over a newer one.
    let checks = RwSignal::new(HashMap::<String, Result<(), NotConnected>>::new());
    let to_check = Memo::new(move |_| {
        if !state.vault.unlocked.get() || !state.status.online.get() {
            return None;
        }
        let keyring = state.vault.keyring.get();
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
    });
    let round = StoredValue::new(0_u64);
    Effect::new(move |_| {
        round.update_value(|r| *r += 1);
        let this_round = round.get_value();
        checks.set(HashMap::new());
        // Offline there is nothing to check against (done again on return).
        for (id, ..) in to_check.get().unwrap_or_default() {
            spawn_local(async move {
                let outcome = systems::check(state, id.clone()).await;
                if round.try_get_value() == Some(this_round) {
                    checks.try_update(|c| c.insert(id, outcome));
                }
            });
        }
    });
    let rows = move || {
        let keyring = state.vault.keyring.get();
        let unlocked = state.vault.unlocked.get();
        let online = state.status.online.get();
        let checks = checks.get();
        let mut rows: Vec<(String, &'static str, String)> = state
            .metadata
            .get()
            .systems()
            .map(|(id, system)| {
                let stored = keyring
                    .as_ref()
                    .is_some_and(|k| k.contains(&api_key_id(id)));
                let connected = match (stored, unlocked, checks.get(id)) {
                    (false, _, _) => "False (no key stored)".to_owned(),
                    (true, false, _) => "False (locked)".to_owned(),
                    (true, true, _) if !online => {
                        "Not checked (offline: checking needs the network)".to_owned()
                    }
                    (true, true, None) => "Checking…".to_owned(),
                    (true, true, Some(Ok(()))) => "True".to_owned(),
                    (true, true, Some(Err(reason))) => format!("False ({reason})"),
                };
                (
                    system.name.clone(),
                    if stored { "Stored" } else { "" },
                    connected,
                )
            })
            .collect();
        rows.sort_by_key(|(name, ..)| name.to_lowercase());
        rows
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
            {move || match (state.vault.keyring.get().map(|k| k.name().to_owned()), state.vault.unlocked.get()) {
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

/// "Change Passphrase": a new passphrase and a new data key (every stored
/// key re-encrypted, the old passphrase and recovery code spent); closes
/// with the new recovery code.
#[component]
fn ChangePassphrase(close: Callback<Option<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let passphrase = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let change = Submit::new(
        error,
        move |()| async move {
            let secret = SecretString::from(passphrase.get_untracked());
            state.change_passphrase(secret).await
        },
        move |code: RecoveryCode| close.run(Some(code.expose().to_owned())),
    );
    let busy = change.pending();
    let ready =
        move || !busy.get() && !passphrase.get().is_empty() && passphrase.get() == confirm.get();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if ready() {
            change.run(());
        }
    };
    view! {
        <Dialog title="Change Passphrase" on_cancel=Callback::new(move |()| close.run(None))>
            <form on:submit=submit>
                <label>"New Passphrase" <input type="password" autocomplete="new-password" required bind:value=passphrase/></label>
                <label>"Confirm" <input type="password" autocomplete="new-password" required bind:value=confirm/></label>
                <Busy when=busy label="Changing the passphrase"/>
                <ErrorLine error/>
                <FormActions on_cancel=Callback::new(move |()| close.run(None)) submit="Ok" disabled=Signal::derive(move || !ready())/>
            </form>
        </Dialog>
    }
}

/// "Create Keyring Passphrase": Name, Passphrase, Confirm; Ok stays disabled
/// until all are filled and the passphrases match.
#[component]
pub fn CreateKeyring(close: Callback<Option<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    crate::kdf::warm_up();
    let name = RwSignal::new(String::new());
    let passphrase = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let create = Submit::new(
        error,
        move |()| async move {
            let secret = SecretString::from(passphrase.get_untracked());
            state.create_keyring(&name.get_untracked(), secret).await
        },
        move |code: RecoveryCode| {
            passphrase.set(String::new());
            confirm.set(String::new());
            close.run(Some(code.expose().to_owned()));
        },
    );
    let busy = create.pending();
    let ready = move || {
        !busy.get()
            && !name.get().trim().is_empty()
            && !passphrase.get().is_empty()
            && passphrase.get() == confirm.get()
    };
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if ready() {
            create.run(());
        }
    };
    view! {
        <Dialog title="Create Keyring Passphrase" on_cancel=Callback::new(move |()| close.run(None))>
            <p>
                "The keyring gives quick authentication to your TrueNAS servers: Keyhaven creates an API key on each one and encrypts it in this browser with your passphrase. Your TrueNAS user credentials are not stored."
            </p>
            <p class="hint">"Use a passphrase different from your TrueNAS user password."</p>
            <form on:submit=submit>
                <label>"Name" <input type="text" required bind:value=name/></label>
                <label>"Passphrase" <input type="password" autocomplete="new-password" required bind:value=passphrase/></label>
                <label>"Confirm" <input type="password" autocomplete="new-password" required bind:value=confirm/></label>
                <Show when=move || !confirm.get().is_empty() && confirm.get() != passphrase.get()>
                    <p class="field-error">"The passphrases do not match."</p>
                </Show>
                <Busy when=busy label="Creating the keyring"/>
                <ErrorLine error/>
                <FormActions on_cancel=Callback::new(move |()| close.run(None)) submit="Ok" disabled=Signal::derive(move || !ready())/>
            </form>
        </Dialog>
    }
}

/// The recovery code, shown once after the keyring is created.
#[component]
pub fn RecoveryCodeDialog(code: RwSignal<Option<String>>) -> impl IntoView {
    let done = Callback::new(move |()| code.set(None));
    let download = move |_| {
        if let Some(text) = code.get_untracked() {
            crate::download::text_file(
                "keyhaven-recovery-code.txt",
                &format!(
                    "Keyhaven keyring recovery code\n\n{text}\n\nIt unlocks your keyring if you forget its passphrase. Keep it safe.\n"
                ),
            );
        }
    };
    view! {
        <Dialog title="Recovery Code" on_cancel=done>
            <p>
                "Write this code down or download it, and keep it somewhere safe. It unlocks the keyring if you forget the passphrase. It is shown only this once."
            </p>
            <p class="recovery-code" aria-label="Recovery code">{move || code.get()}</p>
            <div class="actions">
                <button type="button" on:click=download>"Download"</button>
                <button type="button" class="primary" on:click=move |_| done.run(())>"Done"</button>
            </div>
        </Dialog>
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

/// "Unlock Keyring": shown after sign-in when the account has a keyring.
#[component]
pub fn UnlockPrompt() -> impl IntoView {
    let state = expect_context::<AppState>();
    let passphrase = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let recovering = RwSignal::new(false);
    // The new recovery code a recovery issues (the used one is spent).
    let recovered = RwSignal::new(None::<String>);
    let code = RwSignal::new(String::new());
    let new_passphrase = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let open = move || {
        state.vault.keyring.with(Option::is_some)
            && !state.vault.unlocked.get()
            && !state.prompts.unlock_dismissed.get()
    };
    Effect::new(move |_| {
        if open() {
            crate::kdf::warm_up();
        }
    });
    let cancel = Callback::new(move |()| state.prompts.unlock_dismissed.set(true));
    let unlock = Submit::new(
        error,
        move |()| async move {
            if !recovering.get_untracked() {
                return state
                    .unlock(SecretString::from(passphrase.get_untracked()))
                    .await;
            }
            let new = new_passphrase.get_untracked();
            if new.is_empty() || new != confirm.get_untracked() {
                return Err(AppError::PassphrasesDiffer);
            }
            let fresh = state
                .recover(&code.get_untracked(), SecretString::from(new))
                .await?;
            recovered.set(Some(fresh.expose().to_owned()));
            Ok(())
        },
        move |()| {
            for field in [passphrase, code, new_passphrase, confirm] {
                field.set(String::new());
            }
            recovering.set(false);
        },
    );
    let busy = unlock.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if recovering.get_untracked() || !passphrase.get_untracked().is_empty() {
            unlock.run(());
        }
    };
    view! {
        <Show when=open>
            <Dialog title="Unlock Keyring" on_cancel=cancel>
                <Show when=move || state.prompts.auto_locked.get()>
                    <p class="notice">"The keyring locked itself after the idle time."</p>
                </Show>
                <p>"Enter the keyring passphrase to unlock API access to every system it covers."</p>
                <form on:submit=submit>
                    <Show
                        when=move || recovering.get()
                        fallback=move || view! {
                            <label>"Passphrase" <input type="password" autocomplete="current-password" required bind:value=passphrase/></label>
                        }
                    >
                        <label>"Recovery Code" <input type="text" autocomplete="off" spellcheck="false" required bind:value=code/></label>
                        <label>"New Passphrase" <input type="password" autocomplete="new-password" required bind:value=new_passphrase/></label>
                        <label>"Confirm" <input type="password" autocomplete="new-password" required bind:value=confirm/></label>
                    </Show>
                    <Busy when=busy label="Unlocking"/>
                    <ErrorLine error/>
                    <FormActions on_cancel=cancel submit="OK" disabled=Signal::derive(move || busy.get() || (!recovering.get() && passphrase.get().is_empty()))/>
                    <p class="switch">
                        <button
                            type="button"
                            class="link"
                            on:click=move |_| {
                                recovering.update(|r| *r = !*r);
                                error.set(None);
                            }
                        >
                            {move || if recovering.get() { "Unlock with the passphrase" } else { "Unlock with recovery code" }}
                        </button>
                    </p>
                </form>
            </Dialog>
        </Show>
        <Show when=move || recovered.get().is_some()>
            <RecoveryCodeDialog code=recovered/>
        </Show>
    }
}
