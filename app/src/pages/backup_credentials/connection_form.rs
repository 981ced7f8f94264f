//! The SSH Connections form (TrueNAS's `ssh-connection-form`): Name, Setup
//! Method, the semi-automatic or the manual fields, More Options, Save.

use keyhaven_core::{
    api::HostKey,
    model::{Connection, ConnectionForm, KeyringState, check_port},
    ssh::{self, Discovered},
};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use secrecy::SecretString;

use super::{
    FormTarget,
    host_keys::{HostKeyChanged, HostKeyList, shown},
};
use crate::{
    components::{Busy, Dialog, ErrorLine, FormActions, OtpField},
    connections::{self, PairError, SemiAutomatic},
    error::AppError,
    keypairs::{self, KeyChoice},
    state::{AppState, new_id, page_scheme},
};

const SEMI_AUTOMATIC: &str = "Semi-automatic (TrueNAS only)";
const MANUAL: &str = "Manual";
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
    let method = RwSignal::new(if editing { MANUAL } else { SEMI_AUTOMATIC });
    let url = RwSignal::new(String::new());
    let admin_username = RwSignal::new("root".to_owned());
    let admin_password = RwSignal::new(String::new());
    let otp = RwSignal::new(String::new());
    // The One-Time Password field shows once the remote asks for it.
    let needs_otp = RwSignal::new(false);
    let username = text(|c| c.username.clone(), "root");
    let sudo = RwSignal::new(false);
    let keypair = text(|c| c.keypair_id.clone(), NEW);
    let host = text(|c| c.host.clone(), "");
    let port = text(|c| c.port.to_string(), "22");
    let host_keys = text(|c| c.remote_host_keys.clone(), "");
    let timeout = text(|c| c.connect_timeout.to_string(), "10");
    // Discovered keys that differ from the field's, until the user decides.
    let changed = RwSignal::new(None::<Vec<HostKey>>);
    let discovering = RwSignal::new(false);
    let saving = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let close = Callback::new(move |()| target.set(None));
    let semi = move || method.get() == SEMI_AUTOMATIC;

    let discover = move |_| {
        error.set(None);
        changed.set(None);
        let port_value = match check_port(&port.get_untracked()) {
            Ok(port) => port,
            Err(e) => {
                error.set(Some(e.to_string()));
                return;
            }
        };
        let timeout_value = timeout.get_untracked().trim().parse::<u32>().unwrap_or(10);
        let host_value = host.get_untracked();
        discovering.set(true);
        spawn_local(async move {
            let result = connections::discover(&host_value, port_value, timeout_value).await;
            discovering.set(false);
            match result {
                Ok(keys) => {
                    let lines = keys
                        .iter()
                        .map(|k| k.public_key.clone())
                        .collect::<Vec<_>>()
                        .join("\n");
                    match ssh::judge_discovered(&host_keys.get_untracked(), &lines) {
                        Discovered::Take => host_keys.set(lines),
                        Discovered::Changed => changed.set(Some(keys)),
                    }
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        error.set(None);
        let form = match read_form(
            state,
            id.clone(),
            FormValues {
                name: name.get_untracked(),
                semi: semi(),
                url: url.get_untracked(),
                admin_username: admin_username.get_untracked(),
                admin_password: admin_password.get_untracked(),
                username: username.get_untracked(),
                keypair: keypair.get_untracked(),
                host: host.get_untracked(),
                port: port.get_untracked(),
                host_keys: host_keys.get_untracked(),
                timeout: timeout.get_untracked(),
            },
        ) {
            Ok(form) => form,
            Err(e) => {
                error.set(Some(e.to_string()));
                if !state.is_unlocked() && keypair.get_untracked() == NEW {
                    state.prompts.unlock_dismissed.set(false);
                }
                return;
            }
        };
        let semi_automatic = semi().then(|| SemiAutomatic {
            url: form.url.clone(),
            admin_username: admin_username.get_untracked().trim().to_owned(),
            admin_password: SecretString::from(admin_password.get_untracked()),
            otp: otp.get_untracked(),
            username: form.connection.username.clone(),
            sudo: sudo.get_untracked() && form.connection.username != "root",
            connect_timeout: form.connection.connect_timeout,
        });
        saving.set(true);
        spawn_local(async move {
            let result = save(state, form, semi_automatic).await;
            saving.set(false);
            match result {
                Ok(()) => {
                    admin_password.set(String::new());
                    otp.set(String::new());
                    saved.set(Some("SSH Connection saved".into()));
                    target.set(None);
                }
                Err(PairError::NeedOtp) => {
                    needs_otp.set(true);
                    error.set(Some(
                        "This system uses two-factor authentication: enter the One-Time Password (if necessary) and Save again."
                            .into(),
                    ));
                }
                Err(PairError::Failed(e)) => error.set(Some(e.to_string())),
            }
        });
    };

    let keypairs = move || {
        let mut list: Vec<(String, String)> = state.metadata.with(|m| {
            m.keypairs()
                .map(|(id, k)| (id.to_owned(), k.name.clone()))
                .collect()
        });
        list.sort_by_key(|(_, name)| name.to_lowercase());
        list
    };
    let selected = StoredValue::new(keypair.get_untracked());
    view! {
        <Dialog title="SSH Connections" on_cancel=close wide=true>
            <form on:submit=submit>
                <label>"Name" <input type="text" required bind:value=name/></label>
                <Show when=move || !editing>
                    <label>
                        "Setup Method"
                        <select on:change=move |ev| {
                            method.set(if event_target_value(&ev) == MANUAL { MANUAL } else { SEMI_AUTOMATIC });
                        }>
                            <option value=MANUAL>{MANUAL}</option>
                            <option value=SEMI_AUTOMATIC selected=true>{SEMI_AUTOMATIC}</option>
                        </select>
                    </label>
                </Show>
                <Show when=semi>
                    <fieldset>
                        <legend>"Authentication"</legend>
                        <label>"TrueNAS URL" <input type="text" required placeholder="https://10.231.3.76" bind:value=url/></label>
                        <label>"Admin Username" <input type="text" autocomplete="off" bind:value=admin_username/></label>
                        <label>"Admin Password" <input type="password" autocomplete="off" required bind:value=admin_password/></label>
                        <OtpField when=needs_otp otp/>
                    </fieldset>
                </Show>
                <Show when=move || !semi()>
                    <label>"Host" <input type="text" required bind:value=host/></label>
                    <label>"Port" <input type="number" min="1" max="65535" required bind:value=port/></label>
                </Show>
                <label>"Username" <input type="text" required bind:value=username/></label>
                <Show when=move || semi() && username.get().trim() != "root">
                    <label class="inline checkbox">
                        <input type="checkbox" bind:checked=sudo/>
                        "Enable passwordless sudo for zfs commands"
                    </label>
                </Show>
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
                    <label>
                        "Remote Host Key"
                        <textarea
                            rows="4"
                            spellcheck="false"
                            prop:value=move || host_keys.get()
                            on:input=move |ev| host_keys.set(event_target_value(&ev))
                        ></textarea>
                    </label>
                    <HostKeyList keys=Signal::derive(move || shown(&host_keys.get())) label="Remote Host Key fingerprints"/>
                    <div class="inline-fields">
                        <button
                            type="button"
                            prop:disabled=move || discovering.get() || !state.status.online.get() || host.get().trim().is_empty()
                            on:click=discover
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
                <details>
                    <summary>"More Options"</summary>
                    <label>"Connect Timeout" <input type="number" min="1" max="300" bind:value=timeout/></label>
                </details>
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

/// The form's text, as typed.
struct FormValues {
    name: String,
    semi: bool,
    url: String,
    admin_username: String,
    admin_password: String,
    username: String,
    keypair: String,
    host: String,
    port: String,
    host_keys: String,
    timeout: String,
}

/// A checked form, ready to save (the semi-automatic fields fill in host,
/// port and host keys later).
struct Checked {
    id: String,
    url: String,
    connection: Connection,
    /// Generate New: the keypair `<name> Key` to make at Save.
    generate: bool,
}

fn read_form(state: AppState, id: Option<String>, form: FormValues) -> Result<Checked, AppError> {
    let values = ConnectionForm {
        name: form.name,
        semi_automatic: form.semi,
        url: form.url,
        admin_username: form.admin_username,
        admin_password_given: !form.admin_password.is_empty(),
        username: form.username,
        keypair: (form.keypair != NEW).then_some(form.keypair),
        host: form.host,
        port: form.port,
        host_keys: form.host_keys,
        timeout: form.timeout,
    };
    let keyring = KeyringState {
        exists: state.vault.keyring.with_untracked(Option::is_some),
        unlocked: state.is_unlocked(),
    };
    let checked = state.metadata.with_untracked(|m| {
        m.check_connection_form(&values, id.as_deref(), keyring, &page_scheme())
    })?;
    let mut connection = checked.connection;
    if checked.generate {
        connection.keypair_id = new_id();
    }
    Ok(Checked {
        id: id.unwrap_or_else(new_id),
        url: checked.url.unwrap_or_default(),
        connection,
        generate: checked.generate,
    })
}

/// Save: Generate New first (as TrueNAS does), then the semi-automatic
/// exchange, then the connection; a generated keypair is removed again when
/// anything after it fails.
async fn save(
    state: AppState,
    form: Checked,
    semi: Option<SemiAutomatic>,
) -> Result<(), PairError> {
    let Checked {
        id,
        mut connection,
        generate,
        ..
    } = form;
    let keypair_id = connection.keypair_id.clone();
    if generate {
        let name = format!("{} Key", connection.name);
        let key = keypairs::generate(KeyChoice::Ed25519, &name).await?;
        keypairs::save(state, &keypair_id, &name, Some(&key), key.public_key()).await?;
    }
    let result = async {
        if let Some(semi) = semi {
            // Derived from the private key, never read from the metadata:
            // the remote authorizes exactly the key this keyring holds.
            let public = keypairs::public_key_of(state, &keypair_id)?;
            let paired = connections::pair(semi, &public).await?;
            connection.host = paired.host;
            connection.port = paired.port;
            connection.remote_host_keys = paired.host_keys;
        }
        state
            .update_metadata(move |m, now, by| m.put_connection(&id, connection.clone(), now, by))
            .await
            .map_err(PairError::from)
    }
    .await;
    if result.is_err() && generate {
        // Best effort: the error that matters is the one above.
        let _ = keypairs::remove(state, &keypair_id, Vec::new()).await;
    }
    result
}
