//! Several tabs of one browser share one saved copy of the account
//! (IndexedDB). Each tab writes it by reading what is there, merging its
//! own state into it and writing the result, all under one browser-wide
//! Web Lock, so no tab writes over another's unsynced edit; then it tells
//! the other tabs (BroadcastChannel), which take the change in at once.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use web_sys::BroadcastChannel;

const LOCK: &str = "keyhaven-saved-copy";
const CHANNEL: &str = "keyhaven-saved-copy";

/// The browser-wide lock on the saved copy, held until dropped. Without
/// Web Locks (an insecure context) it holds nothing: one tab is all there
/// is to coordinate with what such a browser offers.
pub struct Lock {
    /// Resolves the promise the lock waits on: dropping it lets go.
    release: Option<Function>,
    _granted: Option<Closure<dyn FnMut(JsValue) -> Promise>>,
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(release) = &self.release {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Waits for the browser-wide lock on the saved copy.
pub async fn lock() -> Lock {
    let unlocked = Lock {
        release: None,
        _granted: None,
    };
    let Some((locks, request)) = lock_manager() else {
        return unlocked;
    };
    let (granted_tx, granted_rx) = futures::channel::oneshot::channel::<Function>();
    let mut granted_tx = Some(granted_tx);
    // Granted: hold it with a promise that settles when the guard drops.
    let granted = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |_lock: JsValue| {
        let mut tx = granted_tx.take();
        Promise::new(&mut |resolve, _reject| {
            if let Some(tx) = tx.take() {
                let _ = tx.send(resolve);
            }
        })
    });
    if request
        .call2(&locks, &LOCK.into(), granted.as_ref().unchecked_ref())
        .is_err()
    {
        return unlocked;
    }
    match granted_rx.await {
        Ok(release) => Lock {
            release: Some(release),
            _granted: Some(granted),
        },
        Err(_) => unlocked,
    }
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
