//! What the user is told when the server's copy can't be trusted: the
//! keyring on the server differs from this browser's (missing, older,
//! damaged, replaced), or a metadata item changed outside the keyring.
//! Each notice says what the server has and offers the choices.

use keyhaven_core::{
    model::{Finding, Trust},
    sync::Conflict,
};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use secrecy::SecretString;

use super::{Busy, Dialog, ErrorLine, FormActions, Submit};
use crate::{labels, state::AppState};

/// The keyring conflict, with Restore from this browser / Use the server's
/// copy / Unlock the server's keyring.
#[component]
pub fn KeyringConflictNotice() -> impl IntoView {
    let state = expect_context::<AppState>();
    let error = RwSignal::new(None::<String>);
    let restoring = Submit::new(
        error,
        move |()| async move { state.restore_keyring().await },
        |()| {},
    );
    let busy = restoring.pending();
    let restore = move |_| restoring.run(());
    let adopt = move |_| {
        spawn_local(async move { state.adopt_server_keyring().await });
    };
    // Locked, the Unlock Keyring prompt tries the server's copy too;
    // unlocked, its own dialog carries this browser's changes over.
    let asking = RwSignal::new(false);
    let unlock_theirs = move |_| {
        if state.vault.unlocked.get_untracked() {
            asking.set(true);
        } else {
            state.prompts.unlock_dismissed.set(false);
        }
    };
    move || {
        let conflict = state.vault.conflict.get()?;
        let title = match conflict.conflict {
            Conflict::Older { .. } => "Possible rollback: ",
            Conflict::Missing => "Keyring missing on the server: ",
            Conflict::Unreadable => "Keyring damaged on the server: ",
            Conflict::Replaced => "Keyring replaced on the server: ",
        };
        let have_copy = state.vault.keyring.with(Option::is_some);
        let replaced = conflict.conflict == Conflict::Replaced;
        Some(view! {
            <div class="banner warning" role="alert">
                <p><strong>{title}</strong>{conflict.conflict.message()}</p>
                <p class="actions">
                    <Show when=move || have_copy>
                        <button type="button" disabled=move || busy.get() on:click=restore>
                            "Restore from this browser"
                        </button>
                    </Show>
                    <Show when=move || conflict.conflict.can_adopt()>
                        <button type="button" on:click=adopt>"Use the server's copy"</button>
                    </Show>
                    <Show when=move || replaced>
                        <button type="button" on:click=unlock_theirs>"Unlock the server's keyring"</button>
                    </Show>
                </p>
                {move || error.get().map(|e| view! { <p>{e}</p> })}
                <Show when=move || asking.get()>
                    <UnlockServerKeyring close=Callback::new(move |()| asking.set(false))/>
                </Show>
            </div>
        })
    }
}

/// The passphrase of the keyring the server has now.
#[component]
fn UnlockServerKeyring(close: Callback<()>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let passphrase = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let unlock = Submit::new(
        error,
        move |()| async move {
            let secret = SecretString::from(passphrase.get_untracked());
            state.unlock_server_keyring(secret).await
        },
        move |()| close.run(()),
    );
    let busy = unlock.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        unlock.run(());
    };
    view! {
        <Dialog title="Unlock the server's keyring" on_cancel=close>
            <p>"Enter the passphrase of the keyring the server has now (set on the other device)."</p>
            <form on:submit=submit>
                <label>"Passphrase" <input type="password" autocomplete="current-password" required bind:value=passphrase/></label>
                <Busy when=busy label="Unlocking"/>
                <ErrorLine error/>
                <FormActions on_cancel=close submit="OK" disabled=Signal::derive(move || busy.get() || passphrase.get().is_empty())/>
            </form>
        </Dialog>
    }
}

/// One notice per metadata item that changed outside the keyring (or was
/// never sealed), with its values and Restore mine / Accept the change.
#[component]
pub fn TrustNotices() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <For
            each=move || state.findings()
            key=|finding| format!("{finding:?}")
            let(finding)
        >
            <TrustNotice finding/>
        </For>
    }
}

/// What the user decided about an item changed outside the keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// Write the sealed values back.
    RestoreMine,
    /// Seal the values as they are now.
    Accept,
}

#[component]
fn TrustNotice(finding: Finding) -> impl IntoView {
    let state = expect_context::<AppState>();
    let error = RwSignal::new(None::<String>);
    let what = labels::item(finding.kind, &finding.name);
    let (kind, id) = (finding.kind, finding.id.clone());
    let decide = Submit::new(
        error,
        move |decision: Decision| {
            let id = id.clone();
            async move {
                match decision {
                    Decision::RestoreMine => state.restore_item(kind, id).await,
                    Decision::Accept => state.accept_item(kind, id).await,
                }
            }
        },
        |()| {},
    );
    let busy = decide.pending();
    let (sentence, rows, can_restore) = match &finding.trust {
        Trust::Changed { trusted, now } => (
            " was changed outside your keyring. Keyhaven sends nothing for it until you decide.",
            trusted
                .differences(now)
                .into_iter()
                .map(|(label, was, is)| format!("{label}: {was} → {is}"))
                .collect::<Vec<_>>(),
            true,
        ),
        Trust::Unsealed => (
            " is not confirmed with your keyring: it was added or changed while the keyring was \
             locked, on this or another device, or by someone without it. Keyhaven sends nothing \
             for it until you check and confirm it.",
            now_rows(&finding),
            false,
        ),
        Trust::Foreign | Trust::Verified => (
            " carries a seal your keyring can't open (made under another keyring, or forged). \
             Check it before Keyhaven sends anything for it.",
            now_rows(&finding),
            false,
        ),
    };
    let accept_label = if can_restore {
        "Accept the change"
    } else {
        "Confirm"
    };
    view! {
        <div class="banner warning" role="alert">
            <p><strong>{what}</strong>{sentence}</p>
            <ul class="changes">
                {rows.into_iter().map(|row| view! { <li>{row}</li> }).collect_view()}
            </ul>
            <p class="actions">
                <Show when=move || can_restore>
                    <button type="button" disabled=busy on:click=move |_| decide.run(Decision::RestoreMine)>
                        "Restore mine"
                    </button>
                </Show>
                <button type="button" disabled=busy on:click=move |_| decide.run(Decision::Accept)>
                    {accept_label}
                </button>
            </p>
            {move || error.get().map(|e| view! { <p>{e}</p> })}
        </div>
    }
}

fn now_rows(finding: &Finding) -> Vec<String> {
    finding
        .now
        .0
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(label, value)| format!("{label}: {value}"))
        .collect()
}
