//! Argon2id on several threads: the key worker (or a test page) starts one
//! helper worker per core (`public/argon2-lane.js`), each running the
//! `argon2/module` wasm over one shared `WebAssembly.Memory`. This side does
//! the BLAKE2b ends of Argon2 (`core::keyring::argon2id`): it writes each
//! lane's first two blocks, shares the lanes out, waits for the threads,
//! reads the last column and makes the tag — then wipes the memory.
//!
//! Shared memory exists only when the page is cross-origin isolated (the
//! server sends COOP and COEP); without it, or on one core, [`Lanes::start`]
//! says no and the caller derives on its own thread, with the same result.

use std::{cell::RefCell, rc::Rc};

use futures::channel::oneshot;
use js_sys::{Object, Reflect, Uint8Array, WebAssembly};
use keyhaven_core::keyring::{
    KdfParams,
    argon2id::{self, Argon2id, BLOCK_BYTES, Inputs},
};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use web_sys::{ErrorEvent, MessageEvent, Worker};
use zeroize::Zeroizing;

use super::protocol::{LaneJob, LaneReply};
use crate::error::{AppError, BrowserFailure};

/// `argon2/module`, built for the shared memory by `build.rs`.
pub static MODULE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/argon2_lanes.wasm"));

/// The memory's layout: the module's own statics below 64 KiB (it has none
/// today), the threads' meeting point, their scratch space, then the blocks.
const RESERVED: u32 = 64 * 1024;
const BARRIER_AT: u32 = RESERVED;
const SCRATCH_AT: u32 = RESERVED + 1024;
const SCRATCH_BYTES: u32 = argon2id::SCRATCH_BYTES as u32;
const BLOCKS_AT: u32 = 128 * 1024;
const PAGE: u32 = 64 * 1024;
/// Room for this many threads' scratch below the blocks.
const MAX_THREADS: u32 = (BLOCKS_AT - SCRATCH_AT) / SCRATCH_BYTES;

/// Memory per lane of the warm-up: enough work for the browser to move the
/// fill to its optimising compiler (measured: the first unlock after it
/// takes as long as the tenth).
const WARM_UP_KIB_PER_LANE: u32 = 1024;

/// A pool of Argon2 threads, kept warm between derivations.
pub struct Lanes {
    module: WebAssembly::Module,
    helpers: Vec<Helper>,
    /// The derivation under way: how many threads are still to answer.
    gather: Rc<RefCell<Option<Gather>>>,
    /// One derivation at a time: the next waits for the memory and threads.
    turn: futures::lock::Mutex<()>,
    /// A thread failed (the others may wait at the barrier for ever): the
    /// pool is of no more use.
    broken: std::cell::Cell<bool>,
}

impl Lanes {
    /// Threads for Argon2 when this page is cross-origin isolated and has
    /// two cores or more; `None` otherwise (nothing to gain, or no shared
    /// memory to gain it with). `script` is the helper's URL.
    pub fn start(script: &str) -> Option<Self> {
        let global = js_sys::global();
        let isolated = Reflect::get(&global, &"crossOriginIsolated".into()).ok()?;
        if isolated.as_bool() != Some(true) {
            return None;
        }
        let navigator = Reflect::get(&global, &"navigator".into()).ok()?;
        let cores = Reflect::get(&navigator, &"hardwareConcurrency".into())
            .ok()?
            .as_f64()?;
        let threads = (cores as u32).min(MAX_THREADS);
        if threads < 2 {
            return None;
        }
        let module = WebAssembly::Module::new(&Uint8Array::from(MODULE).into()).ok()?;
        if !fits_below_reserved(&module)? {
            return None;
        }
        let gather = Rc::default();
        let helpers = (0..threads)
            .map(|_| Helper::start(script, &gather))
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            module,
            helpers,
            gather,
            turn: futures::lock::Mutex::new(()),
            broken: std::cell::Cell::new(false),
        })
    }

    /// How many threads share the lanes.
    pub fn threads(&self) -> usize {
        self.helpers.len()
    }

    /// A small Argon2id through every thread, right after the start: the
    /// browser compiles wasm in two tiers, and the first real derivation
    /// would otherwise run (in part) on the slow first tier while the fast
    /// one is made. A derivation asked for meanwhile waits its turn.
    pub async fn warm_up(&self) -> Result<(), AppError> {
        let inputs = Inputs::keyring(b"warm-up", &[0; 16]);
        let lanes = self.threads() as u32;
        let params = KdfParams {
            memory_kib: WARM_UP_KIB_PER_LANE * lanes,
            passes: 1,
            lanes,
        };
        self.hash(&inputs, params).await.map(drop)
    }

    /// Whether a thread failed: then drop the pool (its workers end).
    pub fn is_broken(&self) -> bool {
        self.broken.get()
    }

    /// Argon2id of `inputs`, its lanes filled in parallel. On an error,
    /// derive on one thread instead; if [`Lanes::is_broken`] says so, the
    /// pool is done too. (A memory the browser refused breaks nothing.)
    pub async fn hash(
        &self,
        inputs: &Inputs<'_>,
        params: KdfParams,
    ) -> Result<Zeroizing<Vec<u8>>, AppError> {
        let _turn = self.turn.lock().await;
        if self.is_broken() {
            return Err(failed("a thread failed earlier"));
        }
        let argon = Argon2id::new(inputs, params)?;
        let geometry = argon.geometry();
        let size = BLOCKS_AT as usize + geometry.blocks() * BLOCK_BYTES;
        let pages =
            u32::try_from(size.div_ceil(PAGE as usize)).map_err(|_| failed("too much memory"))?;
        let memory = shared_memory(pages)?;
        let buffer = memory.buffer();
        let at = |lane: u32, column: u32| {
            BLOCKS_AT + (geometry.index(lane, column) * BLOCK_BYTES) as u32
        };
        for lane in 0..geometry.lanes() {
            view(&buffer, at(lane, 0), 2 * BLOCK_BYTES).copy_from(&argon.first_blocks(lane)[..]);
        }
        let threads = self.helpers.len().min(geometry.lanes() as usize) as u32;
        let (done, finished) = oneshot::channel();
        *self.gather.borrow_mut() = Some(Gather {
            remaining: threads,
            done,
        });
        for (thread, helper) in (0..threads).zip(&self.helpers) {
            let first_lane = thread * geometry.lanes() / threads;
            let next_lane = (thread + 1) * geometry.lanes() / threads;
            let job = LaneJob {
                blocks: BLOCKS_AT,
                scratch: SCRATCH_AT + thread * SCRATCH_BYTES,
                barrier: BARRIER_AT,
                lanes: geometry.lanes(),
                lane_length: geometry.lane_length(),
                passes: geometry.passes(),
                first_lane,
                lane_count: next_lane - first_lane,
                threads,
            };
            let posted = helper.post(&self.module, &memory, &job);
            if posted.is_err() {
                report(&self.gather, posted);
            }
        }
        let outcome = finished
            .await
            .unwrap_or_else(|_| Err(failed("a thread stopped")));
        if outcome.is_err() {
            self.broken.set(true);
        }
        let mut last_column = Zeroizing::new(vec![0; geometry.lanes() as usize * BLOCK_BYTES]);
        if outcome.is_ok() {
            let last = geometry.lane_length() - 1;
            for (lane, block) in last_column.chunks_exact_mut(BLOCK_BYTES).enumerate() {
                view(&buffer, at(lane as u32, last), BLOCK_BYTES).copy_to(block);
            }
        }
        // The blocks are as secret as the passphrase they stretch.
        Uint8Array::new(&buffer).fill(0, 0, size as u32);
        outcome?;
        Ok(argon.tag(&last_column))
    }
}

impl Drop for Lanes {
    fn drop(&mut self) {
        for helper in &self.helpers {
            helper.worker.terminate();
        }
    }
}

/// Threads still to answer, and where to say when all have (or one failed).
struct Gather {
    remaining: u32,
    done: oneshot::Sender<Result<(), AppError>>,
}

/// One thread's answer: the derivation is over when the last succeeds or
/// the first fails (the others then wait for it forever, until the pool is
/// dropped and its workers end).
fn report(gather: &RefCell<Option<Gather>>, outcome: Result<(), AppError>) {
    let mut current = gather.borrow_mut();
    let Some(waiting) = current.as_mut() else {
        return;
    };
    waiting.remaining -= 1;
    if (outcome.is_err() || waiting.remaining == 0)
        && let Some(waiting) = current.take()
    {
        let _ = waiting.done.send(outcome);
    }
}

/// One helper worker.
struct Helper {
    worker: Worker,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_error: Closure<dyn Fn(ErrorEvent)>,
}

impl Helper {
    fn start(script: &str, gather: &Rc<RefCell<Option<Gather>>>) -> Option<Self> {
        let worker = Worker::new(script).ok()?;
        let answer = gather.clone();
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let outcome = match LaneReply::from_js(&event.data()) {
                LaneReply::Done => Ok(()),
                LaneReply::Failed(why) => Err(failed(&why)),
            };
            report(&answer, outcome);
        });
        let answer = gather.clone();
        let on_error = Closure::<dyn Fn(ErrorEvent)>::new(move |event: ErrorEvent| {
            report(&answer, Err(failed(&event.message())));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Self {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    fn post(
        &self,
        module: &WebAssembly::Module,
        memory: &WebAssembly::Memory,
        job: &LaneJob,
    ) -> Result<(), AppError> {
        let message = Object::new();
        let _ = Reflect::set(&message, &"module".into(), module);
        let _ = Reflect::set(&message, &"memory".into(), memory);
        let _ = Reflect::set(&message, &"job".into(), &job.to_js());
        self.worker
            .post_message(&message)
            .map_err(|_| failed("the browser refused to share the memory"))
    }
}

fn failed(why: &str) -> AppError {
    AppError::Browser(BrowserFailure::Lanes(why.to_owned()))
}

/// A shared memory of exactly `pages` pages (zeroed, as new memory is).
fn shared_memory(pages: u32) -> Result<WebAssembly::Memory, AppError> {
    let descriptor = Object::new();
    let _ = Reflect::set(&descriptor, &"initial".into(), &pages.into());
    let _ = Reflect::set(&descriptor, &"maximum".into(), &pages.into());
    let _ = Reflect::set(&descriptor, &"shared".into(), &JsValue::TRUE);
    WebAssembly::Memory::new(&descriptor).map_err(|_| failed("the browser refused the memory"))
}

/// Whether the module's own statics end below [`RESERVED`], read from an
/// instance over a small memory.
fn fits_below_reserved(module: &WebAssembly::Module) -> Option<bool> {
    let memory = shared_memory(RESERVED / PAGE + 1).ok()?;
    let env = Object::new();
    Reflect::set(&env, &"memory".into(), &memory).ok()?;
    let imports = Object::new();
    Reflect::set(&imports, &"env".into(), &env).ok()?;
    let instance = WebAssembly::Instance::new(module, &imports).ok()?;
    let heap_base = Reflect::get(&instance.exports(), &"__heap_base".into()).ok()?;
    let value = Reflect::get(&heap_base, &"value".into()).ok()?.as_f64()?;
    Some(value <= f64::from(RESERVED))
}

fn view(buffer: &JsValue, at: u32, length: usize) -> Uint8Array {
    Uint8Array::new_with_byte_offset_and_length(buffer, at, length as u32)
}
