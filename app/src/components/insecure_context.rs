//! The banner for a page that is not a secure context: opened over plain
//! `http://` from anywhere but this machine. The browser then withholds
//! `crypto.subtle`, service workers and Web Locks, so the user is told
//! before signing in what won't work and how to fix it.

use leptos::prelude::*;

/// Whether the browser treats this page as a secure context (https, or
/// http on localhost).
pub fn is_secure_context() -> bool {
    web_sys::window().is_none_or(|window| window.is_secure_context())
}

#[component]
pub fn InsecureContextBanner() -> impl IntoView {
    (!is_secure_context()).then(|| {
        view! {
            <div class="banner warning" role="alert" aria-labelledby="insecure-context-title">
                <p>
                    <strong id="insecure-context-title">"This connection is not secure."</strong>
                    " Keyhaven was opened over http:// from another machine, so your browser "
                    "turns off what it needs here: "
                    <strong>"RSA keys"</strong>
                    " can't be generated, "
                    <strong>"offline use"</strong>
                    " is off (the app isn't kept in this browser), and two open tabs can't "
                    "coordinate their unsynced changes."
                </p>
                <p>
                    "Open Keyhaven over https:// instead: start its server with "
                    <code>"--tls-self-signed"</code>
                    " (or with your certificate: "
                    <code>"--tls-cert"</code>
                    " and "
                    <code>"--tls-key"</code>
                    "), or put it behind an HTTPS reverse proxy."
                </p>
            </div>
        }
    })
}
