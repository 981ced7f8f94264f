//! Several tabs of one browser share one saved copy of the account
//! (IndexedDB). Each tab writes it by reading what is there, merging its
//! own state into it and writing the result, all under one browser-wide
//! Web Lock, so no tab writes over another's unsynced edit; then it tells
//! the other tabs (BroadcastChannel), which take the change in at once.

use std::future::Future;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::BroadcastChannel;

const LOCK: &str = "keyhaven-saved-copy";
const CHANNEL: &str = "keyhaven-saved-copy";

/// Runs `work` holding the browser-wide lock on the saved copy. Without
/// Web Locks (an insecure context) it just runs: one tab is all there is
/// to coordinate with what such a browser offers.
pub async fn exclusive(work: impl Future<Output = ()> + 'static) {
    let Some((locks, request)) = lock_manager() else {
        work.await;
        return;
    };
    let mut work = Some(work);
    let held = Closure::once(move |_lock: JsValue| -> Promise {
        let work = work.take().expect("called once");
        future_to_promise(async move {
            work.await;
            Ok(JsValue::UNDEFINED)
        })
    });
    let Ok(released) = request
        .call2(&locks, &LOCK.into(), held.as_ref().unchecked_ref())
        .and_then(|p| p.dyn_into::<Promise>())
    else {
        return;
    };
    let _ = JsFuture::from(released).await;
}

fn lock_manager() -> Option<(JsValue, Function)> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    if locks.is_undefined() {
        return None;
    }
    let request = Reflect::get(&locks, &"request".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    Some((locks, request))
}

/// Tells the other tabs that the saved copy changed.
pub fn announce() {
    if let Ok(channel) = BroadcastChannel::new(CHANNEL) {
        let _ = channel.post_message(&JsValue::TRUE);
        channel.close();
    }
}

/// Calls `changed` whenever another tab changed the saved copy, as long as
/// the page lives.
pub fn listen(changed: impl Fn() + 'static) {
    let Ok(channel) = BroadcastChannel::new(CHANNEL) else {
        return;
    };
    let on_message = Closure::<dyn Fn()>::new(changed);
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // The channel must outlive this call to keep receiving.
    std::mem::forget(channel);
}
