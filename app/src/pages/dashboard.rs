use keyhaven_core::model::{System, normalize_truenas_url};
use leptos::{ev::SubmitEvent, prelude::*};
use leptos_router::components::A;

use keyhaven_core::keyring::api_key_id;
use secrecy::SecretString;

use crate::{
    components::{Busy, Dialog, ErrorLine, FormActions, OtpField, Submit},
    lazy::{self, split},
    listing::{self, Listing, PAGE_SIZE},
    state::{AppState, new_id, page_scheme},
    systems::{self, Authenticated},
};

/// `/`: the registered TrueNAS systems, and the way to the other screens.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let adding = RwSignal::new(false);
    let removing = RwSignal::new(None::<(String, String)>);
    let authenticating = RwSignal::new(None::<(String, String)>);
    // Authenticate without a keyring: the keyring is created first.
    let creating_for = RwSignal::new(None::<(String, String)>);
    let recovery = RwSignal::new(None::<String>);
    let listing = Listing::new();
    // The systems the search matches, in name order; the table renders one
    // page of them.
    let matching = listing.matching(
        move |search| {
            state.metadata.with(|m| {
                m.systems()
                    .filter(|(_, s)| search.matches(&[&s.name, &s.url]))
                    .map(|(id, s)| (id.to_owned(), s.clone()))
                    .collect()
            })
        },
        |(_, s): &(String, System)| &s.name,
    );
    let has_systems = move || state.metadata.with(|m| m.systems().next().is_some());
    // Search and pages once the fleet outgrows one page (loaded then).
    let long = move || {
        state
            .metadata
            .with(|m| m.systems().nth(PAGE_SIZE).is_some())
    };
    let systems = move || matching.with(|rows| listing.page_of(rows));
    view! {
        <div class="page-header">
            <h1>"Dashboard"</h1>
            <div class="spacer"></div>
            <button type="button" class="primary" on:click=move |_| adding.set(true)>"Add System"</button>
        </div>
        <section class="card" aria-labelledby="systems-title">
            <h2 id="systems-title">"TrueNAS Systems"</h2>
            <Show
                when=has_systems
                fallback=|| view! { <p class="empty">"No systems yet. Add System registers one by its name and URL."</p> }
            >
                <Show when=long>
                    {move || lazy::page(listing::search_box(listing, "Search systems".into()))}
                </Show>
                <Show when=move || matching.with(Vec::is_empty)>
                    <p class="empty">"No system matches the search."</p>
                </Show>
                <table class="table">
                    <thead>
                        <tr><th scope="col">"Name"</th><th scope="col">"URL"</th><th scope="col">"Version"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr>
                    </thead>
                    <tbody>
                        <For each=systems key=|(id, s)| (id.clone(), s.clone().name, s.url.clone()) let:((id, system))>
                            <tr>
                                <td>{system.name.clone()}</td>
                                <td><a href=system.url.clone() target="_blank" rel="noopener noreferrer">{system.url.clone()}</a></td>
                                // What the system said at its last login from this browser.
                                <td>{
                                    let id = id.clone();
                                    move || crate::versions::shown(&id).unwrap_or_default()
                                }</td>
                                <td class="row-actions">
                                    <button
                                        type="button"
                                        aria-label=format!("Authenticate {}", system.name)
                                        prop:disabled=move || !state.status.online.get()
                                        title=move || (!state.status.online.get()).then_some(OFFLINE_AUTHENTICATE)
                                        on:click={
                                            let (id, name) = (id.clone(), system.name.clone());
                                            move |_| {
                                                let target = Some((id.clone(), name.clone()));
                                                if state.vault.keyring.with(Option::is_none) {
                                                    creating_for.set(target);
                                                } else {
                                                    authenticating.set(target);
                                                }
                                            }
                                        }
                                    >
                                        {
                                            let id = id.clone();
                                            move || if state.vault.keyring.with(|k| k.as_ref().is_some_and(|k| k.contains(&api_key_id(&id)))) {
                                                "Authenticate again"
                                            } else {
                                                "Authenticate"
                                            }
                                        }
                                    </button>
                                    <button
                                        type="button"
                                        class="icon-button"
                                        aria-label=format!("Remove {}", system.name)
                                        on:click={
                                            let (id, name) = (id.clone(), system.name.clone());
                                            move |_| removing.set(Some((id.clone(), name.clone())))
                                        }
                                    >
                                        "Remove"
                                    </button>
                                </td>
                            </tr>
                        </For>
                    </tbody>
                </table>
                <Show when=long>
                    {move || lazy::page(listing::pager(listing, Signal::derive(move || matching.with(Vec::len)), "Systems pages".into()))}
                </Show>
                <Show when=move || !state.status.online.get()>
                    <p class="hint">{OFFLINE_AUTHENTICATE}</p>
                </Show>
            </Show>
        </section>
        <nav class="cards" aria-label="Screens">
            <A href="/keyring" attr:class="card">"Keyring"</A>
            <A href="/credentials/backup" attr:class="card">"Backup Credentials"</A>
        </nav>
        // The dialogs load when first opened (`lazy`), but for the
        // recovery code's.
        <Show when=move || adding.get()>
            {
                let close = Callback::new(move |()| adding.set(false));
                lazy::dialog(add_system_dialog(close), close)
            }
        </Show>
        <Show when=move || removing.get().is_some()>
            {lazy::dialog(remove_system_dialog(removing), Callback::new(move |()| removing.set(None)))}
        </Show>
        <Show when=move || authenticating.get().is_some()>
            {lazy::dialog(authenticate_dialog(authenticating), Callback::new(move |()| authenticating.set(None)))}
        </Show>
        <Show when=move || creating_for.get().is_some()>
            {
                super::create_keyring(Callback::new(move |code: Option<String>| {
                    let target = creating_for.get_untracked();
                    creating_for.set(None);
                    if code.is_some() {
                        recovery.set(code);
                        authenticating.set(target);
                    }
                }))
            }
        </Show>
        <Show when=move || recovery.get().is_some()>
            <super::RecoveryCodeDialog code=recovery/>
        </Show>
    }
}

split! {
    fn add_system_dialog(close: Callback<()>) { view! { <AddSystem close/> } }
}

split! {
    fn remove_system_dialog(target: RwSignal<Option<(String, String)>>) { view! { <RemoveSystem target/> } }
}

split! {
    fn authenticate_dialog(target: RwSignal<Option<(String, String)>>) { view! { <Authenticate target/> } }
}

const OFFLINE_AUTHENTICATE: &str = "Offline: Authenticate needs the network to reach the system.";

/// Authenticate: Admin Username, Admin Password, and the One-Time Password
/// when the system asks for it. Creates an API key on the system and keeps
/// it in the keyring; the password is forgotten.
#[component]
fn Authenticate(target: RwSignal<Option<(String, String)>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let username = RwSignal::new("root".to_owned());
    let password = RwSignal::new(String::new());
    let otp = RwSignal::new(String::new());
    let needs_otp = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let close = Callback::new(move |()| target.set(None));
    let authenticate = Submit::new(
        error,
        move |id: String| async move {
            let secret = SecretString::from(password.get_untracked());
            let code = needs_otp.get_untracked().then(|| otp.get_untracked());
            let user = username.get_untracked().trim().to_owned();
            systems::authenticate(state, &id, &user, secret, code).await
        },
        move |outcome| match outcome {
            Authenticated::NeedOtp => needs_otp.set(true),
            Authenticated::Done => {
                password.set(String::new());
                target.set(None);
            }
        },
    );
    let busy = authenticate.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if let Some((id, _)) = target.get_untracked() {
            authenticate.run(id);
        }
    };
    view! {
        <Dialog title="Authenticate" on_cancel=close>
            <p>
                "Log in to " <strong>{move || target.get().map(|t| t.1)}</strong>
                " at " <strong>{move || target.get().and_then(|(id, _)| state.metadata.with(|m| m.system(&id).map(|s| s.url.clone())))}</strong>
                " once: Keyhaven creates an API key there and keeps it in your keyring. The password is not stored."
            </p>
            <Show when=move || state.vault.keyring.with(Option::is_none)>
                <p class="error" role="alert">
                    "There is no keyring yet. " <A href="/keyring">"Create Keyring"</A> " first: the API key is stored in it."
                </p>
            </Show>
            <Show when=move || state.vault.keyring.with(Option::is_some) && !state.vault.unlocked.get()>
                <p class="error" role="alert">
                    "The keyring is locked. "
                    <button type="button" class="link" on:click=move |_| state.prompts.unlock_dismissed.set(false)>"Unlock"</button>
                    " it first: the API key is stored in it."
                </p>
            </Show>
            <form on:submit=submit>
                <label>"Admin Username" <input type="text" autocomplete="username" required bind:value=username/></label>
                <label>"Admin Password" <input type="password" autocomplete="current-password" required bind:value=password/></label>
                <OtpField when=needs_otp otp/>
                <Busy when=busy label="Authenticating"/>
                <ErrorLine error/>
                <FormActions on_cancel=close submit="Authenticate" disabled=Signal::derive(move || busy.get() || !state.vault.unlocked.get() || password.get().is_empty() || !state.status.online.get())/>
                <Show when=move || !state.status.online.get()>
                    <p class="hint">{OFFLINE_AUTHENTICATE}</p>
                </Show>
            </form>
        </Dialog>
    }
}

/// The Add System dialog: a name and the system's TrueNAS URL.
#[component]
fn AddSystem(close: Callback<()>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let name = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let save = Submit::new(
        error,
        move |system: System| async move {
            let id = new_id();
            state
                .update_metadata(move |m, now, by| m.put_system(&id, system.clone(), now, by))
                .await
        },
        move |()| close.run(()),
    );
    let busy = save.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let metadata = state.metadata.get_untracked();
        let name_value = name.get_untracked().trim().to_owned();
        if let Err(e) = metadata.check_system_name(&name_value, None) {
            error.set(Some(e.to_string()));
            return;
        }
        let url_value = match normalize_truenas_url(&url.get_untracked(), &page_scheme()) {
            Ok(url) => url,
            Err(e) => {
                error.set(Some(e.to_string()));
                return;
            }
        };
        save.run(System {
            name: name_value,
            url: url_value,
            api_username: None,
            api_key_id: None,
        });
    };
    view! {
        <Dialog title="Add System" on_cancel=close>
            <form on:submit=submit>
                <label>"Name" <input type="text" required bind:value=name/></label>
                <label>
                    "TrueNAS URL"
                    <input type="text" required placeholder="https://truenas.local" bind:value=url/>
                </label>
                <ErrorLine error/>
                <FormActions on_cancel=close submit="Save" disabled=Signal::derive(move || busy.get() || name.get().trim().is_empty() || url.get().trim().is_empty())/>
            </form>
        </Dialog>
    }
}

/// Confirms removing a system from Keyhaven.
#[component]
fn RemoveSystem(target: RwSignal<Option<(String, String)>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let error = RwSignal::new(None::<String>);
    // While unlocked, the key can be deleted on the system too.
    let can_delete_remote = move || {
        let Some((id, _)) = target.get() else {
            return false;
        };
        state.vault.unlocked.get()
            && state
                .vault
                .keyring
                .with(|k| k.as_ref().is_some_and(|k| k.contains(&api_key_id(&id))))
            && state
                .metadata
                .with(|m| m.system(&id).is_some_and(|s| s.api_key_id.is_some()))
    };
    let delete_remote = RwSignal::new(true);
    let cancel = Callback::new(move |()| target.set(None));
    // One removal at a time: a double click must not delete the key on the
    // system twice.
    let submit = Submit::new(
        error,
        move |id: String| async move {
            let delete_remote = delete_remote.get_untracked() && can_delete_remote();
            systems::remove(state, id, delete_remote).await
        },
        move |()| target.set(None),
    );
    let busy = submit.pending();
    let confirm = move |_| {
        if let Some((id, _)) = target.get_untracked() {
            submit.run(id);
        }
    };
    view! {
        <Dialog title="Remove System" on_cancel=cancel>
            <p>
                "Remove " <strong>{move || target.get().map(|t| t.1)}</strong>
                " from Keyhaven? Its API key leaves the keyring."
            </p>
            <Show when=can_delete_remote>
                <label class="inline checkbox">
                    <input type="checkbox" bind:checked=delete_remote/>
                    "Also delete its API key on the system"
                </label>
            </Show>
            <ErrorLine error/>
            <div class="actions">
                <button type="button" on:click=move |_| cancel.run(())>"Cancel"</button>
                <button type="button" class="danger" on:click=confirm disabled=busy>"Remove"</button>
            </div>
        </Dialog>
    }
}
