//! Deleting a credential on a system: what uses it there (connections,
//! replication tasks…) is asked of the system first and listed, and the
//! delete cascades only after the user has seen that list.

use leptos::prelude::*;

use super::{super::delete::ConfirmDelete, Deleting};
use crate::{
    components::{Busy, Dialog, Submit},
    keychain::OnSystem,
    state::AppState,
};

#[component]
pub fn SystemDelete(
    system: String,
    target: RwSignal<Option<Deleting>>,
    changed: Callback<Option<String>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let Deleting { id, name, keypair } = target.get_untracked().expect("opened with a target");
    let system = StoredValue::new(system);
    let users = LocalResource::new(move || async move {
        OnSystem::open(state, &system.get_value())
            .await?
            .used_by(id)
            .await
    });
    let confirmed = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let cancel = Callback::new(move |()| target.set(None));
    let delete = Submit::new(
        error,
        move |cascade: bool| async move {
            OnSystem::open(state, &system.get_value())
                .await?
                .delete(id, cascade)
                .await
        },
        move |()| {
            target.set(None);
            changed.run(None);
        },
    );
    let busy = delete.pending();
    let what = if keypair {
        "SSH Keypair"
    } else {
        "SSH Connection"
    };
    let title = if keypair {
        "Delete SSH Keypair"
    } else {
        "Delete SSH Connection"
    };
    let in_use = move || users.get().and_then(Result::ok).unwrap_or_default();
    // Delete waits until the system said what uses the credential.
    let ready_busy = Memo::new(move |_| busy.get() || users.get().is_none());
    view! {
        <Dialog title on_cancel=cancel>
            <p>"Are you sure you want to delete the " <strong>{name.clone()}</strong> {format!(" {what} on the system?")}</p>
            <Suspense fallback=move || view! { <Busy when=Signal::derive(|| true) label="Asking the system what uses it"/> }>
                {move || users.get().map(|found| match found {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => ().into_any(),
                    Ok(list) => view! {
                        <p class="error" role="alert">
                            "These use it on the system; deleting it also deletes the SSH connections and disables the tasks:"
                        </p>
                        <ul aria-label="What uses it">
                            {list.into_iter().map(|title| view! { <li>{title}</li> }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Suspense>
            <ConfirmDelete confirmed busy=ready_busy error cancel delete=Callback::new(move |()| delete.run(!in_use().is_empty()))/>
        </Dialog>
    }
}
