//! The SSH Keypairs form, for adding and editing alike: Name, Generate
//! Keypair, Private Key, Public Key, Save; once saved, Download Private Key
//! and Download Public Key.

use keyhaven_core::ssh::{self, Imported};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use secrecy::{ExposeSecret, SecretString};

use super::{
    FormTarget,
    fields::{GenerateFields, generator},
};
use crate::{
    components::{Busy, Dialog, ErrorLine, FormActions, Submit},
    kdf,
    keypairs::{self, KeyChoice, KeypairInput, SavedKeypair},
    state::AppState,
};

#[component]
pub fn KeypairForm(target: FormTarget) -> impl IntoView {
    let state = expect_context::<AppState>();
    // Set once saved: the form then edits what it saved.
    let id = RwSignal::new(target.get_untracked().flatten());
    let stored = id
        .get_untracked()
        .and_then(|id| state.metadata.with_untracked(|m| m.keypair(&id).cloned()));
    let name = RwSignal::new(stored.as_ref().map(|k| k.name.clone()).unwrap_or_default());
    let public = RwSignal::new(stored.map(|k| k.public_key).unwrap_or_default());
    let private = RwSignal::new(String::new());
    let key_passphrase = RwSignal::new(String::new());
    let kind = RwSignal::new(KeyChoice::Ed25519);
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let close = Callback::new(move |()| target.set(None));

    // Editing: the stored private key shows once the keyring is unlocked.
    Effect::new(move |_| {
        if state.vault.unlocked.get()
            && let Some(id) = id.get()
            && private.get_untracked().is_empty()
            && let Ok(key) = keypairs::private_key(state, &id)
        {
            private.set(key.expose_secret().to_owned());
        }
    });
    let encrypted = Memo::new(move |_| {
        private.with(|p| matches!(ssh::import_private_key(p), Ok(Imported::Encrypted(_))))
    });
    // Its KDF runs in the worker: have it ready when the passphrase is asked.
    Effect::new(move |_| {
        if encrypted.get() {
            kdf::warm_up();
        }
    });
    let locked = move || state.vault.keyring.with(Option::is_some) && !state.vault.unlocked.get();

    // Ed25519 and ECDSA take milliseconds; RSA waits for WebCrypto, which
    // works off this thread while the progress shows.
    let generate = generator(error, private, public);
    let generating = generate.pending();
    let save = Submit::new(
        error,
        move |()| async move {
            let form = KeypairInput {
                id: id.get_untracked(),
                name: name.get_untracked(),
                private: SecretString::from(private.get_untracked()),
                passphrase: SecretString::from(key_passphrase.get_untracked()),
                public: public.get_untracked(),
            };
            keypairs::save_form(state, form).await
        },
        move |done: SavedKeypair| {
            id.set(Some(done.id));
            if let Some(text) = done.private {
                private.set(text.expose_secret().to_owned());
            }
            public.set(done.public);
            key_passphrase.set(String::new());
            saved.set(true);
        },
    );
    let saving = save.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        saved.set(false);
        save.run(());
    };

    let stored_keypair = move || {
        id.get().and_then(|id| {
            state
                .metadata
                .with(|m| m.keypair(&id).cloned())
                .map(|k| (id, k))
        })
    };
    let download_private = move |_| {
        error.set(None);
        if let Some((id, keypair)) = stored_keypair()
            && let Err(e) = keypairs::download_private(state, &id, &keypair)
        {
            error.set(Some(e.to_string()));
            state.prompts.unlock_dismissed.set(false);
        }
    };
    let download_public = move |_| {
        error.set(None);
        if let Some((id, keypair)) = stored_keypair()
            && let Err(e) = keypairs::download_public(state, &id, &keypair)
        {
            error.set(Some(e.to_string()));
            state.prompts.unlock_dismissed.set(false);
        }
    };
    // The copied line is derived too, not the field's (stored) text.
    let copy_public = move |_| {
        error.set(None);
        let Some((id, _)) = stored_keypair() else {
            return;
        };
        let text = match keypairs::public_to_hand_out(state, &id) {
            Ok(text) => text,
            Err(e) => {
                error.set(Some(e.to_string()));
                state.prompts.unlock_dismissed.set(false);
                return;
            }
        };
        spawn_local(async move {
            if let Some(window) = web_sys::window() {
                let promise = window.navigator().clipboard().write_text(&text);
                copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
            }
        });
    };

    view! {
        <Dialog title="SSH Keypairs" on_cancel=close wide=true>
            <Show when=locked>
                <p class="notice">
                    "The keyring is locked: unlock it to see, generate or store private keys. "
                    <button type="button" class="link" on:click=move |_| state.prompts.unlock_dismissed.set(false)>"Unlock"</button>
                </p>
            </Show>
            <form on:submit=submit>
                <label>"Name" <input type="text" required bind:value=name/></label>
                <GenerateFields kind disabled=Signal::derive(move || generating.get() || saving.get()) generate=Callback::new(move |()| {
                    saved.set(false);
                    key_passphrase.set(String::new());
                    generate.run((kind.get_untracked(), name.get_untracked().trim().to_owned()));
                })/>
                <Busy when=generating label="Generating the keypair"/>
                <KeyField label="Private Key" value=private placeholder=move || if locked() && id.get().is_some() {
                    "Locked: unlock the keyring to see the private key."
                } else {
                    "Paste an OpenSSH or PEM private key, import a file, or Generate Keypair."
                }/>
                <Show when=move || encrypted.get()>
                    <label>
                        "Private Key Passphrase"
                        <input type="password" autocomplete="off" bind:value=key_passphrase/>
                        <span class="hint">"This key is protected by a passphrase. Keyhaven stores it decrypted, inside the encrypted keyring."</span>
                    </label>
                </Show>
                <KeyField label="Public Key" value=public placeholder=move || "Left empty, it is derived from the private key."/>
                <Busy when=saving label="Saving"/>
                <ErrorLine error/>
                <Show when=move || saved.get()>
                    <p class="notice" role="status">"SSH Keypair saved"</p>
                </Show>
                <Show when=move || stored_keypair().is_some()>
                    <div class="key-actions">
                        <button type="button" on:click=download_private>"Download Private Key"</button>
                        <button type="button" on:click=download_public>"Download Public Key"</button>
                        <button type="button" on:click=copy_public>
                            {move || if copied.get() { "Copied" } else { "Copy Public Key" }}
                        </button>
                    </div>
                </Show>
                <FormActions on_cancel=close submit="Save" cancel="Close" disabled=Signal::derive(move || saving.get() || generating.get() || name.get().trim().is_empty())/>
            </form>
        </Dialog>
    }
}

/// A key textarea with a file import beside its label.
#[component]
pub(super) fn KeyField(
    label: &'static str,
    value: RwSignal<String>,
    placeholder: impl Fn() -> &'static str + Send + Sync + 'static,
) -> impl IntoView {
    let import = move |event: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&event);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        input.set_value("");
        spawn_local(async move {
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await
                && let Some(text) = text.as_string()
            {
                value.set(text);
            }
        });
    };
    view! {
        <div class="key-field">
            <label>
                {label}
                <textarea
                    rows="5"
                    spellcheck="false"
                    autocomplete="off"
                    placeholder=placeholder
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                ></textarea>
            </label>
            <label class="file-import">
                {format!("Import {label} from a file")}
                <input type="file" on:change=import/>
            </label>
        </div>
    }
}
