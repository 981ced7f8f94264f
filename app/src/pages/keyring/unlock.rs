//! "Unlock Keyring": with the passphrase, or with the recovery code and a
//! new passphrase.

use leptos::{ev::SubmitEvent, prelude::*};
use secrecy::SecretString;

use crate::{
    components::{Busy, Dialog, ErrorLine, FormActions, Submit},
    error::AppError,
    lazy::{self, split},
    state::AppState,
};

use super::RecoveryCodeDialog;

/// "Unlock Keyring": shown after sign-in when the account has a keyring.
/// The dialog itself loads when first shown (with the recovery flow it
/// carries), so the first load is sign-in and the dashboard only.
#[component]
pub fn UnlockPrompt() -> impl IntoView {
    let state = expect_context::<AppState>();
    // The new recovery code a recovery issues (the used one is spent).
    let recovered = RwSignal::new(None::<String>);
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
    view! {
        <Show when=open>
            {lazy::dialog(unlock_dialog(recovered), cancel)}
        </Show>
        <Show when=move || recovered.get().is_some()>
            <RecoveryCodeDialog code=recovered/>
        </Show>
    }
}

split! {
    fn unlock_dialog(recovered: RwSignal<Option<String>>) { view! { <UnlockDialog recovered/> } }
}

#[component]
fn UnlockDialog(recovered: RwSignal<Option<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let passphrase = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let recovering = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    let new_passphrase = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
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
    }
}
