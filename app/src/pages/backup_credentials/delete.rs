//! The delete dialogs: "Confirm", then "Delete", as TrueNAS asks. A keypair
//! in use takes its connections with it, after saying so; a connection can
//! take its keypair with it.

use leptos::prelude::*;

use crate::{
    components::{Dialog, ErrorLine, Submit},
    keypairs,
    state::AppState,
};

#[component]
pub fn DeleteKeypair(target: RwSignal<Option<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = target.get_untracked().unwrap_or_default();
    let (name, users) = state.metadata.with_untracked(|m| {
        (
            m.keypair(&id).map(|k| k.name.clone()).unwrap_or_default(),
            m.connections_using(&id)
                .into_iter()
                .map(|(id, c)| (id.to_owned(), c.name.clone()))
                .collect::<Vec<_>>(),
        )
    });
    let users = crate::names::by_name(users, |(_, name)| name);
    let confirmed = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let cancel = Callback::new(move |()| target.set(None));
    let connection_ids: Vec<String> = users.iter().map(|(id, _)| id.clone()).collect();
    let submit = Submit::new(
        error,
        move |()| {
            let (id, connections) = (id.clone(), connection_ids.clone());
            async move { keypairs::remove(state, &id, connections).await }
        },
        move |()| target.set(None),
    );
    let busy = submit.pending();
    let delete = move |()| submit.run(());
    let in_use = !users.is_empty();
    view! {
        <Dialog title="Delete SSH Keypair" on_cancel=cancel>
            <p>"Are you sure you want to delete the " <strong>{name.clone()}</strong> " SSH Keypair?"</p>
            <Show when=move || in_use>
                <p class="error" role="alert">
                    {format!("The SSH Keypair {name} is being used by SSH Connections. Deleting it will also delete all associated SSH Connections.")}
                </p>
                <ul aria-label="Associated SSH Connections">
                    {users.iter().map(|(_, n)| view! { <li>{n.clone()}</li> }).collect_view()}
                </ul>
            </Show>
            <ConfirmDelete confirmed busy error cancel delete=Callback::new(delete)/>
        </Dialog>
    }
}

#[component]
pub fn DeleteConnection(target: RwSignal<Option<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = target.get_untracked().unwrap_or_default();
    let (name, keypair_id, shared) = state.metadata.with_untracked(|m| {
        let connection = m.connection(&id);
        let keypair_id = connection.map(|c| c.keypair_id.clone()).unwrap_or_default();
        // Another connection using the keypair keeps it.
        let shared = m.connections_using(&keypair_id).len() > 1;
        let keypair_id = m.keypair(&keypair_id).map(|_| keypair_id);
        (
            connection.map(|c| c.name.clone()).unwrap_or_default(),
            keypair_id,
            shared,
        )
    });
    let with_keypair = RwSignal::new(false);
    let confirmed = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let cancel = Callback::new(move |()| target.set(None));
    let offer_keypair = keypair_id.is_some() && !shared;
    let submit = Submit::new(
        error,
        move |()| {
            let (id, keypair_id) = (id.clone(), keypair_id.clone());
            async move {
                match keypair_id.filter(|_| with_keypair.get_untracked()) {
                    Some(keypair_id) => keypairs::remove(state, &keypair_id, vec![id]).await,
                    None => {
                        state
                            .update_metadata(move |m, now, by| {
                                m.remove_connection(&id, now, by);
                            })
                            .await
                    }
                }
            }
        },
        move |()| target.set(None),
    );
    let busy = submit.pending();
    let delete = move |()| submit.run(());
    view! {
        <Dialog title="Delete SSH Connection" on_cancel=cancel>
            <p>"Are you sure you want to delete the " <strong>{name}</strong> " SSH Connection?"</p>
            <Show when=move || offer_keypair>
                <label class="inline checkbox">
                    <input type="checkbox" bind:checked=with_keypair/>
                    "Delete associated SSH Keypair"
                </label>
            </Show>
            <ConfirmDelete confirmed busy error cancel delete=Callback::new(delete)/>
        </Dialog>
    }
}

/// TrueNAS's confirmation: tick Confirm, then Delete.
#[component]
pub(super) fn ConfirmDelete(
    confirmed: RwSignal<bool>,
    busy: Memo<bool>,
    error: RwSignal<Option<String>>,
    cancel: Callback<()>,
    delete: Callback<()>,
) -> impl IntoView {
    view! {
        <label class="inline checkbox"><input type="checkbox" bind:checked=confirmed/> "Confirm"</label>
        <ErrorLine error/>
        <div class="actions">
            <button type="button" on:click=move |_| cancel.run(())>"Cancel"</button>
            <button
                type="button"
                class="danger"
                prop:disabled=move || !confirmed.get() || busy.get()
                on:click=move |_| delete.run(())
            >
                "Delete"
            </button>
        </div>
    }
}
