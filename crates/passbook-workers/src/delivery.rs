//! One delivery: the POST of an event to its app's endpoint, and what to record of it.
use std::sync::Arc;
use std::time::{Duration, Instant};

use passbook_domain::model::{App, DeliveryAttempt, DeliveryOutcome, DeliveryRecord, PendingEvent};
use passbook_domain::services::Outbox;
use passbook_domain::{Timestamp, webhook_payloads, webhook_signature};
use passbook_egress::Egress;

use crate::schedule::next_delay;

/// Bounds within which a receiver's `Retry-After` replaces the scheduled delay.
const RETRY_AFTER_BOUNDS: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(3600));

/// What one attempt came to.
struct Answer {
    status_code: Option<u16>,
    error: Option<String>,
    /// The start of the endpoint's answer, for the console's delivery log.
    excerpt: Option<String>,
    retry_after: Option<Duration>,
    /// No point retrying: 410 Gone, a refused address, an app that no longer exists.
    permanent: bool,
}

impl Answer {
    fn failed(error: String, permanent: bool) -> Self {
        Self { status_code: None, error: Some(error), excerpt: None, retry_after: None, permanent }
    }
}

/// Sends the event once and says what to record; `schedule` spaces the attempts.
pub(crate) async fn deliver_one(
    outbox: &Outbox,
    http: &Egress,
    schedule: &[Duration],
    app: Result<Option<Arc<App>>, String>,
    event: PendingEvent,
) -> DeliveryRecord {
    let attempted_at = outbox.now();
    let started = Instant::now();
    let answer = match app {
        Ok(Some(app)) => attempt(http, &app, &event, attempted_at).await,
        Ok(None) => Answer::failed("the app no longer exists".into(), true),
        Err(err) => Answer::failed(format!("could not load the app: {err}"), false),
    };
    let latency = started.elapsed();
    let now = outbox.now();
    let (outcome, next_attempt_at) = match &answer.error {
        None => (DeliveryOutcome::Delivered, None),
        Some(error) => match next_delay(schedule, event.attempts + 1) {
            Some(scheduled) if !answer.permanent => {
                let delay =
                    answer.retry_after.map_or(scheduled, |d| d.clamp(RETRY_AFTER_BOUNDS.0, RETRY_AFTER_BOUNDS.1));
                let at = now.plus(delay);
                (DeliveryOutcome::Retry { at, error: error.clone() }, Some(at))
            }
            _ => (DeliveryOutcome::GaveUp { error: error.clone() }, None),
        },
    };
    let label = match &outcome {
        DeliveryOutcome::Delivered => {
            outbox.delivered((now.0 - event.created_at.0).max(0) as f64 / 1000.0);
            tracing::debug!(event = %event.event, id = %event.id, "webhook delivered");
            "delivered"
        }
        DeliveryOutcome::Retry { error, .. } => {
            tracing::info!(event = %event.event, id = %event.id, %error, "webhook will be retried");
            "retry"
        }
        DeliveryOutcome::GaveUp { error } => {
            tracing::warn!(event = %event.event, id = %event.id, %error, "webhook failed for good");
            "failed"
        }
    };
    outbox.attempted(label, latency.as_secs_f64());
    let attempt = DeliveryAttempt {
        attempted_at,
        status_code: answer.status_code,
        latency_ms: passbook_domain::numbers::millis_u64(latency),
        error: answer.error,
        next_attempt_at,
        response_excerpt: answer.excerpt,
    };
    DeliveryRecord { event_id: event.id, app_id: event.app_id, account_id: event.account_id, attempt, outcome }
}

/// One POST of the event. Only a 2xx answer counts as delivered.
async fn attempt(http: &Egress, app: &App, event: &PendingEvent, now: Timestamp) -> Answer {
    let Some(url) = app.webhook_url.as_deref() else {
        return Answer::failed("the app has no webhook URL".into(), false);
    };
    let parsed = match reqwest::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(err) => return Answer::failed(format!("the webhook URL is not a URL: {err}"), true),
    };
    if let Err(refused) = http.check(&parsed) {
        return Answer::failed(refused.to_string(), true);
    }
    let body = webhook_payloads::body_with_sequence(&event.payload, event.sequence);
    let timestamp = now.0 / 1000;
    let signatures: Vec<String> = app
        .signing_secrets(now)
        .into_iter()
        .filter_map(|secret| webhook_signature::sign(secret, &event.id, timestamp, &body))
        .collect();
    let request = http
        .client()
        .post(parsed)
        .header("content-type", "application/json")
        .header("mono-webhook-secret", &app.webhook_secret)
        .header("webhook-id", event.id.as_str())
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signatures.join(" "))
        .body(body);
    match request.send().await {
        Ok(response) => answered(response).await,
        Err(err) => match passbook_egress::refusal(&err) {
            Some(refused) => Answer::failed(refused.to_string(), true),
            None => Answer::failed(describe(&err), false),
        },
    }
}

/// What the endpoint's answer means: only a 2xx is delivered; 410 Gone is for good.
async fn answered(response: reqwest::Response) -> Answer {
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let excerpt = excerpt(response).await;
    let status_code = Some(status.as_u16());
    if status.is_success() {
        return Answer { status_code, error: None, excerpt, retry_after: None, permanent: false };
    }
    let gone = status == reqwest::StatusCode::GONE;
    let error =
        if gone { "410 Gone: the endpoint was removed".into() } else { format!("the endpoint answered {status}") };
    Answer { status_code, error: Some(error), excerpt, retry_after, permanent: gone }
}

/// The first bytes of the endpoint's answer (its first chunk, at most [`EXCERPT_BYTES`]); the
/// rest is never read. What is not UTF-8, and NUL (which PostgreSQL's text cannot hold), becomes
/// U+FFFD.
async fn excerpt(mut response: reqwest::Response) -> Option<String> {
    let chunk = tokio::time::timeout(Duration::from_secs(2), response.chunk()).await.ok()?.ok()??;
    let text = String::from_utf8_lossy(&chunk[..chunk.len().min(EXCERPT_BYTES)]).trim().replace('\0', "\u{FFFD}");
    (!text.is_empty()).then_some(text)
}

const EXCERPT_BYTES: usize = 200;

fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "the endpoint did not answer in time".into()
    } else if err.is_connect() {
        "could not connect to the endpoint".into()
    } else {
        format!("request failed: {err}")
    }
}
