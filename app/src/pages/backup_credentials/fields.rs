//! The fields the SSH Connections and SSH Keypairs forms share, in
//! Keyhaven's scope and a system's alike, with the seed's labels.

use keyhaven_core::model::Field;
use leptos::prelude::*;

use secrecy::{ExposeSecret, SecretString};

use crate::{
    components::{OtpField, Submit},
    keypairs::{self, KeyChoice},
};

/// The SSH Connections form's Setup Method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupMethod {
    SemiAutomatic,
    Manual,
}

impl SetupMethod {
    pub fn label(self) -> &'static str {
        match self {
            Self::SemiAutomatic => "Semi-automatic (TrueNAS only)",
            Self::Manual => "Manual",
        }
    }
}

/// "Setup Method", shown when adding (an edit is Manual).
#[component]
pub fn SetupMethodField(method: RwSignal<SetupMethod>) -> impl IntoView {
    let manual = SetupMethod::Manual.label();
    let semi = SetupMethod::SemiAutomatic.label();
    view! {
        <label>
            "Setup Method"
            <select on:change=move |ev| {
                method.set(if event_target_value(&ev) == manual { SetupMethod::Manual } else { SetupMethod::SemiAutomatic });
            }>
                <option value=manual>{manual}</option>
                <option value=semi selected=true>{semi}</option>
            </select>
        </label>
    }
}

/// Admin Username, Admin Password and One-Time Password (if necessary).
#[component]
pub fn AdminFields(
    admin_username: RwSignal<String>,
    admin_password: RwSignal<String>,
    otp: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label>"Admin Username" <input type="text" autocomplete="off" bind:value=admin_username/></label>
        <label>"Admin Password" <input type="password" autocomplete="off" required bind:value=admin_password/></label>
        <OtpField otp/>
    }
}

/// Host and Port (Manual).
#[component]
pub fn HostPortFields(host: RwSignal<String>, port: RwSignal<String>) -> impl IntoView {
    view! {
        <label>"Host" <input type="text" required bind:value=host/></label>
        <label>"Port" <input type="number" min="1" max="65535" required bind:value=port/></label>
    }
}

/// Username, and the zfs sudo box for a user other than root (Semi-automatic).
#[component]
pub fn UsernameFields(
    username: RwSignal<String>,
    sudo: RwSignal<bool>,
    #[prop(into)] semi: Signal<bool>,
) -> impl IntoView {
    view! {
        <label>"Username" <input type="text" required bind:value=username/></label>
        <Show when=move || semi.get() && username.get().trim() != "root">
            <label class="inline checkbox">
                <input type="checkbox" bind:checked=sudo/>
                "Enable passwordless sudo for zfs commands"
            </label>
        </Show>
    }
}

/// More Options: Connect Timeout.
#[component]
pub fn MoreOptions(timeout: RwSignal<String>) -> impl IntoView {
    view! {
        <details>
            <summary>"More Options"</summary>
            <label>"Connect Timeout" <input type="number" min="1" max="300" bind:value=timeout/></label>
        </details>
    }
}

/// Key Type and Generate Keypair.
#[component]
pub fn GenerateFields(
    kind: RwSignal<KeyChoice>,
    #[prop(into)] disabled: Signal<bool>,
    generate: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="inline-fields">
            <label>
                "Key Type"
                <select on:change=move |ev| kind.set(KeyChoice::from_label(&event_target_value(&ev)))>
                    {KeyChoice::ALL.map(|c| view! { <option value=c.label() selected=c == KeyChoice::Ed25519>{c.label()}</option> })}
                </select>
            </label>
            <button type="button" prop:disabled=move || disabled.get() on:click=move |_| generate.run(())>
                "Generate Keypair"
            </button>
        </div>
    }
}

/// Remote Host Key: one OpenSSH public key per line.
#[component]
pub fn HostKeysField(
    host_keys: RwSignal<String>,
    left_out: RwSignal<Vec<String>>,
) -> impl IntoView {
    view! {
        <label>
            "Remote Host Key"
            <textarea
                rows="4"
                spellcheck="false"
                prop:value=move || host_keys.get()
                on:input=move |ev| host_keys.set(event_target_value(&ev))
            ></textarea>
        </label>
        <Show when=move || left_out.with(|l| !l.is_empty())>
            <p class="hint" role="status">{move || left_out_note(&left_out.get())}</p>
        </Show>
    }
}

/// Why some host keys are not in the field: TrueNAS's limit, and which.
pub fn left_out_note(left_out: &[String]) -> String {
    format!(
        "Left out to fit TrueNAS's 1024-character limit for Remote Host Key: {}.",
        left_out.join(", ")
    )
}

/// "SSH Connection saved", and which host keys did not fit.
pub fn saved_message(left_out: &[String]) -> String {
    if left_out.is_empty() {
        "SSH Connection saved".to_owned()
    } else {
        format!("SSH Connection saved. {}", left_out_note(left_out))
    }
}

/// Generate Keypair's work: a new key of the chosen type (named after the
/// form's Name) fills Private Key and Public Key.
pub fn generator(
    error: RwSignal<Option<String>>,
    private: RwSignal<String>,
    public: RwSignal<String>,
) -> Submit<(KeyChoice, String)> {
    Submit::new(
        error,
        move |(choice, comment): (KeyChoice, String)| async move {
            keypairs::generate_for_form(choice, &comment).await
        },
        move |(text, line): (SecretString, String)| {
            private.set(text.expose_secret().to_owned());
            public.set(line);
        },
    )
}

/// What was refused in the fields of the form open on a system, by field
/// (the system's `-32602` and this browser's own checks alike).
pub type Invalid = RwSignal<Vec<(Field, String)>>;

/// The refusal of `field`, under it.
#[component]
pub fn FieldError(field: Field, invalid: Invalid) -> impl IntoView {
    let message = move || {
        invalid.with(|all| {
            all.iter()
                .find(|(f, _)| *f == field)
                .map(|(_, m)| m.clone())
        })
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="field-error">{message}</p>
        </Show>
    }
}

/// Runs a system form's work, keeping what the system said per field.
pub async fn noting_fields<T>(
    invalid: Invalid,
    work: impl Future<Output = Result<T, crate::error::AppError>>,
) -> Result<T, crate::error::AppError> {
    invalid.set(Vec::new());
    let result = work.await;
    if let Err(e) = &result {
        invalid.set(e.field_errors());
    }
    result
}
