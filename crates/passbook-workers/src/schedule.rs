use std::time::Duration;

use rand::Rng;

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Delay before each webhook delivery attempt: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h and 10 h (about 28 hours in all). After the last, the event is marked failed.
pub const WEBHOOK_RETRY_SCHEDULE: [Duration; 8] =
    [secs(0), secs(5), secs(300), secs(1800), secs(7200), secs(18_000), secs(36_000), secs(36_000)];

/// Delay before each retry of a background job that failed for a transient reason.
pub const JOB_RETRY_SCHEDULE: [Duration; 5] = [secs(0), secs(5), secs(30), secs(120), secs(600)];

/// The delay before attempt `attempts + 1` (attempts made so far), with ±10% jitter so that
/// retries from a burst do not arrive together; `None` when the schedule is used up.
pub fn next_delay(schedule: &[Duration], attempts: u32) -> Option<Duration> {
    let base = *schedule.get(attempts as usize)?;
    Some(base.mul_f64(rand::rng().random_range(0.9..=1.1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_runs_out() {
        assert_eq!(next_delay(&WEBHOOK_RETRY_SCHEDULE, 0), Some(Duration::ZERO));
        let second = next_delay(&WEBHOOK_RETRY_SCHEDULE, 1).unwrap();
        assert!(second >= Duration::from_millis(4500) && second <= Duration::from_millis(5500));
        assert_eq!(next_delay(&WEBHOOK_RETRY_SCHEDULE, 8), None);
    }
}
