//! The SSH Connections form (TrueNAS's `ssh-connection-form`): Name, Setup
//! Method, the semi-automatic or the manual fields, More Options, Save.

use keyhaven_core::{api::HostKey, model::Connection};
use leptos::{ev::SubmitEvent, prelude::*};
use secrecy::SecretString;

use super::{
    FormTarget,
    fields::{
        AdminFields, HostKeysField, HostPortFields, MoreOptions, SetupMethod, SetupMethodField,
        UsernameFields, saved_message,
    },
    host_keys::{HostKeyChanged, HostKeyList, shown},
};
use crate::{
    components::{Busy, Dialog, ErrorLine, FormActions, Submit},
    connections::{self, ConnectionInput, Found},
    state::AppState,
};

const GENERATE_NEW: &str = "Generate New";
/// The select's value for "Generate New" (keypair ids are hex).
const NEW: &str = "new";

#[component]
pub fn ConnectionForm(target: FormTarget, saved: RwSignal<Option<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = target.get_untracked().flatten();
    let editing = id.is_some();
    let stored = id
        .as_ref()
        .and_then(|id| state.metadata.with_untracked(|m| m.connection(id).cloned()));
    let text = |f: fn(&Connection) -> String, default: &str| {
        RwSignal::new(stored.as_ref().map_or_else(|| default.to_owned(), f))
    };
    let name = text(|c| c.name.clone(), "");
    let method = RwSignal::new(if editing {
        SetupMethod::Manual
    } else {
        SetupMethod::SemiAutomatic
    });
    let url = RwSignal::new(String::new());
    let admin_username = RwSignal::new("root".to_owned());
    let admin_password = RwSignal::new(String::new());
    let otp = RwSignal::new(String::new());
    let username = text(|c| c.username.clone(), "root");
    let sudo = RwSignal::new(false);
    let keypair = text(|c| c.keypair_id.clone(), NEW);
    let host = text(|c| c.host.clone(), "");
    let port = text(|c| c.port.to_string(), "22");
    let host_keys = text(|c| c.remote_host_keys.clone(), "");
    let timeout = text(|c| c.connect_timeout.to_string(), "10");
    // Discovered keys that differ from the field's, until the user decides.
    let changed = RwSignal::new(None::<Vec<HostKey>>);
    let left_out = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<String>);
    let close = Callback::new(move |()| target.set(None));
    let semi = move || method.get() == SetupMethod::SemiAutomatic;

    let discover = Submit::new(
        error,
        move |()| async move {
            connections::discover_for_form(
                &host.get_untracked(),
                &port.get_untracked(),
                &timeout.get_untracked(),
                &host_keys.get_untracked(),
            )
            .await
        },
        move |discovery: connections::Discovery| {
            left_out.set(discovery.left_out);
            match discovery.found {
                Found::Take(lines) => host_keys.set(lines),
                Found::Changed(keys) => changed.set(Some(keys)),
            }
        },
    );
    let discovering = discover.pending();
    let save = Submit::new(
        error,
        move |()| {
            let keypair = keypair.get_untracked();
            let input = ConnectionInput {
                id: id.clone(),
                name: name.get_untracked(),
                semi_automatic: semi(),
                url: url.get_untracked(),
                admin_username: admin_username.get_untracked(),
                admin_password: SecretString::from(admin_password.get_untracked()),
                otp: otp.get_untracked(),
                username: username.get_untracked(),
                sudo: sudo.get_untracked(),
                keypair: (keypair != NEW).then_some(keypair),
                host: host.get_untracked(),
                port: port.get_untracked(),
                host_keys: host_keys.get_untracked(),
                timeout: timeout.get_untracked(),
            };
            connections::save_form(state, input)
        },
        move |left_out: Vec<String>| {
            admin_password.set(String::new());
            otp.set(String::new());
            saved.set(Some(saved_message(&left_out)));
            target.set(None);
        },
    );
    let saving = save.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        save.run(());
    };

    let keypairs = move || {
        let list: Vec<(String, String)> = state.metadata.with(|m| {
            m.keypairs()
                .map(|(id, k)| (id.to_owned(), k.name.clone()))
                .collect()
        });
        crate::names::by_name(list, |(_, name)| name)
    };
    let selected = StoredValue::new(keypair.get_untracked());
    view! {
        <Dialog title="SSH Connections" on_cancel=close wide=true>
            <form on:submit=submit>
                <label>"Name" <input type="text" required bind:value=name/></label>
                <Show when=move || !editing>
                    <SetupMethodField method/>
                </Show>
                <Show when=semi>
                    <fieldset>
                        <legend>"Authentication"</legend>
                        <label>"TrueNAS URL" <input type="text" required placeholder="https://10.231.3.76" bind:value=url/></label>
                        <AdminFields admin_username admin_password otp/>
                    </fieldset>
                </Show>
                <Show when=move || !semi()>
                    <HostPortFields host port/>
                </Show>
                <UsernameFields username sudo semi=Signal::derive(semi)/>
                <label>
                    "Private Key"
                    <select on:change=move |ev| keypair.set(event_target_value(&ev))>
                        <Show when=move || !editing>
                            <option value=NEW selected=move || selected.with_value(|s| s == NEW)>{GENERATE_NEW}</option>
                        </Show>
                        <For each=keypairs key=|k| k.clone() let:((id, name))>
                            <option value=id.clone() selected=selected.with_value(|s| *s == id)>{name}</option>
                        </For>
                    </select>
                </label>
                <Show when=move || !semi()>
                    <HostKeysField host_keys left_out/>
                    <HostKeyList keys=Signal::derive(move || shown(&host_keys.get())) label="Remote Host Key fingerprints"/>
                    <div class="inline-fields">
                        <button
                            type="button"
                            prop:disabled=move || discovering.get() || !state.status.online.get() || host.get().trim().is_empty()
                            on:click=move |_| {
                                changed.set(None);
                                discover.run(());
                            }
                        >
                            "Discover Remote Host Key"
                        </button>
                        <Show when=move || !state.status.online.get()>
                            <span class="hint">"Offline: discovering host keys needs the network."</span>
                        </Show>
                    </div>
                    <Busy when=discovering label="Scanning the host's SSH keys"/>
                    <Show when=move || changed.with(Option::is_some)>
                        <HostKeyChanged before=host_keys changed/>
                    </Show>
                </Show>
                <MoreOptions timeout/>
                <Busy when=saving label=if editing { "Saving" } else { "Saving the connection" }/>
                <ErrorLine error/>
                <FormActions on_cancel=close submit="Save" disabled=Signal::derive(move || saving.get() || name.get().trim().is_empty() || (semi() && !state.status.online.get()))/>
                <Show when=move || semi() && !state.status.online.get()>
                    <p class="hint">"Offline: the semi-automatic setup talks to the remote system. Choose Manual to save without it."</p>
                </Show>
            </form>
        </Dialog>
    }
}
