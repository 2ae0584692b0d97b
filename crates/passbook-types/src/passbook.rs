//! Passbook's own API (`/passbook/v1`): webhook events, replays and webhook settings. Mono has
//! no equivalent; the envelopes are the same as Mono's.
use serde::{Deserialize, Serialize};

/// The query string of `GET /passbook/v1/events`, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EventsQuery {
    pub status: Option<String>,
    pub event: Option<String>,
    pub account: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventOut {
    pub id: String,
    pub event: String,
    pub account: Option<String>,
    pub sequence: i64,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    /// The body as it is POSTed.
    pub payload: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_attempts: Option<Vec<AttemptOut>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptOut {
    pub attempted_at: String,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
    pub next_attempt_at: Option<String>,
}

/// `POST /passbook/v1/events/replay`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReplayRequest {
    pub status: Option<String>,
    pub event: Option<String>,
    pub account: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplayOut {
    pub replayed: u64,
}

/// `GET` / `PUT /passbook/v1/webhook`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookOut {
    pub url: Option<String>,
    pub secret_rotation_overlap_until: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WebhookIn {
    pub url: Option<String>,
}

/// `POST /passbook/v1/webhook/secret/rotate`: the new secret, shown once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RotatedSecretOut {
    pub secret: String,
    pub previous_secret_valid_until: String,
}

/// `POST /passbook/v1/webhook/test`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestEventOut {
    pub event_id: String,
}
