//! Code that loads when first used. In the release build (`--cfg
//! keyhaven_split`, xtask's `build::split`) each function written with
//! [`split!`] is a wasm module of its own, fetched the first time it is
//! called; elsewhere (tests, clippy) it is an ordinary `async fn`. What
//! sign-in and the dashboard need stays in the first load; the other
//! screens and the dialogs behind a button are split off.
//!
//! Loading can fail (offline before the service worker cached this
//! release, a failed request). wasm-split's default answer is a panic,
//! which aborts the whole app; [`page`] and [`dialog`] say what happened
//! instead, and the next try loads again.

use std::future::Future;

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::{
    AppError,
    components::{Dialog, ErrorLine},
};

/// `split! { fn name(args) { view } }` defines `async fn name(args) ->
/// Result<AnyView, AppError>`, whose body is its own wasm module in the
/// split build (named after the function: keep the names unique).
/// Arguments must be concrete types (signals and callbacks are).
macro_rules! split {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$attr])*
        #[cfg(keyhaven_split)]
        #[::leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible)]
        $vis fn $name($($arg: $ty),*) -> ::core::result::Result<::leptos::prelude::AnyView, $crate::AppError> {
            let view = $body;
            ::core::result::Result::Ok(::leptos::prelude::IntoAny::into_any(view))
        }

        $(#[$attr])*
        #[cfg(not(keyhaven_split))]
        $vis async fn $name($($arg: $ty),*) -> ::core::result::Result<::leptos::prelude::AnyView, $crate::AppError> {
            let view = $body;
            ::core::result::Result::Ok(::leptos::prelude::IntoAny::into_any(view))
        }
    };
}
pub(crate) use split;

#[cfg(keyhaven_split)]
impl From<leptos::wasm_split::SplitLoaderError> for AppError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        AppError::NotLoaded
    }
}

/// A screen from a split function: nothing until it is there, or the
/// reason it isn't.
pub fn page(load: impl Future<Output = Result<AnyView, AppError>> + 'static) -> impl IntoView {
    when_loaded(load, |error| view! { <ErrorLine error/> }.into_any())
}

/// A dialog from a split function; if it can't be loaded, a dialog that
/// says so, closed by `close` like the one it stands for.
pub fn dialog(
    load: impl Future<Output = Result<AnyView, AppError>> + 'static,
    close: Callback<()>,
) -> impl IntoView {
    when_loaded(load, move |error| {
        view! {
            <Dialog title="Not Loaded" on_cancel=close>
                <ErrorLine error/>
                <div class="actions">
                    <button type="button" on:click=move |_| close.run(())>"Close"</button>
                </div>
            </Dialog>
        }
        .into_any()
    })
}

/// `load`'s view once it is there, or `failed` with the reason.
fn when_loaded(
    load: impl Future<Output = Result<AnyView, AppError>> + 'static,
    failed: impl FnOnce(RwSignal<Option<String>>) -> AnyView + Send + 'static,
) -> impl IntoView {
    // Suspend wants a Send future; the page has one thread.
    let load = SendWrapper::new(load);
    Suspend::new(async move {
        load.await
            .unwrap_or_else(|e| failed(RwSignal::new(Some(e.to_string()))))
    })
}
