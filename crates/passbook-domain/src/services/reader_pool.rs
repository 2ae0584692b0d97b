//! Statement files are read on a small pool of threads: at most `threads` files at once in the
//! process, one at a time per app with a short queue behind it (more are refused with 429), and
//! each within a deadline that the readers enforce themselves. One app's flood of uploads waits
//! in its own queue and never holds every reader; a file built to take long stops at the
//! deadline.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::{Error, Result, read_deadline};

pub struct ReaderPool {
    threads: Arc<Semaphore>,
    apps: Mutex<HashMap<String, AppQueue>>,
    queue_per_app: usize,
    deadline: Duration,
}

/// One app's reads: one runs, the others wait their turn.
struct AppQueue {
    turn: Arc<Semaphore>,
    /// Reads running or waiting.
    entered: usize,
}

/// How the pool is sized.
#[derive(Debug, Clone, Copy)]
pub struct ReaderLimits {
    pub threads: usize,
    /// Reads one app may have running or waiting before more are refused.
    pub queue_per_app: usize,
    pub deadline: Duration,
}

impl Default for ReaderLimits {
    fn default() -> Self {
        Self { threads: 2, queue_per_app: 4, deadline: Duration::from_secs(5) }
    }
}

impl ReaderPool {
    pub fn new(limits: ReaderLimits) -> Self {
        Self {
            threads: Arc::new(Semaphore::new(limits.threads.max(1))),
            apps: Mutex::new(HashMap::new()),
            queue_per_app: limits.queue_per_app.max(1),
            deadline: limits.deadline,
        }
    }

    /// Runs `read` on a reader thread when it is the app's turn and a thread is free.
    pub async fn read<T: Send + 'static>(&self, app_id: &str, read: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let (turn, _entered) = self.enter(app_id)?;
        let _turn = turn.acquire_owned().await.map_err(|_| Error::Internal("the reader pool closed".into()))?;
        let thread =
            self.threads.clone().acquire_owned().await.map_err(|_| Error::Internal("the reader pool closed".into()))?;
        let deadline = self.deadline;
        tokio::task::spawn_blocking(move || {
            let _thread = thread;
            let _deadline = read_deadline::start(deadline);
            read()
        })
        .await
        .map_err(|e| Error::Internal(format!("the statement reader stopped: {e}")))
    }

    fn enter(&self, app_id: &str) -> Result<(Arc<Semaphore>, Entered<'_>)> {
        let mut apps = self.apps.lock().expect("reader queues");
        let queue = apps
            .entry(app_id.to_string())
            .or_insert_with(|| AppQueue { turn: Arc::new(Semaphore::new(1)), entered: 0 });
        if queue.entered >= self.queue_per_app {
            return Err(Error::TooManyAttempts(format!(
                "This app already has {} statement files being read; try again when they are done",
                queue.entered
            )));
        }
        queue.entered += 1;
        Ok((queue.turn.clone(), Entered { pool: self, app_id: app_id.to_string() }))
    }
}

/// Leaves the app's queue when the read ends (or its caller gave up waiting).
struct Entered<'a> {
    pool: &'a ReaderPool,
    app_id: String,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        let mut apps = self.pool.apps.lock().expect("reader queues");
        if let Some(queue) = apps.get_mut(&self.app_id) {
            queue.entered -= 1;
            if queue.entered == 0 {
                apps.remove(&self.app_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use super::*;

    /// One app's queue fills and refuses; another app is read meanwhile, on the free thread.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_app_waits_in_its_own_queue_and_another_is_read_meanwhile() {
        let pool =
            Arc::new(ReaderPool::new(ReaderLimits { threads: 2, queue_per_app: 3, deadline: Duration::from_secs(5) }));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let slow = |running: Arc<AtomicUsize>, most: Arc<AtomicUsize>| {
            move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(150));
                running.fetch_sub(1, Ordering::SeqCst);
            }
        };
        let flood: Vec<_> = (0..3)
            .map(|_| {
                let (pool, work) = (pool.clone(), slow(running.clone(), most.clone()));
                tokio::spawn(async move { pool.read("flooder", work).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(30)).await;
        let refused = pool.read("flooder", || ()).await;
        assert!(matches!(refused, Err(Error::TooManyAttempts(_))), "{refused:?}");
        let started = Instant::now();
        pool.read("other", || ()).await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(140), "not behind the flooder's files");
        for read in flood {
            read.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "one app's files are read one at a time");
        assert!(pool.apps.lock().unwrap().is_empty(), "every queue left");
    }

    #[tokio::test]
    async fn the_deadline_is_set_on_the_reading_thread() {
        let pool = ReaderPool::new(ReaderLimits { deadline: Duration::ZERO, ..ReaderLimits::default() });
        let checked = pool
            .read("app", || {
                std::thread::sleep(Duration::from_millis(2));
                read_deadline::check()
            })
            .await
            .unwrap();
        assert!(checked.is_err());
    }
}
