use leptos::prelude::*;

/// `/credentials/backup`: SSH connections and SSH keypairs (seed 000).
#[component]
pub fn BackupCredentials() -> impl IntoView {
    view! { <h1>"Backup Credentials"</h1> }
}
