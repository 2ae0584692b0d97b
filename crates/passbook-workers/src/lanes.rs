//! What the dispatcher holds: events it leased, waiting to be sent or being sent, per app.
//!
//! A worker leases up to `ahead` times an app's limit of its events, and sends at most the limit
//! at once itself: a delivery that finishes is followed at once by the app's next waiting event,
//! without waiting for the database (whose turn, on PostgreSQL, took longer than a delivery).
//! The limit still holds over all workers because each lease names its worker (`locked_by`,
//! migration 0018) and an app whose live leases are partly another worker's is allowed only its
//! limit over all of them (`fair_claim.rs`).
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use passbook_domain::Timestamp;
use passbook_domain::model::{App, AppId, EventId, PendingEvent};

/// A claimed event, with what it needs to be sent.
pub struct Leased {
    pub event: PendingEvent,
    /// Its app, or why it could not be read.
    pub app: Result<Option<Arc<App>>, String>,
    /// When it was claimed (its lease began).
    pub claimed_at: Timestamp,
}

pub struct Lanes {
    /// Deliveries at once over all apps, and to one app.
    concurrency: usize,
    per_app: u32,
    /// How many times its concurrency the worker holds at most (and an app's limit it leases).
    ahead: u32,
    /// How long an event may wait to be sent and still leave its lease room for its timeout and
    /// its record ([`crate::dispatcher`]'s `lease_ahead`).
    max_wait: Duration,
    waiting: VecDeque<Leased>,
    sending: usize,
    sending_to: HashMap<AppId, u32>,
    /// Leased and not yet recorded: waiting, being sent, or sent.
    held: usize,
}

impl Lanes {
    pub fn new(concurrency: usize, per_app: u32, ahead: u32, max_wait: Duration) -> Self {
        Self {
            concurrency,
            per_app,
            ahead,
            max_wait,
            waiting: VecDeque::new(),
            sending: 0,
            sending_to: HashMap::new(),
            held: 0,
        }
    }

    /// How many more events this worker may lease, holding at most `ahead` times its
    /// concurrency, once `recording` of those it holds are recorded.
    pub fn free(&self, recording: usize) -> usize {
        (self.concurrency * self.ahead as usize).saturating_sub(self.held - recording)
    }

    pub fn ahead(&self) -> u32 {
        self.ahead
    }

    /// Newly claimed events, to be sent in claim order.
    pub fn hold(&mut self, leased: impl IntoIterator<Item = Leased>) {
        for event in leased {
            self.held += 1;
            self.waiting.push_back(event);
        }
    }

    /// The waiting events that may be sent now, marked as being sent: in claim order, each
    /// within its app's limit and the worker's. One that waited too long to be sent and recorded
    /// within its lease is let go (it is due again when the lease ends; it was never sent).
    pub fn start_sending(&mut self, now: Timestamp) -> Vec<Leased> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.waiting.len() && self.sending < self.concurrency {
            let app = &self.waiting[i].event.app_id;
            if self.sending_to.get(app).is_some_and(|n| *n >= self.per_app) {
                i += 1;
                continue;
            }
            let Some(leased) = self.waiting.remove(i) else { break };
            let waited = Duration::from_millis(u64::try_from(now.0 - leased.claimed_at.0).unwrap_or(0));
            if waited > self.max_wait {
                tracing::warn!(id = %leased.event.id, "a leased webhook event waited too long to be sent; it will come due again");
                self.held -= 1;
                continue;
            }
            self.sending += 1;
            *self.sending_to.entry(leased.event.app_id.clone()).or_default() += 1;
            out.push(leased);
        }
        out
    }

    /// A delivery to `app_id` finished; it is held until recorded.
    pub fn sent(&mut self, app_id: &AppId) {
        self.sending -= 1;
        if let Some(n) = self.sending_to.get_mut(app_id) {
            *n -= 1;
            if *n == 0 {
                self.sending_to.remove(app_id);
            }
        }
    }

    /// `n` finished deliveries were recorded (or given up on recording).
    pub fn recorded(&mut self, n: usize) {
        self.held -= n;
    }

    /// The waiting events, no longer held (a worker stopping gives their leases back).
    pub fn let_go(&mut self) -> Vec<EventId> {
        self.held -= self.waiting.len();
        self.waiting.drain(..).map(|leased| leased.event.id).collect()
    }

    pub fn sending(&self) -> usize {
        self.sending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leased(id: &str, app: &str, claimed_at: i64) -> Leased {
        let event = PendingEvent {
            id: id.into(),
            app_id: app.into(),
            app_version: 0,
            account_id: None,
            sequence: 1,
            event: "mono.events.webhook_test".into(),
            payload: "{}".into(),
            attempts: 0,
            created_at: Timestamp(0),
        };
        Leased { event, app: Ok(None), claimed_at: Timestamp(claimed_at) }
    }

    fn ids(sent: &[Leased]) -> Vec<&str> {
        sent.iter().map(|l| l.event.id.as_str()).collect()
    }

    #[test]
    fn sends_at_most_the_apps_limit_and_the_next_when_one_finishes() {
        let mut lanes = Lanes::new(16, 2, 2, Duration::from_secs(20));
        lanes.hold(["a1", "a2", "a3", "a4"].map(|id| leased(id, "a", 0)));
        lanes.hold([leased("b1", "b", 0)]);
        assert_eq!(ids(&lanes.start_sending(Timestamp(0))), ["a1", "a2", "b1"], "two of a, then b");
        assert!(lanes.start_sending(Timestamp(0)).is_empty(), "a is at its limit");
        lanes.sent(&"a".into());
        assert_eq!(ids(&lanes.start_sending(Timestamp(0))), ["a3"]);
        assert_eq!(lanes.free(0), 32 - 5, "all five still held");
        assert_eq!(lanes.free(1), 32 - 4, "one of them being recorded");
        lanes.recorded(1);
        assert_eq!(lanes.free(0), 32 - 4);
        assert_eq!(lanes.let_go(), ["a4"]);
        assert_eq!(lanes.free(0), 32 - 3);
        assert_eq!(lanes.sending(), 3);
    }

    #[test]
    fn the_workers_own_limit_holds_over_apps() {
        let mut lanes = Lanes::new(2, 4, 1, Duration::from_secs(20));
        lanes.hold(["a1", "b1", "c1"].map(|id| leased(id, &id[..1], 0)));
        assert_eq!(ids(&lanes.start_sending(Timestamp(0))), ["a1", "b1"]);
        lanes.sent(&"b".into());
        assert_eq!(ids(&lanes.start_sending(Timestamp(0))), ["c1"]);
    }

    #[test]
    fn an_event_that_waited_too_long_is_not_sent() {
        let mut lanes = Lanes::new(16, 4, 1, Duration::from_secs(20));
        lanes.hold([leased("late", "a", 0), leased("fine", "a", 5_000)]);
        assert_eq!(ids(&lanes.start_sending(Timestamp(20_001))), ["fine"]);
        assert_eq!(lanes.free(0), 15, "the late one is no longer held");
    }
}
