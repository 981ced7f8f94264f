//! TrueNAS's JSON-RPC 2.0 API over WebSocket, straight from the browser, so
//! TrueNAS credentials never pass through Keyhaven's server. A connection
//! opens the system's versioned endpoint when its release is known
//! (`/api/v25.10.2`), `/api/current` otherwise; it sends only the calls
//! core builds (`truenas::calls`), each checked against TrueNAS's schemas.

use std::{cell::RefCell, collections::HashMap, pin::pin, rc::Rc};

use futures::{
    channel::oneshot,
    future::{Either, select},
};
pub use keyhaven_core::truenas::{Login, RpcError, login_outcome};
use keyhaven_core::truenas::{
    calls::Call,
    version::{Endpoint, Release},
};
use serde_json::Value;
use wasm_bindgen::{JsCast, prelude::Closure};
use web_sys::{MessageEvent, WebSocket};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrueNasError {
    /// Never tried: an API key would travel without TLS.
    Insecure,
    /// No WebSocket could be opened (down, wrong address, or a certificate
    /// this browser does not trust).
    Unreachable {
        https: bool,
    },
    TimedOut,
    /// The system answered with an error.
    Call(RpcError),
    /// The system answered, but not what its API promises.
    Unexpected(&'static str),
}

impl TrueNasError {
    /// A refusal in TrueNAS's own words, for checks made here on its behalf.
    pub fn refused(reason: String) -> Self {
        Self::Call(RpcError::Call {
            errname: None,
            reason,
        })
    }
}

impl std::fmt::Display for TrueNasError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Insecure => f.write_str(
                "TrueNAS revokes an API key sent without TLS, and a password would cross the network in plain text. Use the system's https:// URL.",
            ),
            Self::Unreachable { https: true } => f.write_str(
                "unreachable, or its certificate is not trusted: open the system's URL in this browser once and accept its certificate",
            ),
            Self::Unreachable { https: false } => f.write_str("unreachable"),
            Self::TimedOut => f.write_str("timed out"),
            Self::Call(error) => error.fmt(f),
            Self::Unexpected(what) => write!(f, "the system's answer was not understood ({what})"),
        }
    }
}

impl std::error::Error for TrueNasError {}

type Pending = Rc<RefCell<HashMap<u64, oneshot::Sender<Result<Value, TrueNasError>>>>>;

pub struct TrueNasSession {
    socket: WebSocket,
    pending: Pending,
    next_id: RefCell<u64>,
    _on_message: Closure<dyn Fn(MessageEvent)>,
}

impl Drop for TrueNasSession {
    fn drop(&mut self) {
        let _ = self.socket.close();
    }
}

pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// `future`, or [`TrueNasError::TimedOut`] after `ms`.
async fn within<T>(
    ms: i32,
    future: impl Future<Output = Result<T, TrueNasError>>,
) -> Result<T, TrueNasError> {
    match select(pin!(future), pin!(sleep(ms))).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => Err(TrueNasError::TimedOut),
    }
}

impl TrueNasSession {
    /// Opens the API of a system of this release: its pinned endpoint when
    /// Keyhaven knows the release, and `/api/current` when that endpoint
    /// is refused at once (an upgrade dropped it) or the release is unknown.
    pub async fn open(
        base_url: &str,
        release: Option<Release>,
        timeout_ms: i32,
    ) -> Result<TrueNasSession, TrueNasError> {
        let endpoint = Endpoint::for_release(release);
        match Self::open_at(base_url, endpoint, timeout_ms).await {
            Err(TrueNasError::Unreachable { .. }) if endpoint != Endpoint::Current => {
                Self::open_at(base_url, Endpoint::Current, timeout_ms).await
            }
            outcome => outcome,
        }
    }

    /// Opens `wss://HOST/api/…` (or `ws://` for an `http://` URL).
    async fn open_at(
        base_url: &str,
        endpoint: Endpoint,
        timeout_ms: i32,
    ) -> Result<TrueNasSession, TrueNasError> {
        let https = base_url.starts_with("https://");
        let url = format!(
            "{}{}",
            base_url
                .replacen("https://", "wss://", 1)
                .replacen("http://", "ws://", 1),
            endpoint.path()
        );
        let socket = WebSocket::new(&url).map_err(|_| TrueNasError::Unreachable { https })?;
        let (opened, on_open_result) = oneshot::channel::<bool>();
        let opened = Rc::new(RefCell::new(Some(opened)));
        let (on_open, on_error) = (opened.clone(), opened);
        let open_handler = Closure::<dyn Fn()>::new(move || {
            if let Some(tx) = on_open.borrow_mut().take() {
                let _ = tx.send(true);
            }
        });
        let error_handler = Closure::<dyn Fn()>::new(move || {
            if let Some(tx) = on_error.borrow_mut().take() {
                let _ = tx.send(false);
            }
        });
        socket.set_onopen(Some(open_handler.as_ref().unchecked_ref()));
        socket.set_onerror(Some(error_handler.as_ref().unchecked_ref()));
        socket.set_onclose(Some(error_handler.as_ref().unchecked_ref()));
        let pending: Pending = Rc::default();
        let replies = pending.clone();
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            let Some((id, outcome)) = keyhaven_core::truenas::reply(&text) else {
                return;
            };
            let outcome = outcome.map_err(TrueNasError::Call);
            if let Some(tx) = replies.borrow_mut().remove(&id) {
                let _ = tx.send(outcome);
            }
        });
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let opened = within(timeout_ms, async {
            match on_open_result.await {
                Ok(true) => Ok(()),
                _ => Err(TrueNasError::Unreachable { https }),
            }
        })
        .await;
        socket.set_onopen(None);
        socket.set_onerror(None);
        socket.set_onclose(None);
        drop((open_handler, error_handler));
        opened?;
        Ok(TrueNasSession {
            socket,
            pending,
            next_id: RefCell::new(0),
            _on_message: on_message,
        })
    }

    /// Sends `call`, waiting at most `timeout_ms` for its answer.
    pub async fn call(&self, call: Call, timeout_ms: i32) -> Result<Value, TrueNasError> {
        let id = {
            let mut next = self.next_id.borrow_mut();
            *next += 1;
            *next
        };
        let (tx, rx) = oneshot::channel();
        self.pending.borrow_mut().insert(id, tx);
        self.socket
            .send_with_str(&call.request(id))
            .map_err(|_| TrueNasError::Unreachable { https: false })?;
        within(timeout_ms, async {
            rx.await
                .unwrap_or(Err(TrueNasError::Unreachable { https: false }))
        })
        .await
    }
}
