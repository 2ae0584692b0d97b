//! Giving freed memory back to the system. Rust's allocations go to mimalloc (`main.rs`), which
//! returns what it frees on its own; this module tunes glibc's allocator, which SQLite and the
//! other C libraries still use. glibc keeps what a burst of work freed in its arenas rather than
//! returning it, and with one arena per thread up to 8 per core, the few live objects left in
//! each keep whole pages resident. Measured with `scripts/memory-flood.py` (docs/performance.md,
//! "Memory after a flood"): an idle server stayed at 533 MB after a burst of uploads and PDF
//! builds. So the process uses few glibc arenas and trims them now and then (with little freed
//! since the last time, a trim costs about a millisecond).
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often freed memory is given back: `PASSBOOK_TRIM_MEMORY_SECS` (0: never), else 10 s.
fn every() -> Option<Duration> {
    let secs = std::env::var("PASSBOOK_TRIM_MEMORY_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// Gives freed memory back every so often until `shutdown`.
pub fn give_back_freed_memory(mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let Some(every) = every() else { return };
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {
                    let started = Instant::now();
                    // A trim walks the allocator's arenas under their locks: off the async threads.
                    let released = tokio::task::spawn_blocking(trim).await.unwrap_or(false);
                    tracing::debug!(released, took = ?started.elapsed(), "gave freed memory back");
                }
                _ = shutdown.changed() => return,
            }
        }
    })
}

/// Caps the allocator's arenas at the number of cores (2 to 8), unless the operator set
/// `MALLOC_ARENA_MAX`. Call before any thread is started.
pub fn limit_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    set_arena_max(i32::try_from(cores.clamp(2, 8)).unwrap_or(8));
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn set_arena_max(arenas: i32) {
    // SAFETY: `mallopt` changes a tuning parameter of the allocator; called before other
    // threads exist, as glibc asks.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_arena_max(_: i32) {}

/// Returns whether any memory went back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() -> bool {
    // SAFETY: `malloc_trim` only releases free memory at the top of each arena and free pages
    // inside them; it is safe to call at any time from any thread.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Other allocators (musl's, the BSDs', macOS's) return memory on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() -> bool {
    false
}
