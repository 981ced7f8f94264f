//! The Backup Credentials screen scoped to one system: its own SSH
//! Connections and SSH Keypairs (`keychaincredential.query`), with the same
//! widgets, labels and forms as Keyhaven's, acting on the system.

mod connection_form;
mod delete;
mod keypair_form;

use std::rc::Rc;

use keyhaven_core::{
    ssh,
    truenas::keychain::{HeldPrivateKey, Keychain, SystemConnection},
};
use leptos::prelude::*;
use secrecy::ExposeSecret;

use super::{DeleteButton, NameLink, Widget, icons};
use crate::{
    components::{Busy, ErrorLine, Submit},
    error::AppError,
    keychain::{self, OnSystem},
    state::AppState,
};

use connection_form::SystemConnectionForm;
use delete::SystemDelete;
use keypair_form::SystemKeypairForm;

/// Which form is open on the system: `Some(None)` adds, `Some(Some(id))`
/// edits the credential with that id there.
pub type SystemTarget = RwSignal<Option<Option<u64>>>;

/// A credential of the system to delete: its id, name and kind.
#[derive(Clone)]
pub struct Deleting {
    pub id: u64,
    pub name: String,
    pub keypair: bool,
}

#[component]
pub fn SystemCredentials(system_id: String, notice: RwSignal<Option<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let system = StoredValue::new(system_id);
    // Bumped after every change, to read the keychain again.
    let reload = RwSignal::new(0_u32);
    let keychain = LocalResource::new(move || {
        reload.track();
        let id = system.get_value();
        async move {
            let on = OnSystem::open(state, &id).await?;
            on.keychain().await.map(Rc::new)
        }
    });
    let current = move || keychain.get().and_then(Result::ok);
    let error = RwSignal::new(None::<String>);
    let keypair_form: SystemTarget = RwSignal::new(None);
    let connection_form: SystemTarget = RwSignal::new(None);
    let deleting = RwSignal::new(None::<Deleting>);
    let changed = Callback::new(move |message: Option<String>| {
        notice.set(message);
        reload.update(|r| *r += 1);
    });
    let import = Submit::new(
        error,
        move |(kind_keypair, id): (bool, u64)| async move {
            let system_id = system.get_value();
            if kind_keypair {
                keychain::import_keypair(state, &system_id, id).await
            } else {
                keychain::import_connection(state, &system_id, id).await
            }
        },
        move |name: String| notice.set(Some(format!("Saved to Keyhaven: {name}"))),
    );
    let system_name = move || {
        state
            .metadata
            .with(|m| m.system(&system.get_value()).map(|s| s.name.clone()))
            .unwrap_or_default()
    };
    view! {
        <ErrorLine error/>
        <Suspense fallback=move || view! { <Busy when=Signal::derive(|| true) label="Reading the system's credentials"/> }>
            {move || keychain.get().map(|result| match result {
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(found) => view! {
                    <div class="widgets">
                        <SystemConnections keychain=found.clone() open=connection_form deleting import/>
                        <SystemKeypairs keychain=found open=keypair_form deleting import error/>
                    </div>
                }.into_any(),
            })}
        </Suspense>
        <Show when=move || keypair_form.with(Option::is_some) && current().is_some()>
            <SystemKeypairForm
                system=system.get_value()
                system_name=system_name()
                target=keypair_form
                keychain=current().unwrap_or_default()
                changed
            />
        </Show>
        <Show when=move || connection_form.with(Option::is_some) && current().is_some()>
            <SystemConnectionForm
                system=system.get_value()
                system_name=system_name()
                target=connection_form
                keychain=current().unwrap_or_default()
                changed
            />
        </Show>
        <Show when=move || deleting.with(Option::is_some)>
            <SystemDelete system=system.get_value() target=deleting changed/>
        </Show>
    }
}

/// The Delete buttons' callback: opens the delete dialog for an id.
fn deleter(
    names: Vec<(u64, String)>,
    keypair: bool,
    deleting: RwSignal<Option<Deleting>>,
) -> Callback<String> {
    Callback::new(move |id: String| {
        let id = id.parse().unwrap_or_default();
        deleting.set(
            names
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, name)| Deleting {
                    id,
                    name: name.clone(),
                    keypair,
                }),
        );
    })
}

fn id_of(text: Option<String>) -> Option<u64> {
    text.and_then(|t| t.parse().ok())
}

#[component]
fn SystemConnections(
    keychain: Rc<Keychain>,
    open: SystemTarget,
    deleting: RwSignal<Option<Deleting>>,
    import: Submit<(bool, u64)>,
) -> impl IntoView {
    let rows: Vec<SystemConnection> = keychain.connections.clone();
    let is_empty = rows.is_empty();
    let open_cb = Callback::new(move |id: Option<String>| open.set(Some(id_of(id))));
    let delete = deleter(
        rows.iter().map(|c| (c.id, c.name.clone())).collect(),
        false,
        deleting,
    );
    view! {
        <Widget title="SSH Connections" empty="No SSH connections yet." is_empty=Signal::derive(move || is_empty) open=open_cb>
            {rows.iter().map(|c| {
                let (id, name) = (c.id, c.name.clone());
                view! {
                    <li>
                        <NameLink id=id.to_string() name=name.clone() open=open_cb/>
                        <span class="hint">{format!("{}@{}:{}", c.username, c.host, c.port)}</span>
                        <span class="spacer"></span>
                        <button
                            type="button"
                            aria-label=format!("Save {name} to Keyhaven")
                            disabled=move || import.pending().get()
                            on:click=move |_| import.run((false, id))
                        >
                            "Save to Keyhaven"
                        </button>
                        <DeleteButton id=id.to_string() name delete/>
                    </li>
                }
            }).collect_view()}
        </Widget>
    }
}

/// A keypair row: what the widget shows and downloads.
#[derive(Clone)]
struct KeypairRow {
    id: u64,
    name: String,
    public_key: String,
    private_key: HeldPrivateKey,
}

#[component]
fn SystemKeypairs(
    keychain: Rc<Keychain>,
    open: SystemTarget,
    deleting: RwSignal<Option<Deleting>>,
    import: Submit<(bool, u64)>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let rows: Vec<KeypairRow> = keychain
        .keypairs
        .iter()
        .map(|k| KeypairRow {
            id: k.id,
            name: k.name.clone(),
            public_key: k.public_key.clone(),
            private_key: k.private_key.clone(),
        })
        .collect();
    let is_empty = rows.is_empty();
    let open_cb = Callback::new(move |id: Option<String>| open.set(Some(id_of(id))));
    let delete = deleter(
        rows.iter().map(|k| (k.id, k.name.clone())).collect(),
        true,
        deleting,
    );
    view! {
        <Widget title="SSH Keypairs" empty="No SSH keypairs yet." is_empty=Signal::derive(move || is_empty) open=open_cb>
            {rows.iter().map(|k| {
                let (id, name) = (k.id, k.name.clone());
                let mut label = ssh::parse_public_key(&k.public_key)
                    .map(|p| ssh::describe(&p))
                    .unwrap_or_default();
                if matches!(k.private_key, HeldPrivateKey::Absent) {
                    label.push_str(" (public key only)");
                }
                let row = k.clone();
                view! {
                    <li>
                        <NameLink id=id.to_string() name=name.clone() open=open_cb/>
                        <span class="hint">{label}</span>
                        <span class="spacer"></span>
                        <button
                            type="button"
                            aria-label=format!("Save {name} to Keyhaven")
                            disabled=move || import.pending().get()
                            on:click=move |_| import.run((true, id))
                        >
                            "Save to Keyhaven"
                        </button>
                        <button
                            type="button"
                            class="icon-button"
                            title="Download"
                            aria-label=format!("Download {name}")
                            on:click=move |_| {
                                error.set(None);
                                if let Err(e) = download_files(&row) {
                                    error.set(Some(e.to_string()));
                                }
                            }
                        >
                            <icons::Download/>
                        </button>
                        <DeleteButton id=id.to_string() name delete/>
                    </li>
                }
            }).collect_view()}
        </Widget>
    }
}

/// Download Private Key and Download Public Key, with TrueNAS's file names,
/// from what the system returned (a redacted private key can't be; a
/// keypair of a public key only gives its public key).
fn download_files(keypair: &KeypairRow) -> Result<(), AppError> {
    let record = keyhaven_core::model::Keypair {
        name: keypair.name.clone(),
        key_type: String::new(),
        public_key: keypair.public_key.clone(),
        fingerprint: String::new(),
    };
    let (private_name, _) = crate::keypairs::file_names(&record);
    match &keypair.private_key {
        HeldPrivateKey::Held(text) => {
            crate::download::key_file(&private_name, text.expose_secret());
        }
        HeldPrivateKey::Absent => {}
        HeldPrivateKey::Hidden => return Err(AppError::PrivateKeyNotShown),
    }
    // The system's own answer (over its TLS session), not the Keyhaven
    // server's document.
    crate::keypairs::public_file(&record, &record.public_key);
    Ok(())
}
