use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use passbook_domain::model::{App, AppId, DeliveryRecord, PendingEvent, QueueClaim};
use passbook_domain::services::Outbox;
use passbook_egress::Egress;
use tokio::sync::{mpsc, watch};

use crate::delivery::deliver_one;
use crate::in_flight::InFlight;
use crate::lanes::{Lanes, Leased};
use crate::schedule::WEBHOOK_RETRY_SCHEDULE;

#[derive(Debug, Clone)]
pub struct DispatcherOptions {
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Deliveries in flight at once, over all apps (each app also has its own limit).
    pub concurrency: usize,
    /// Deliveries in flight to one app at once, over all workers, so that a slow endpoint
    /// cannot take every slot.
    pub per_app: u32,
    /// Delay before each attempt; after the last the event is marked failed.
    pub schedule: Vec<Duration>,
    /// Deliver to private, loopback and link-local addresses (sandbox default).
    pub allow_private: bool,
    /// How long a claimed event is this worker's; after that (the worker died) another worker
    /// may deliver it. Longer than `timeout`.
    pub lease: Duration,
}

impl Default for DispatcherOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            concurrency: 16,
            per_app: 4,
            schedule: WEBHOOK_RETRY_SCHEDULE.to_vec(),
            allow_private: true,
            lease: Duration::from_secs(60),
        }
    }
}

/// Delivers the webhook outbox: at least once, in order per account, on the published retry
/// schedule.
pub struct Dispatcher {
    outbox: Outbox,
    http: Egress,
    options: Arc<DispatcherOptions>,
    /// This worker, as its leases name it (`locked_by`).
    owner: i64,
    lanes: Lanes,
    /// Where deliveries go when they finish, to be recorded.
    finishing: mpsc::UnboundedSender<Finished>,
    finished: mpsc::UnboundedReceiver<Finished>,
    in_flight: InFlight,
    /// The apps delivered for, at the version each was read at ([`PendingEvent::app_version`]).
    apps: HashMap<AppId, (i64, Arc<App>)>,
}

/// A finished delivery, held (and counted in flight by the per-app limit) until recorded.
struct Finished {
    record: DeliveryRecord,
    /// The turn that started it ([`InFlight::started`]).
    turn: u64,
}

impl Dispatcher {
    pub fn new(outbox: Outbox, options: DispatcherOptions) -> Self {
        let user_agent = concat!("Passbook-Webhooks/", env!("CARGO_PKG_VERSION"));
        let http = Egress::new(user_agent, options.timeout, options.allow_private);
        let (finishing, finished) = mpsc::unbounded_channel();
        let (ahead, max_wait) = lease_ahead(&options);
        let lanes = Lanes::new(options.concurrency, options.per_app, ahead, max_wait);
        let owner = i64::from_be_bytes(passbook_domain::ids::random_bytes()) & i64::MAX;
        Self {
            outbox,
            http,
            options: Arc::new(options),
            owner,
            lanes,
            finishing,
            finished,
            in_flight: InFlight::default(),
            apps: HashMap::new(),
        }
    }

    /// Each turn records the deliveries finished since the last and claims events for what it
    /// may hold, in one transaction (a profile of the worker under a backlog showed its time going
    /// to the hand-offs of each statement to the database: a record and a claim apart cost two
    /// commits and a claim that found the app at its limit); then waits for a delivery to
    /// finish (sending the app's next waiting event at once, and waiting briefly for the others a
    /// recent turn started, [`InFlight`]), new events, or the poll interval. After shutdown it
    /// gives back the leases of what it has not sent, claims nothing more, and ends once the
    /// deliveries in flight are finished (within their timeout) and recorded, so that no
    /// transaction of its outlives it.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut finished = Vec::new();
        let mut closing = *shutdown.borrow();
        loop {
            let records: Vec<DeliveryRecord> = finished.drain(..).map(|f: Finished| f.record).collect();
            if closing {
                self.let_go().await;
                self.record(&records).await;
                self.lanes.recorded(records.len());
                if self.lanes.sending() == 0 {
                    break;
                }
            } else {
                self.record_and_claim(records).await;
            }
            tokio::select! {
                _ = self.finished.recv_many(&mut finished, 256) => self.take_in(&mut finished, closing).await,
                _ = self.outbox.new_events(), if !closing => {}
                _ = tokio::time::sleep(crate::POLL_INTERVAL), if !closing => {}
                _ = shutdown.changed(), if !closing => closing = true,
            }
        }
    }

    /// Notes the finished deliveries in `finished` (sending the next waiting events in their
    /// place), and takes in those that finish while a recent turn still has some out, up to
    /// [`InFlight::gather_until`], so that the next turn records them together.
    async fn take_in(&mut self, finished: &mut Vec<Finished>, closing: bool) {
        let mut noted = 0;
        let give_up = Instant::now() + crate::in_flight::GATHER_FOR;
        loop {
            for f in &finished[noted..] {
                self.in_flight.finished(f.turn);
                self.lanes.sent(&f.record.app_id);
            }
            noted = finished.len();
            if !closing {
                self.send_waiting();
            }
            let Some(until) = self.in_flight.gather_until(Instant::now()) else { return };
            tokio::select! {
                received = self.finished.recv_many(finished, 256) => if received == 0 { return },
                _ = tokio::time::sleep_until(until.min(give_up).into()) => return,
            }
        }
    }

    async fn record_and_claim(&mut self, records: Vec<DeliveryRecord>) {
        let free = self.lanes.free(records.len());
        if free == 0 {
            return;
        }
        let now = self.outbox.now();
        let lease_until = now.plus(self.options.lease);
        let (per_app, ahead, owner) = (self.options.per_app, self.lanes.ahead(), self.owner);
        let claim =
            QueueClaim { now, lease_until, limit: passbook_domain::numbers::narrow(free), per_app, ahead, owner };
        let claimed = if records.is_empty() {
            self.outbox.claim(&claim).await
        } else {
            self.outbox.record_and_claim(&records, &claim).await
        };
        match claimed {
            Ok(events) => {
                self.lanes.recorded(records.len());
                let apps = self.apps_of(&events).await;
                self.lanes.hold(events.into_iter().map(|event| {
                    let app = apps.get(&event.app_id).cloned().unwrap_or_else(|| Err("the app is unknown".into()));
                    Leased { event, app, claimed_at: now }
                }));
                self.send_waiting();
            }
            Err(err) => {
                tracing::error!(error = %err, "could not claim webhook events");
                self.record(&records).await;
                self.lanes.recorded(records.len());
            }
        }
    }

    /// Gives back the leases of the events not yet sent, so that they are due again at once.
    async fn let_go(&mut self) {
        let ids = self.lanes.let_go();
        if ids.is_empty() {
            return;
        }
        if let Err(err) = self.outbox.release(&ids, self.owner).await {
            tracing::warn!(events = ids.len(), error = %err, "could not give back leased webhook events; they come due when their lease ends");
        }
    }

    /// Records finished deliveries on their own. With the database unavailable (a failover),
    /// recording is tried again for up to half the lease, so that a delivery made is not made
    /// again because it could not be written down.
    async fn record(&self, records: &[DeliveryRecord]) {
        if records.is_empty() {
            return;
        }
        let patience = self.options.lease / 2;
        let recorded = crate::patiently(patience, "recording deliveries", || self.outbox.record(records));
        if let Err(err) = recorded.await {
            // One record the database refuses (its event unlinked meanwhile, say) must not cost
            // the others theirs: one by one, each that can be recorded is.
            tracing::warn!(deliveries = records.len(), error = %err, "recording deliveries one by one");
            for record in records {
                if let Err(err) = self.outbox.record(std::slice::from_ref(record)).await {
                    tracing::error!(id = %record.event_id, error = %err,
                        "could not record a delivery; it will be sent again after its lease");
                }
            }
        }
    }

    /// Sends, each in a task of its own, the waiting events that the limits allow now.
    fn send_waiting(&mut self) {
        let sending = self.lanes.start_sending(self.outbox.now());
        let turn = self.in_flight.started(sending.len());
        for Leased { event, app, .. } in sending {
            let (outbox, http, options) = (self.outbox.clone(), self.http.clone(), self.options.clone());
            let finishing = self.finishing.clone();
            tokio::spawn(async move {
                let record = deliver_one(&outbox, &http, &options.schedule, app, event).await;
                // Only if the dispatcher is gone; the lease then brings the event back.
                let _ = finishing.send(Finished { record, turn });
            });
        }
    }

    /// The apps of a claim's events: those kept at the version the claim saw, the others read
    /// (once each, and kept); `Ok(None)` when the app no longer exists.
    async fn apps_of(&mut self, events: &[PendingEvent]) -> HashMap<AppId, Result<Option<Arc<App>>, String>> {
        let mut apps = HashMap::new();
        for event in events {
            if apps.contains_key(&event.app_id) {
                continue;
            }
            let app = match self.apps.get(&event.app_id) {
                Some((version, app)) if *version == event.app_version => Ok(Some(app.clone())),
                _ => self.read_app(&event.app_id, event.app_version).await,
            };
            apps.insert(event.app_id.clone(), app);
        }
        apps
    }

    /// Reads the app and keeps it as of `version`: a change made since the claim moved the
    /// version on again, so the next claim reads it anew.
    async fn read_app(&mut self, id: &AppId, version: i64) -> Result<Option<Arc<App>>, String> {
        let app = self.outbox.app(id).await.map_err(|e| e.to_string())?.map(Arc::new);
        if self.apps.len() >= KEPT_APPS {
            self.apps.clear();
        }
        match &app {
            Some(app) => self.apps.insert(id.clone(), (version, app.clone())),
            None => self.apps.remove(id),
        };
        Ok(app)
    }
}

/// How many times an app's limit of its events a worker leases at once, and how long an event may
/// wait to be sent: the lease less its timeout and half the lease to record it. Each round of an
/// app's deliveries ends within a timeout, so an event leased ahead waits about one timeout per
/// round before it: as many rounds as that wait leaves room for, at most [`MAX_AHEAD`]. (Leasing
/// only what it sends at once, a worker sends each event at once: it may wait without bound.) With
/// the defaults (a 60 s lease, a 10 s timeout) three: at 4 in flight per app on PostgreSQL, 2
/// gave 4,715–4,783 deliveries/s and 3 gave 5,333–5,616 (slots waited on every turn before).
fn lease_ahead(options: &DispatcherOptions) -> (u32, Duration) {
    let max_wait = options.lease.saturating_sub(options.timeout + options.lease / 2);
    let rounds = max_wait.as_millis() / options.timeout.as_millis().max(1);
    match u32::try_from(rounds + 1).unwrap_or(MAX_AHEAD).min(MAX_AHEAD) {
        1 => (1, Duration::MAX),
        ahead => (ahead, max_wait),
    }
}

const MAX_AHEAD: u32 = 4;

/// Past this many apps kept, the dispatcher starts over (each is read again at its next claim).
const KEPT_APPS: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_ahead_as_far_as_the_lease_leaves_room() {
        let with = |lease, timeout| {
            let options = DispatcherOptions {
                lease: Duration::from_secs(lease),
                timeout: Duration::from_secs(timeout),
                ..DispatcherOptions::default()
            };
            lease_ahead(&options).0
        };
        assert_eq!(with(60, 10), 3, "the defaults");
        assert_eq!(with(2, 1), 1, "the tests' processes: no room");
        assert_eq!(with(6, 1), 3);
        assert_eq!(with(600, 1), MAX_AHEAD);
        assert_eq!(with(15, 10), 1, "a lease shorter than two timeouts");
    }
}
