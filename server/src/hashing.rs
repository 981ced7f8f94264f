//! Password hashes are what a stranger can make this server do at will:
//! each sign-in (and each unknown name, which checks a dummy hash) costs an
//! Argon2 pass over 19 MiB. A fixed number run at once, sized from the
//! cores and memory; a bounded number wait for a turn; beyond that the
//! answer is 503 with `Retry-After` at once, so a burst can neither
//! exhaust memory nor pile up work without end.

use tokio::sync::Semaphore;

use crate::Error;

/// Memory one hash needs, with room for the rest of the request.
const MIB_PER_HASH: u64 = 32;
/// Requests that may wait for a turn, per hash running.
const WAITING_PER_PERMIT: usize = 64;

pub(crate) struct HashGate {
    running: Semaphore,
    waiting: Semaphore,
}

impl HashGate {
    pub(crate) fn new(running: usize, waiting: usize) -> Self {
        Self {
            running: Semaphore::new(running.max(1)),
            waiting: Semaphore::new(waiting.max(1)),
        }
    }

    /// One hash per core, fewer when memory is short.
    pub(crate) fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let by_memory = available_memory_mib().map_or(cores, |mib| (mib / MIB_PER_HASH) as usize);
        let running = cores.min(by_memory).max(1);
        Self::new(running, running * WAITING_PER_PERMIT)
    }

    /// Runs `hash` on the blocking pool when its turn comes.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        hash: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let Ok(_waiting) = self.waiting.try_acquire() else {
            tracing::warn!("password hashing at capacity: answering 503");
            return Err(Error::Busy {
                retry_after_secs: 1,
            });
        };
        let _running = self
            .running
            .acquire()
            .await
            .map_err(|_| Error::Hashing("the hashing gate is closed".into()))?;
        tokio::task::spawn_blocking(hash)
            .await
            .map_err(|e| Error::Hashing(format!("the hashing task failed: {e}")))
    }
}

/// `MemAvailable` from /proc/meminfo, where there is one.
fn available_memory_mib() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::*;

    #[tokio::test]
    async fn beyond_the_waiting_room_the_answer_is_busy_at_once() {
        let gate = Arc::new(HashGate::new(1, 2));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(std::sync::Mutex::new(hold));
        // Two requests take the waiting room (one runs, one waits) ...
        let mut inside = Vec::new();
        for _ in 0..2 {
            let (gate, hold) = (gate.clone(), hold.clone());
            inside.push(tokio::spawn(async move {
                gate.run(move || {
                    let _ = hold.lock().unwrap().recv();
                })
                .await
            }));
        }
        while gate.waiting.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        // ... so the third is refused without waiting.
        let started = std::time::Instant::now();
        assert!(matches!(
            gate.run(|| ()).await,
            Err(Error::Busy {
                retry_after_secs: 1
            })
        ));
        assert!(started.elapsed() < Duration::from_secs(1));
        for _ in 0..2 {
            release.send(()).unwrap();
        }
        for task in inside {
            assert!(task.await.unwrap().is_ok());
        }
        assert!(gate.run(|| 7).await.is_ok());
    }

    #[test]
    fn the_machine_gets_at_least_one_hash_at_a_time() {
        let gate = HashGate::for_this_machine();
        assert!(gate.running.available_permits() >= 1);
        assert!(gate.waiting.available_permits() >= WAITING_PER_PERMIT);
    }
}
