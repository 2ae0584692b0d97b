//! Prometheus metrics of one Passbook process, in an explicit registry (no global state, so
//! several servers can share a process in tests).
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::model::{EventCount, EventStatus};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabel {
    event: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: &'static str,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    events_created: Family<EventLabel, Counter>,
    attempts: Family<OutcomeLabel, Counter>,
    delivery_latency: Histogram,
    attempt_duration: Histogram,
    queue: Family<StatusLabel, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("passbook_webhook");
        let events_created = Family::<EventLabel, Counter>::default();
        registry.register(
            "events_created",
            "Webhook events written to the outbox by this process",
            events_created.clone(),
        );
        let attempts = Family::<OutcomeLabel, Counter>::default();
        registry.register("attempts", "Delivery attempts by outcome (delivered, retry, failed)", attempts.clone());
        let delivery_latency = Histogram::new(exponential_buckets(0.001, 2.0, 20));
        registry.register(
            "delivery_latency_seconds",
            "Time from an event's creation to its successful delivery",
            delivery_latency.clone(),
        );
        let attempt_duration = Histogram::new(exponential_buckets(0.001, 2.0, 15));
        registry.register("attempt_duration_seconds", "Duration of one delivery attempt", attempt_duration.clone());
        let queue = Family::<StatusLabel, Gauge>::default();
        registry.register("events", "Events in the outbox by status, across all processes", queue.clone());
        Self { registry: Mutex::new(registry), events_created, attempts, delivery_latency, attempt_duration, queue }
    }
}

impl Metrics {
    pub fn event_created(&self, event: &str) {
        self.events_created.get_or_create(&EventLabel { event: event.to_string() }).inc();
    }

    pub fn attempt(&self, outcome: &'static str, duration_secs: f64) {
        self.attempts.get_or_create(&OutcomeLabel { outcome }).inc();
        self.attempt_duration.observe(duration_secs);
    }

    pub fn delivered(&self, since_creation_secs: f64) {
        self.delivery_latency.observe(since_creation_secs);
    }

    /// The text exposition, with the outbox counts read from the database just now.
    pub fn render(&self, queue: &[EventCount]) -> String {
        for status in [EventStatus::Pending, EventStatus::Delivered, EventStatus::Failed] {
            let n = queue.iter().find(|c| c.status == status).map_or(0, |c| c.events);
            self.queue.get_or_create(&StatusLabel { status: status.as_str() }).set(crate::numbers::signed(n));
        }
        let mut out = String::new();
        encode(&mut out, &self.registry.lock().expect("metrics registry lock"))
            .expect("writing to a String cannot fail");
        out
    }
}
