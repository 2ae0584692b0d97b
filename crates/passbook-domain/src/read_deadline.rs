//! How long reading one statement file may take. The reader pool sets a deadline on the thread
//! that reads; every reader checks it in its loops, so a file built to take long stops within
//! moments of the deadline, whether or not anyone still waits for the answer (a request that
//! timed out does not stop a blocking thread).
use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::statement_file::ReadError;

thread_local! {
    static DEADLINE: Cell<Option<(Instant, Duration)>> = const { Cell::new(None) };
}

/// Clears the thread's deadline when the read ends.
pub struct Guard(());

impl Drop for Guard {
    fn drop(&mut self) {
        DEADLINE.set(None);
    }
}

/// Starts the clock for a read on this thread.
pub fn start(allowed: Duration) -> Guard {
    DEADLINE.set(Some((Instant::now() + allowed, allowed)));
    Guard(())
}

/// `Err` once the read on this thread has run past its deadline; `Ok` on a thread without one
/// (tests and tools that call a reader directly).
pub fn check() -> Result<(), ReadError> {
    match DEADLINE.get() {
        Some((deadline, allowed)) if Instant::now() > deadline => Err(ReadError::Unsafe(format!(
            "reading it took longer than the {} s a statement may take",
            allowed.as_secs_f32()
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_past_its_deadline_is_stopped_and_the_next_read_starts_afresh() {
        assert!(check().is_ok(), "no deadline, no limit");
        {
            let _read = start(Duration::ZERO);
            std::thread::sleep(Duration::from_millis(2));
            assert!(matches!(check(), Err(ReadError::Unsafe(m)) if m.contains("longer than the 0 s")));
        }
        assert!(check().is_ok(), "the guard cleared it");
    }
}
