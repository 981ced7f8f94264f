//! The SSH Keypairs form on a system: the same fields as Keyhaven's; Generate
//! Keypair runs in this browser, Save creates or updates the keypair in the
//! system's keychain (which checks the pair, and refuses encrypted keys, as
//! TrueNAS does).

use std::rc::Rc;

use keyhaven_core::{
    model::Field,
    truenas::keychain::{HeldPrivateKey, Keychain},
};
use leptos::{ev::SubmitEvent, prelude::*};
use secrecy::{ExposeSecret, SecretString};

use super::{
    super::{
        fields::{FieldError, GenerateFields, Invalid, generator, noting_fields},
        keypair_form::KeyField,
    },
    SystemTarget,
};
use crate::{
    components::{Busy, Dialog, ErrorLine, FormActions, Submit},
    keychain::OnSystem,
    keypairs::KeyChoice,
    state::AppState,
};

#[component]
pub fn SystemKeypairForm(
    system: String,
    system_name: String,
    target: SystemTarget,
    keychain: Rc<Keychain>,
    changed: Callback<Option<String>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let editing = target.get_untracked().flatten();
    let stored = editing.and_then(|id| keychain.keypair(id));
    let public_only = stored.is_some_and(|k| matches!(k.private_key, HeldPrivateKey::Absent));
    let name = RwSignal::new(stored.map(|k| k.name.clone()).unwrap_or_default());
    let private = RwSignal::new(
        stored
            .and_then(|k| k.private_key.held())
            .map(|k| k.expose_secret().to_owned())
            .unwrap_or_default(),
    );
    let public = RwSignal::new(stored.map(|k| k.public_key.clone()).unwrap_or_default());
    let kind = RwSignal::new(KeyChoice::Ed25519);
    let error = RwSignal::new(None::<String>);
    let invalid: Invalid = RwSignal::new(Vec::new());
    let system = StoredValue::new(system);
    let system_name = StoredValue::new(system_name);
    let keychain = StoredValue::new_local(keychain);
    let close = Callback::new(move |()| target.set(None));
    let generate = generator(error, private, public);
    let generating = generate.pending();
    let save = Submit::new(
        error,
        move |()| {
            noting_fields(invalid, async move {
                let on = OnSystem::open(state, &system.get_value()).await?;
                let name = name.get_untracked().trim().to_owned();
                let private = SecretString::from(private.get_untracked());
                let given = !private.expose_secret().trim().is_empty();
                let public = public.get_untracked().trim().to_owned();
                let keychain = keychain.get_value();
                let stored = editing.and_then(|id| keychain.keypair(id));
                match stored {
                    Some(stored) => {
                        on.update_keypair(stored, &name, given.then_some(&private), &public)
                            .await
                    }
                    None => on.create_keypair(&name, &private, &public).await.map(drop),
                }
            })
        },
        move |()| {
            target.set(None);
            changed.run(Some("SSH Keypair saved".into()));
        },
    );
    let saving = save.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        save.run(());
    };
    view! {
        <Dialog title="SSH Keypairs" on_cancel=close wide=true>
            <form on:submit=submit>
                <label>"Name" <input type="text" required bind:value=name/></label>
                <FieldError field=Field::Name invalid/>
                <Show when=move || public_only>
                    <p class="notice" role="status">{move || format!("This keypair holds only a public key on {}: there is no private key to keep or lose.", system_name.get_value())}</p>
                </Show>
                <GenerateFields kind disabled=Signal::derive(move || generating.get() || saving.get()) generate=Callback::new(move |()| {
                    generate.run((kind.get_untracked(), name.get_untracked().trim().to_owned()));
                })/>
                <Busy when=generating label="Generating the keypair"/>
                <KeyField label="Private Key" value=private placeholder=|| "Paste an OpenSSH or PEM private key, import a file, or Generate Keypair."/>
                <FieldError field=Field::PrivateKey invalid/>
                <KeyField label="Public Key" value=public placeholder=|| "Left empty, the system derives it from the private key."/>
                <FieldError field=Field::PublicKey invalid/>
                <Busy when=saving label="Saving on the system"/>
                <ErrorLine error/>
                <FormActions on_cancel=close submit="Save" disabled=Signal::derive(move || saving.get() || generating.get() || name.get().trim().is_empty())/>
            </form>
        </Dialog>
    }
}
