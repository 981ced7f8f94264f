//! The SSH Connections form on a system: the same fields as Keyhaven's.
//! Semi-automatic is run BY the system (it logs in to the remote itself),
//! or, when the remote is a system of the keyring, paired with the stored
//! key there and no admin password at all. Discover Remote Host Key is
//! run by the system too: it scans from its own network, which is what
//! its replication will see. Manual creates or updates the connection.

use std::rc::Rc;

use keyhaven_core::{
    keyring::api_key_id,
    model::{
        Connection, Field, check_connect_timeout, check_port, normalize_truenas_url,
        secret_transport_allowed,
    },
    ssh,
    truenas::{
        calls::SemiAutomaticSetup,
        keychain::{Keychain, host_keys_for_system},
    },
};
use leptos::{ev::SubmitEvent, prelude::*};
use secrecy::SecretString;

use super::{
    super::fields::{
        AdminFields, FieldError, HostKeysField, HostPortFields, Invalid, MoreOptions, SetupMethod,
        SetupMethodField, UsernameFields, noting_fields, saved_message,
    },
    SystemTarget,
};
use crate::{
    components::{Busy, Dialog, ErrorLine, FormActions, Submit},
    error::AppError,
    keychain::{self, OnSystem},
    net::truenas::TrueNasError,
    state::{AppState, page_scheme},
};

#[component]
pub fn SystemConnectionForm(
    system: String,
    system_name: String,
    target: SystemTarget,
    keychain: Rc<Keychain>,
    changed: Callback<Option<String>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let editing = target.get_untracked().flatten();
    let stored = editing.and_then(|id| keychain.connection(id)).cloned();
    let text = |f: fn(&keyhaven_core::truenas::keychain::SystemConnection) -> String,
                default: &str| {
        RwSignal::new(stored.as_ref().map_or_else(|| default.to_owned(), f))
    };
    let name = text(|c| c.name.clone(), "");
    let method = RwSignal::new(if editing.is_some() {
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
    let first_keypair = keychain.keypairs.first().map(|k| k.id.to_string());
    let keypair = RwSignal::new(
        stored
            .as_ref()
            .map(|c| c.keypair.to_string())
            .or(first_keypair)
            .unwrap_or_default(),
    );
    let host = text(|c| c.host.clone(), "");
    let port = text(|c| c.port.to_string(), "22");
    let host_keys = text(|c| c.remote_host_key.clone(), "");
    let timeout = text(|c| c.connect_timeout.to_string(), "10");
    let left_out = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<String>);
    let invalid: Invalid = RwSignal::new(Vec::new());
    let system = StoredValue::new(system);
    let close = Callback::new(move |()| target.set(None));
    let semi = move || method.get() == SetupMethod::SemiAutomatic;
    let keypairs: Vec<(String, String)> = keychain
        .keypairs
        .iter()
        .map(|k| (k.id.to_string(), k.name.clone()))
        .collect();

    // The remote is another system of the keyring with a stored key: it
    // authorizes the key itself, logged in with that key.
    let keyring_remote = Memo::new(move |_| {
        let wanted = normalize_truenas_url(&url.get(), &page_scheme()).ok()?;
        state.vault.keyring.with(|keyring| {
            let keyring = keyring.as_ref()?;
            state.metadata.with(|m| {
                m.systems()
                    .find(|(id, s)| {
                        *id != system.get_value()
                            && s.url == wanted
                            && keyring.contains(&api_key_id(id))
                    })
                    .map(|(id, s)| (id.to_owned(), s.name.clone()))
            })
        })
    });

    let discover = Submit::new(
        error,
        move |()| async move {
            let port = check_port(&port.get_untracked())?;
            let timeout = check_connect_timeout(&timeout.get_untracked())?;
            let scanned = OnSystem::open(state, &system.get_value())
                .await?
                .scan(host.get_untracked().trim(), port, timeout)
                .await?;
            // As the system will store them: fitted to its 1024 characters.
            Ok::<_, AppError>(ssh::fit_host_keys(&ssh::parse_host_keys(&scanned)?))
        },
        move |fitted: ssh::FittedHostKeys| {
            left_out.set(fitted.left_out_described());
            host_keys.set(fitted.text());
        },
    );
    let discovering = discover.pending();
    let save = Submit::new(
        error,
        move |()| {
            noting_fields(invalid, async move {
                let keypair = keypair
                    .get_untracked()
                    .parse::<u64>()
                    .map_err(|_| AppError::ChooseKeypair)?;
                let connect_timeout = check_connect_timeout(&timeout.get_untracked())?;
                let name = name.get_untracked().trim().to_owned();
                let username = username.get_untracked().trim().to_owned();
                let sudo = sudo.get_untracked() && username != "root";
                if method.get_untracked() == SetupMethod::SemiAutomatic {
                    if let Some((remote, _)) = keyring_remote.get_untracked() {
                        let pair = keychain::Pairing {
                            name,
                            username,
                            keypair,
                            sudo,
                            connect_timeout,
                        };
                        return keychain::pair_systems(state, &system.get_value(), &remote, pair)
                            .await
                            .map(|fitted| fitted.left_out_described());
                    }
                    let url = normalize_truenas_url(&url.get_untracked(), &page_scheme())?;
                    // The system would send the admin password there in plain text.
                    if !secret_transport_allowed(&url) {
                        return Err(AppError::AtRemote {
                            url,
                            error: TrueNasError::Insecure,
                            hint: None,
                        });
                    }
                    let admin_password = SecretString::from(admin_password.get_untracked());
                    let admin_username = admin_username.get_untracked();
                    let otp = otp.get_untracked();
                    return OnSystem::open(state, &system.get_value())
                        .await?
                        .semiautomatic(&SemiAutomaticSetup {
                            name: &name,
                            url: &url,
                            admin_username: admin_username.trim(),
                            admin_password: &admin_password,
                            otp: &otp,
                            username: &username,
                            keypair,
                            connect_timeout,
                            sudo,
                        })
                        .await
                        .map(|()| Vec::new());
                }
                let connection = Connection {
                    name,
                    host: host.get_untracked().trim().to_owned(),
                    port: check_port(&port.get_untracked())?,
                    username,
                    keypair_id: String::new(),
                    remote_host_keys: host_keys.get_untracked().trim().to_owned(),
                    connect_timeout,
                };
                let on = OnSystem::open(state, &system.get_value()).await?;
                match editing {
                    Some(id) => on.update_connection(id, &connection, keypair).await?,
                    None => on.create_connection(&connection, keypair).await.map(drop)?,
                }
                Ok(host_keys_for_system(&connection).1.left_out_described())
            })
        },
        move |left_out: Vec<String>| {
            admin_password.set(String::new());
            otp.set(String::new());
            target.set(None);
            changed.run(Some(saved_message(&left_out)));
        },
    );
    let saving = save.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        save.run(());
    };
    let selected = keypair.get_untracked();
    view! {
        <Dialog title="SSH Connections" on_cancel=close wide=true>
            <p class="hint">{format!("On {system_name}: saved in the system's own keychain.")}</p>
            <form on:submit=submit>
                <label>"Name" <input type="text" required bind:value=name/></label>
                <FieldError field=Field::Name invalid/>
                <Show when=move || editing.is_none()>
                    <SetupMethodField method/>
                </Show>
                <Show when=semi>
                    <fieldset>
                        <legend>"Authentication"</legend>
                        <label>"TrueNAS URL" <input type="text" required placeholder="https://10.231.3.76" bind:value=url/></label>
                        <Show
                            when=move || keyring_remote.with(Option::is_none)
                            fallback=move || view! {
                                <p class="notice" role="status">
                                    {move || keyring_remote.get().map(|(_, n)| format!("{n} is in your keyring: its stored API key authorizes the key there; no admin password is needed."))}
                                </p>
                            }
                        >
                            <AdminFields admin_username admin_password otp/>
                        </Show>
                    </fieldset>
                </Show>
                <Show when=move || !semi()>
                    <HostPortFields host port/>
                    <FieldError field=Field::Host invalid/>
                    <FieldError field=Field::Port invalid/>
                </Show>
                <UsernameFields username sudo semi=Signal::derive(semi)/>
                <FieldError field=Field::Username invalid/>
                <label>
                    "Private Key"
                    <select on:change=move |ev| keypair.set(event_target_value(&ev))>
                        {keypairs.into_iter().map(|(id, name)| {
                            let chosen = id == selected;
                            view! { <option value=id selected=chosen>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || !semi()>
                    <HostKeysField host_keys left_out/>
                    <FieldError field=Field::RemoteHostKey invalid/>
                    <div class="inline-fields">
                        <button
                            type="button"
                            prop:disabled=move || discovering.get() || host.get().trim().is_empty()
                            on:click=move |_| discover.run(())
                        >
                            "Discover Remote Host Key"
                        </button>
                    </div>
                    <Busy when=discovering label="The system is scanning the host's SSH keys"/>
                </Show>
                <MoreOptions timeout/>
                <Busy when=saving label="Saving on the system"/>
                <ErrorLine error/>
                <FormActions on_cancel=close submit="Save" disabled=Signal::derive(move || saving.get() || name.get().trim().is_empty())/>
            </form>
        </Dialog>
    }
}
