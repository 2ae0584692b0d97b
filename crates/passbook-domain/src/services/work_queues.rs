//! What the background workers may do with the store, and nothing more: the webhook outbox
//! (claim due events, read their apps, record what each delivery came to) and the job queue
//! (claim due jobs, keep their leases, settle or reschedule them). Workers reach the store only
//! through these, so everything background work can touch is in view here.
use std::sync::Arc;

use crate::Result;
use crate::Timestamp;
use crate::model::{App, AppId, DeliveryRecord, EventId, Job, JobId, JobSettlement, PendingEvent, QueueClaim, Settled};
use crate::store::{AppStore, EventStore, JobStore};

use super::{Passbook, Wakeups};
use crate::clock::Clock;
use crate::metrics::Metrics;

/// The webhook outbox, as the dispatcher sees it.
#[derive(Clone)]
pub struct Outbox {
    events: Arc<dyn EventStore>,
    apps: Arc<dyn AppStore>,
    clock: Arc<dyn Clock>,
    work: Arc<Wakeups>,
    metrics: Arc<Metrics>,
}

impl Outbox {
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Returns once events were written or released in this process since the last call (a
    /// signal given while nobody waits is kept for the next).
    pub async fn new_events(&self) {
        self.work.events.notified().await;
    }

    /// An attempt ended (`delivered`, `retry` or `failed`) after `secs`.
    pub fn attempted(&self, outcome: &'static str, secs: f64) {
        self.metrics.attempt(outcome, secs);
    }

    /// An event reached its app `secs` after it was written.
    pub fn delivered(&self, secs: f64) {
        self.metrics.delivered(secs);
    }

    /// Due events, leased as `claim` says.
    pub async fn claim(&self, claim: &QueueClaim) -> Result<Vec<PendingEvent>> {
        self.events.claim_events(claim).await
    }

    /// The app an event goes to (its webhook URL and secrets); `None` when it no longer exists.
    pub async fn app(&self, id: &AppId) -> Result<Option<App>> {
        self.apps.app(id).await
    }

    /// What the deliveries came to, in one transaction.
    pub async fn record(&self, records: &[DeliveryRecord]) -> Result<()> {
        self.events.record_deliveries(records).await
    }

    /// What the deliveries came to, and the next due events, in one transaction.
    pub async fn record_and_claim(&self, records: &[DeliveryRecord], claim: &QueueClaim) -> Result<Vec<PendingEvent>> {
        self.events.record_and_claim_events(records, claim).await
    }

    /// Gives back `owner`'s leases of events it will not send.
    pub async fn release(&self, ids: &[EventId], owner: i64) -> Result<()> {
        self.events.release_events(ids, owner).await
    }
}

/// The job queue, as the runner sees it.
#[derive(Clone)]
pub struct JobQueue {
    jobs: Arc<dyn JobStore>,
    work: Arc<Wakeups>,
}

impl JobQueue {
    /// Returns once jobs were queued in this process since the last call (a signal given while
    /// nobody waits is kept for the next).
    pub async fn new_jobs(&self) {
        self.work.jobs.notified().await;
    }

    /// Due jobs, fairly over apps, leased as `claim` says.
    pub async fn claim(&self, claim: &QueueClaim) -> Result<Vec<Job>> {
        self.jobs.claim_jobs(claim).await
    }

    /// Keeps a running job's lease; false when the job is no longer this claim's.
    pub async fn extend_lease(&self, id: &JobId, attempt: u32, until: Timestamp) -> Result<bool> {
        self.jobs.extend_job_lease(id, attempt, until).await
    }

    pub async fn settle(&self, settlement: &JobSettlement, at: Timestamp) -> Result<Settled> {
        self.jobs.settle_job(settlement, at).await
    }

    /// Runs the job again at `at`, after `error`.
    pub async fn retry(&self, id: &JobId, attempt: u32, at: Timestamp, error: &str) -> Result<Settled> {
        self.jobs.retry_job(id, attempt, at, error).await
    }
}

impl Passbook {
    pub fn outbox(&self) -> Outbox {
        Outbox {
            events: self.store.clone(),
            apps: self.store.clone(),
            clock: self.clock.clone(),
            work: self.work.clone(),
            metrics: self.metrics.clone(),
        }
    }

    pub fn job_queue(&self) -> JobQueue {
        JobQueue { jobs: self.store.clone(), work: self.work.clone() }
    }
}
