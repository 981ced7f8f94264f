//! `/credentials/backup`: the SSH Connections and SSH Keypairs widgets
//! (seed 000), their forms and their delete dialogs, for the credentials
//! kept in Keyhaven or, with a system chosen in "Credentials on", that
//! system's own (`system/`).

mod connection_form;
mod delete;
mod fields;
mod host_keys;
mod icons;
mod install;
mod keypair_form;
mod placement;
mod system;

use keyhaven_core::{
    model::{Connection, Keypair},
    ssh,
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    components::ErrorLine,
    keypairs,
    lazy::split,
    listing::{Listing, PAGE_SIZE, Pager, SearchBox},
    state::AppState,
};

use connection_form::ConnectionForm;
use delete::{DeleteConnection, DeleteKeypair};
use install::{InstallDialog, Installing};
use keypair_form::KeypairForm;
use placement::{Placements, Scope};
use system::SystemCredentials;

/// Which form is open: `Some(None)` adds, `Some(Some(id))` edits.
pub type FormTarget = RwSignal<Option<Option<String>>>;

split! {
    /// `/credentials/backup`, loaded when first opened: the app's largest
    /// screen, with the SSH key code only it uses.
    pub fn backup_credentials_page() { view! { <BackupCredentialsPage/> } }
}

#[component]
fn BackupCredentialsPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let keypair_form: FormTarget = RwSignal::new(None);
    let connection_form: FormTarget = RwSignal::new(None);
    let deleting_keypair = RwSignal::new(None::<String>);
    let deleting_connection = RwSignal::new(None::<String>);
    // A keypair needs the keyring: without one, it is created first.
    let creating_keyring_for = RwSignal::new(None::<FormTarget>);
    let recovery = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    // "Keyhaven", or a system of the keyring whose own credentials show.
    let scope = RwSignal::new(None::<String>);
    let installing = RwSignal::new(None::<Installing>);
    let placements = Placements::new(state);
    let open = move |form: FormTarget, id: Option<String>| {
        notice.set(None);
        if id.is_none() && state.vault.keyring.with_untracked(Option::is_none) {
            creating_keyring_for.set(Some(form));
        } else {
            form.set(Some(id));
        }
    };
    view! {
        <div class="page-header">
            <A href="/" attr:class="back" attr:aria-label="Back to the dashboard">
                <span class="material-icon">"arrow_back"</span>
            </A>
            <h1>"Backup Credentials"</h1>
            <span class="spacer"></span>
            <Scope scope notice/>
        </div>
        <Show when=move || notice.with(Option::is_some)>
            <p class="notice" role="status">{move || notice.get()}</p>
        </Show>
        <Show
            when=move || scope.with(Option::is_none)
            fallback=move || view! {
                {move || scope.get().map(|system_id| view! { <SystemCredentials system_id notice/> })}
            }
        >
            <ErrorLine error/>
            <div class="widgets">
                <ConnectionsWidget
                    open=Callback::new(move |id| open(connection_form, id))
                    delete=Callback::new(move |id| deleting_connection.set(Some(id)))
                    install=Callback::new(move |what| installing.set(Some(what)))
                    placements
                />
                <KeypairsWidget
                    open=Callback::new(move |id| open(keypair_form, id))
                    delete=Callback::new(move |id| deleting_keypair.set(Some(id)))
                    install=Callback::new(move |what| installing.set(Some(what)))
                    placements
                    error
                />
            </div>
        </Show>
        <Show when=move || installing.with(Option::is_some)>
            <InstallDialog target=installing done=Callback::new(move |()| placements.reload())/>
        </Show>
        <Show when=move || keypair_form.with(Option::is_some)>
            <KeypairForm target=keypair_form/>
        </Show>
        <Show when=move || connection_form.with(Option::is_some)>
            <ConnectionForm target=connection_form saved=notice/>
        </Show>
        <Show when=move || deleting_keypair.with(Option::is_some)>
            <DeleteKeypair target=deleting_keypair/>
        </Show>
        <Show when=move || deleting_connection.with(Option::is_some)>
            <DeleteConnection target=deleting_connection/>
        </Show>
        <Show when=move || creating_keyring_for.with(Option::is_some)>
            {
                crate::pages::create_keyring(Callback::new(move |code: Option<String>| {
                    let form = creating_keyring_for.get_untracked();
                    creating_keyring_for.set(None);
                    if code.is_some() {
                        recovery.set(code);
                        if let Some(form) = form {
                            form.set(Some(None));
                        }
                    }
                }))
            }
        </Show>
        <Show when=move || recovery.with(Option::is_some)>
            <crate::pages::RecoveryCodeDialog code=recovery/>
        </Show>
    }
}

/// A widget of the screen: its title, Add, and its list or a line saying
/// it is empty. A list kept in Keyhaven (`listed`: its search, how many
/// items match, whether it is longer than a page) gets a Search box and
/// pages when it outgrows a page; a system's own is short and shows whole.
#[component]
pub(super) fn Widget(
    title: &'static str,
    empty: &'static str,
    is_empty: Signal<bool>,
    open: Callback<Option<String>>,
    #[prop(optional)] listed: Option<(Listing, Signal<usize>, Signal<bool>)>,
    children: ChildrenFn,
) -> impl IntoView {
    let id = format!("{}-title", title.to_ascii_lowercase().replace(' ', "-"));
    let labelled_by = id.clone();
    let search = move || {
        listed.map(|(listing, matching, long)| {
            view! {
                <Show when=move || long.get()>
                    <SearchBox listing label=format!("Search {title}")/>
                </Show>
                <Show when=move || matching.get() == 0>
                    <p class="empty">"Nothing matches the search."</p>
                </Show>
            }
        })
    };
    let pager = move || {
        listed.map(
            |(listing, total, _)| view! { <Pager listing total label=format!("{title} pages")/> },
        )
    };
    view! {
        <section class="card widget" aria-labelledby=labelled_by>
            <div class="widget-header">
                <h2 id=id>{title}</h2>
                <button type="button" on:click=move |_| open.run(None)>"Add"</button>
            </div>
            <Show when=move || !is_empty.get() fallback=move || view! { <p class="empty">{empty}</p> }>
                {search()}
                <ul class="item-list">{children()}</ul>
                {pager()}
            </Show>
        </section>
    }
}

/// An item's name, a link that opens its form.
#[component]
pub(super) fn NameLink(id: String, name: String, open: Callback<Option<String>>) -> impl IntoView {
    view! {
        <button type="button" class="link" on:click=move |_| open.run(Some(id.clone()))>{name}</button>
    }
}

#[component]
pub(super) fn DeleteButton(id: String, name: String, delete: Callback<String>) -> impl IntoView {
    view! {
        <button
            type="button"
            class="icon-button"
            title="Delete"
            aria-label=format!("Delete {name}")
            on:click=move |_| delete.run(id.clone())
        >
            <icons::Delete/>
        </button>
    }
}

/// "Install": opens Install on Systems for the item.
#[component]
fn InstallButton(name: String, what: Installing, install: Callback<Installing>) -> impl IntoView {
    view! {
        <button
            type="button"
            aria-label=format!("Install {name} on systems")
            on:click=move |_| install.run(what.clone())
        >
            "Install"
        </button>
    }
}

#[component]
fn ConnectionsWidget(
    open: Callback<Option<String>>,
    delete: Callback<String>,
    install: Callback<Installing>,
    placements: Placements,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let listing = Listing::new();
    let matching = listing.matching(
        move |search| {
            state.metadata.with(|m| {
                m.connections()
                    .filter(|(_, c)| search.matches(&[&c.name, &c.host]))
                    .map(|(id, c)| (id.to_owned(), c.clone()))
                    .collect()
            })
        },
        |(_, c): &(String, Connection)| &c.name,
    );
    let connections = move || matching.with(|rows| listing.page_of(rows));
    view! {
        <Widget
            title="SSH Connections"
            empty="No SSH connections yet."
            is_empty=Signal::derive(move || state.metadata.with(|m| m.connections().next().is_none()))
            open
            listed=(
                listing,
                Signal::derive(move || matching.with(Vec::len)),
                Signal::derive(move || state.metadata.with(|m| m.connections().nth(PAGE_SIZE).is_some())),
            )
        >
            <For each=connections key=|(id, c)| (id.clone(), c.clone()) let:((id, connection))>
                <li>
                    <NameLink id=id.clone() name=connection.name.clone() open/>
                    <span class="hint">
                        {format!("{}@{}:{}", connection.username, connection.host, connection.port)}
                    </span>
                    <span class="hint placement">{
                        let connection = connection.clone();
                        move || placements.of_connection(&connection)
                    }</span>
                    <span class="spacer"></span>
                    <InstallButton
                        name=connection.name.clone()
                        what=Installing {
                            name: connection.name.clone(),
                            keypair: connection.keypair_id.clone(),
                            connection: Some(id.clone()),
                        }
                        install
                    />
                    <DeleteButton id name=connection.name delete/>
                </li>
            </For>
        </Widget>
    }
}

#[component]
fn KeypairsWidget(
    open: Callback<Option<String>>,
    delete: Callback<String>,
    install: Callback<Installing>,
    placements: Placements,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let listing = Listing::new();
    let matching = listing.matching(
        move |search| {
            state.metadata.with(|m| {
                m.keypairs()
                    .filter(|(_, k)| search.matches(&[&k.name]))
                    .map(|(id, k)| (id.to_owned(), k.clone()))
                    .collect()
            })
        },
        |(_, k): &(String, Keypair)| &k.name,
    );
    let keypairs = move || matching.with(|rows| listing.page_of(rows));
    // The download icon saves both files, as TrueNAS's does.
    let download = move |id: String, keypair: Keypair| {
        error.set(None);
        match keypairs::download_private(state, &id, &keypair)
            .and_then(|()| keypairs::download_public(state, &id, &keypair))
        {
            Ok(()) => {}
            Err(e) => {
                error.set(Some(e.to_string()));
                state.prompts.unlock_dismissed.set(false);
            }
        }
    };
    view! {
        <Widget
            title="SSH Keypairs"
            empty="No SSH keypairs yet."
            is_empty=Signal::derive(move || state.metadata.with(|m| m.keypairs().next().is_none()))
            open
            listed=(
                listing,
                Signal::derive(move || matching.with(Vec::len)),
                Signal::derive(move || state.metadata.with(|m| m.keypairs().nth(PAGE_SIZE).is_some())),
            )
        >
            <For each=keypairs key=|(id, k)| (id.clone(), k.clone()) let:((id, keypair))>
                <li>
                    <NameLink id=id.clone() name=keypair.name.clone() open/>
                    <span class="hint">{key_label(&keypair)}</span>
                    <code class="fingerprint">{keypair.fingerprint.clone()}</code>
                    <span class="hint placement">{
                        let public = keypair.public_key.clone();
                        move || placements.of_keypair(&public)
                    }</span>
                    <span class="spacer"></span>
                    <InstallButton
                        name=keypair.name.clone()
                        what=Installing { name: keypair.name.clone(), keypair: id.clone(), connection: None }
                        install
                    />
                    <button
                        type="button"
                        class="icon-button"
                        title="Download"
                        aria-label=format!("Download {}", keypair.name)
                        on:click={
                            let (id, keypair) = (id.clone(), keypair.clone());
                            move |_| download(id.clone(), keypair.clone())
                        }
                    >
                        <icons::Download/>
                    </button>
                    <DeleteButton id name=keypair.name delete/>
                </li>
            </For>
        </Widget>
    }
}

/// `Ed25519`, `RSA 3072`, `ECDSA P-256` (the stored type when the stored
/// line can't be read).
pub fn key_label(keypair: &Keypair) -> String {
    ssh::parse_public_key(&keypair.public_key)
        .map_or_else(|_| keypair.key_type.clone(), |k| ssh::describe(&k))
}
