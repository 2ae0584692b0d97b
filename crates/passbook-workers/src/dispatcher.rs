use std::sync::Arc;
use std::time::{Duration, Instant};

use passbook_domain::model::{App, DeliveryOutcome, PendingEvent};
use passbook_domain::{Passbook, Timestamp, webhook_signature};
use tokio::sync::{Semaphore, watch};

use crate::schedule::{WEBHOOK_RETRY_SCHEDULE, next_delay};

const EVENT_LEASE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct DispatcherOptions {
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
}

impl Default for DispatcherOptions {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(10), concurrency: 16 }
    }
}

/// Delivers the webhook outbox: at least once, in order per account, on the published
/// retry schedule.
pub struct Dispatcher {
    passbook: Passbook,
    http: reqwest::Client,
    slots: Arc<Semaphore>,
}

impl Dispatcher {
    pub fn new(passbook: Passbook, options: DispatcherOptions) -> Self {
        // reqwest is built without a default TLS provider (to avoid aws-lc's C build); ring it is.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Passbook-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the webhook HTTP client builds");
        Self { passbook, http, slots: Arc::new(Semaphore::new(options.concurrency)) }
    }

    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let claimed = self.claim().await;
            if claimed == 0 && crate::idle(&self.passbook, &mut shutdown).await {
                return;
            }
        }
    }

    async fn claim(&self) -> usize {
        let free = self.slots.available_permits();
        if free == 0 {
            tokio::time::sleep(crate::POLL_INTERVAL).await;
            return 0;
        }
        let now = self.passbook.clock.now();
        let lease = now.plus_millis(EVENT_LEASE.as_millis() as i64);
        let events = match self.passbook.store.claim_events(now, lease, free as u32).await {
            Ok(events) => events,
            Err(err) => {
                tracing::error!(error = %err, "could not claim webhook events");
                return 0;
            }
        };
        let count = events.len();
        for event in events {
            let permit = self.slots.clone().acquire_owned().await.expect("semaphore never closes");
            let passbook = self.passbook.clone();
            let http = self.http.clone();
            tokio::spawn(async move {
                deliver_one(&passbook, &http, event).await;
                drop(permit);
                // The next event of the same account may now be due.
                passbook.work.notify_one();
            });
        }
        count
    }
}

async fn deliver_one(passbook: &Passbook, http: &reqwest::Client, event: PendingEvent) {
    let outcome = match passbook.store.app(&event.app_id).await {
        Ok(Some(app)) => attempt(http, &app, &event, passbook.clock.now()).await,
        Ok(None) => Err("the app no longer exists".to_string()),
        Err(err) => Err(format!("could not load the app: {err}")),
    };
    let now = passbook.clock.now();
    let outcome = match outcome {
        Ok(()) => DeliveryOutcome::Delivered,
        Err(error) => match next_delay(&WEBHOOK_RETRY_SCHEDULE, event.attempts + 1) {
            Some(delay) if !error.starts_with(GONE) => {
                DeliveryOutcome::Retry { at: now.plus_millis(delay.as_millis() as i64), error }
            }
            _ => DeliveryOutcome::GaveUp { error },
        },
    };
    match &outcome {
        DeliveryOutcome::Delivered => {
            tracing::debug!(event = %event.event, id = %event.id, "webhook delivered")
        }
        DeliveryOutcome::Retry { error, .. } => {
            tracing::info!(event = %event.event, id = %event.id, %error, "webhook will be retried")
        }
        DeliveryOutcome::GaveUp { error } => {
            tracing::warn!(event = %event.event, id = %event.id, %error, "webhook failed for good")
        }
    }
    if let Err(err) = passbook.store.record_delivery(&event.id, now, &outcome).await {
        tracing::error!(id = %event.id, error = %err, "could not record a delivery; it will be sent again after its lease");
    }
}

const GONE: &str = "410 Gone";

/// One POST of the event. Only a 2xx answer counts as delivered.
async fn attempt(http: &reqwest::Client, app: &App, event: &PendingEvent, now: Timestamp) -> Result<(), String> {
    let url = app.webhook_url.as_deref().ok_or("the app has no webhook URL")?;
    let timestamp = now.0 / 1000;
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .header("mono-webhook-secret", &app.webhook_secret)
        .header("webhook-id", &event.id)
        .header("webhook-timestamp", timestamp.to_string());
    if let Some(signature) = webhook_signature::sign(&app.webhook_secret, &event.id, timestamp, &event.payload) {
        request = request.header("webhook-signature", signature);
    }
    let started = Instant::now();
    let response = request.body(event.payload.clone()).send().await.map_err(|e| describe(&e))?;
    let status = response.status();
    tracing::debug!(status = status.as_u16(), latency_ms = started.elapsed().as_millis() as u64, "webhook answered");
    if status.is_success() {
        Ok(())
    } else if status == reqwest::StatusCode::GONE {
        Err(format!("{GONE}: the endpoint was removed"))
    } else {
        Err(format!("the endpoint answered {status}"))
    }
}

fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "the endpoint did not answer in time".into()
    } else if err.is_connect() {
        "could not connect to the endpoint".into()
    } else {
        format!("request failed: {err}")
    }
}
