//! The keyring's passphrase dialogs: Create Keyring, Change Passphrase,
//! and the recovery code shown once after either.

use keyhaven_core::keyring::RecoveryCode;
use leptos::{ev::SubmitEvent, prelude::*};
use secrecy::SecretString;

use crate::{
    components::{Busy, Dialog, ErrorLine, FormActions, Submit},
    lazy::{self, split},
    state::AppState,
};

/// Create Keyring for the screens that offer it on the way (the dashboard's
/// Authenticate, Backup Credentials' Add), loaded when first opened;
/// `close` gets the new recovery code (`None`: cancelled).
pub fn create_keyring(close: Callback<Option<String>>) -> impl IntoView {
    lazy::dialog(
        create_keyring_dialog(close),
        Callback::new(move |()| close.run(None)),
    )
}

split! {
    fn create_keyring_dialog(close: Callback<Option<String>>) { view! { <CreateKeyring close/> } }
}

/// "Change Passphrase": a new passphrase and a new data key (every stored
/// key re-encrypted, the old passphrase and recovery code spent); closes
/// with the new recovery code.
#[component]
pub(super) fn ChangePassphrase(close: Callback<Option<String>>) -> impl IntoView {
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
pub(super) fn CreateKeyring(close: Callback<Option<String>>) -> impl IntoView {
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
