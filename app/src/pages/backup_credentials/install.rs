//! Install on Systems: a Keyhaven keypair (and a connection using it) put
//! on one or several systems of the keyring. The plan comes first (what
//! will be created where, or why not), then progress per system; a system
//! that fails leaves the others done and says what to do.

use futures::future::join_all;
use keyhaven_core::{keyring::api_key_id, truenas::keychain::InstallPlan};
use leptos::prelude::*;

use crate::{
    components::{Busy, Dialog, ErrorLine, Submit},
    keychain,
    state::AppState,
};

/// What to install: a keypair, and maybe a connection using it.
#[derive(Clone)]
pub struct Installing {
    pub name: String,
    pub keypair: String,
    pub connection: Option<String>,
}

/// Where one system stands.
#[derive(Clone)]
enum Progress {
    Planned(InstallPlan),
    Installed(Vec<String>),
    Failed(String),
}

#[component]
pub fn InstallDialog(target: RwSignal<Option<Installing>>, done: Callback<()>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let Installing {
        name,
        keypair,
        connection,
    } = target.get_untracked().expect("opened with a target");
    let what = StoredValue::new((keypair, connection));
    // The systems whose key the keyring holds.
    let systems: Vec<(String, String)> = state.metadata.with_untracked(|m| {
        let keyring = state.vault.keyring.get_untracked();
        let list: Vec<(String, String)> = m
            .systems()
            .filter(|(id, _)| {
                keyring
                    .as_ref()
                    .is_some_and(|k| k.contains(&api_key_id(id)))
            })
            .map(|(id, s)| (id.to_owned(), s.name.clone()))
            .collect();
        crate::names::by_name(list, |(_, n)| n)
    });
    let chosen = RwSignal::new(Vec::<String>::new());
    let progress = RwSignal::new(Vec::<(String, String, Progress)>::new());
    let error = RwSignal::new(None::<String>);
    let names = StoredValue::new(systems.clone());
    let name_of = move |id: &str| {
        names.with_value(|n| {
            n.iter()
                .find(|(i, _)| i == id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        })
    };
    let review = Submit::new(
        error,
        move |ids: Vec<String>| async move {
            let (keypair, connection) = what.get_value();
            let plans = join_all(ids.iter().map(|id| {
                let (keypair, connection) = (keypair.clone(), connection.clone());
                async move { keychain::plan(state, id, &keypair, connection.as_deref()).await }
            }))
            .await;
            Ok(ids
                .into_iter()
                .zip(plans)
                .map(|(id, plan)| {
                    let name = name_of(&id);
                    let step = match plan {
                        Ok(plan) => Progress::Planned(plan),
                        Err(e) => Progress::Failed(e.to_string()),
                    };
                    (id, name, step)
                })
                .collect::<Vec<_>>())
        },
        move |planned| progress.set(planned),
    );
    let install =
        Submit::new(
            error,
            move |()| async move {
                let (keypair, connection) = what.get_value();
                let ready: Vec<String> = progress
                    .get_untracked()
                    .into_iter()
                    .filter(|(_, _, p)| matches!(p, Progress::Planned(plan) if !plan.blocked()))
                    .map(|(id, ..)| id)
                    .collect();
                let results =
                    join_all(ready.iter().map(|id| {
                        let (keypair, connection) = (keypair.clone(), connection.clone());
                        async move {
                            keychain::install(state, id, &keypair, connection.as_deref()).await
                        }
                    }))
                    .await;
                for (id, result) in ready.into_iter().zip(results) {
                    let step = match result {
                        Ok(done) => Progress::Installed(done.lines),
                        Err(e) => Progress::Failed(format!(
                            "{e} Nothing else was changed there; fix it and Review again."
                        )),
                    };
                    progress.update(|all| {
                        if let Some(entry) = all.iter_mut().find(|(i, ..)| *i == id) {
                            entry.2 = step;
                        }
                    });
                }
                Ok(())
            },
            move |()| done.run(()),
        );
    let reviewing = review.pending();
    let installing = install.pending();
    let installable = move || {
        progress.with(|all| {
            all.iter()
                .any(|(_, _, p)| matches!(p, Progress::Planned(plan) if !plan.blocked()))
        })
    };
    let close = Callback::new(move |()| target.set(None));
    let toggle = move |id: String, on: bool| {
        chosen.update(|c| {
            c.retain(|i| *i != id);
            if on {
                c.push(id);
            }
        });
        progress.set(Vec::new());
    };
    view! {
        <Dialog title="Install on Systems" on_cancel=close wide=true>
            <p>
                {format!("Install “{name}” in the keychain of each system chosen: the SSH keypair first (its private key goes from this browser to the system), then the SSH connection pointing at it.")}
            </p>
            <Show when=move || systems.is_empty()>
                <p class="notice">"No system has a stored API key: authenticate a system on the dashboard first."</p>
            </Show>
            <fieldset>
                <legend>"Systems"</legend>
                {names.get_value().into_iter().map(|(id, system)| {
                    let id2 = id.clone();
                    view! {
                        <label class="inline checkbox">
                            <input
                                type="checkbox"
                                prop:checked=move || chosen.with(|c| c.contains(&id))
                                on:change=move |ev| toggle(id2.clone(), event_target_checked(&ev))
                            />
                            {system}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <Busy when=reviewing label="Reading the systems' keychains"/>
            <Busy when=installing label="Installing"/>
            <Show when=move || progress.with(|p| !p.is_empty())>
                <ul class="plan" aria-label="Plan">
                    <For each=move || progress.get() key=|(id, _, p)| (id.clone(), progress_key(p)) let:((_, system, step))>
                        <li>
                            <strong>{system}</strong>
                            {match step {
                                Progress::Planned(plan) => plan.describe().into_iter().map(|l| view! { <div>{l}</div> }).collect_view().into_any(),
                                Progress::Installed(lines) => view! {
                                    <div role="status">"Installed"</div>
                                    {lines.into_iter().map(|l| view! { <div class="hint">{l}</div> }).collect_view()}
                                }.into_any(),
                                Progress::Failed(why) => view! { <div class="error">{why}</div> }.into_any(),
                            }}
                        </li>
                    </For>
                </ul>
            </Show>
            <ErrorLine error/>
            <div class="actions">
                <button type="button" on:click=move |_| close.run(())>"Close"</button>
                <button
                    type="button"
                    prop:disabled=move || reviewing.get() || installing.get() || chosen.with(Vec::is_empty)
                    on:click=move |_| review.run(chosen.get_untracked())
                >
                    "Review"
                </button>
                <button
                    type="button"
                    class="primary"
                    prop:disabled=move || installing.get() || !installable()
                    on:click=move |_| install.run(())
                >
                    "Install"
                </button>
            </div>
        </Dialog>
    }
}

fn progress_key(progress: &Progress) -> String {
    match progress {
        Progress::Planned(plan) => format!("planned {}", plan.describe().join("|")),
        Progress::Installed(_) => "installed".into(),
        Progress::Failed(why) => format!("failed {why}"),
    }
}
