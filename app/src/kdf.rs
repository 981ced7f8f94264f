//! The slow KDFs in the Web Worker (`bin/worker.rs`), from the page:
//! Argon2id for the keyring and bcrypt-pbkdf for passphrase-protected SSH
//! keys. One worker, started ahead of need and kept warm (its first
//! derivation also grows its memory); requests wait until it is ready.
//! The worker shares Argon2's lanes with helper workers of its own when the
//! page is cross-origin isolated (`lanes.rs`).

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use futures::channel::oneshot;
use keyhaven_core::keyring::{KdfParams, Kek};
use wasm_bindgen::{JsCast, prelude::Closure};
use web_sys::{MessageEvent, Worker};
use zeroize::Zeroizing;

use crate::{
    error::{AppError, BrowserFailure},
    worker::protocol::{Reply, Request},
};

type Answer = Result<Zeroizing<Vec<u8>>, AppError>;

struct KdfWorker {
    worker: Worker,
    ready: bool,
    /// Requests made before the worker was ready.
    queued: Vec<Request>,
    pending: HashMap<u32, oneshot::Sender<Answer>>,
    next_id: u32,
}

thread_local! {
    static WORKER: RefCell<Option<Rc<RefCell<KdfWorker>>>> = const { RefCell::new(None) };
}

fn worker() -> Result<Rc<RefCell<KdfWorker>>, AppError> {
    if let Some(existing) = WORKER.with(|w| w.borrow().clone()) {
        return Ok(existing);
    }
    let worker = Worker::new("/worker-boot.js")
        .map_err(|_| AppError::Browser(BrowserFailure::WorkerRefused))?;
    let state = Rc::new(RefCell::new(KdfWorker {
        worker: worker.clone(),
        ready: false,
        queued: Vec::new(),
        pending: HashMap::new(),
        next_id: 0,
    }));
    let handler_state = state.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let mut state = handler_state.borrow_mut();
        let (id, answer) = match Reply::from_js(&event.data()) {
            Some(Reply::Ready) => {
                state.ready = true;
                for request in std::mem::take(&mut state.queued) {
                    let _ = request.post(&state.worker);
                }
                return;
            }
            Some(Reply::Key { id, key, threads }) => {
                // Said where an administrator (and the e2e tests) can see
                // it: whether Argon2 got the shared memory its parallel
                // lanes need.
                if let Some(threads) = threads {
                    let note = format!("Keyhaven: Argon2id ran on {threads} thread(s).");
                    web_sys::console::info_1(&note.into());
                }
                (id, Ok(key))
            }
            Some(Reply::Failed { id, message }) => {
                (id, Err(AppError::Browser(BrowserFailure::Worker(message))))
            }
            None => return,
        };
        if let Some(sender) = state.pending.remove(&id) {
            let _ = sender.send(answer);
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    WORKER.with(|w| *w.borrow_mut() = Some(state.clone()));
    Ok(state)
}

/// Starts the worker ahead of need (a passphrase dialog opened), so its
/// download and compilation are not part of unlocking.
pub fn warm_up() {
    let _ = worker();
}

/// Argon2id of `secret` in the worker.
pub async fn derive(secret: &[u8], salt: &[u8; 16], params: KdfParams) -> Result<Kek, AppError> {
    let key = request(|id| Request::Argon2id {
        id,
        secret: Zeroizing::new(secret.to_vec()),
        salt: *salt,
        params,
    })
    .await?;
    let key: [u8; 32] = key[..]
        .try_into()
        .map_err(|_| AppError::Browser(BrowserFailure::MalformedKey))?;
    Ok(Kek::from_bytes(key))
}

/// bcrypt-pbkdf (an encrypted OpenSSH key's KDF) in the worker: `length`
/// bytes of cipher key and IV.
pub async fn bcrypt(
    passphrase: &[u8],
    salt: &[u8],
    rounds: u32,
    length: usize,
) -> Result<Zeroizing<Vec<u8>>, AppError> {
    request(|id| Request::Bcrypt {
        id,
        secret: Zeroizing::new(passphrase.to_vec()),
        salt: salt.to_vec(),
        rounds,
        length: length as u32,
    })
    .await
}

/// Posts one request (queued until the worker is ready) and awaits its
/// answer.
async fn request(make: impl FnOnce(u32) -> Request) -> Answer {
    let worker = worker()?;
    let (sender, receiver) = oneshot::channel();
    {
        let mut state = worker.borrow_mut();
        state.next_id += 1;
        let id = state.next_id;
        let request = make(id);
        state.pending.insert(id, sender);
        if state.ready {
            let _ = request.post(&state.worker);
        } else {
            state.queued.push(request);
        }
    }
    receiver
        .await
        .map_err(|_| AppError::Browser(BrowserFailure::WorkerStopped))?
}
