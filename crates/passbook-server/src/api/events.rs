//! `/passbook/v1`: the app's webhook events, replays and webhook settings.
use axum::Json;
use axum::extract::{Path, State};
use passbook_domain::model::{DeliveryAttempt, EventId, StoredEvent};
use passbook_domain::services::{EventHistory, EventsPage, RotatedSecret};
use passbook_domain::webhook_payloads::body_with_sequence;
use passbook_types::passbook::{
    AttemptOut, EventOut, EventsQuery, ReplayOut, ReplayRequest, RotatedSecretOut, SandboxWebhookIn, SettingsIn,
    SettingsOut, TestEventOut, WebhookIn, WebhookOut,
};
use passbook_types::{PageMeta, Success};

use super::success;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, ApiJson, ApiQuery, AuthApp};

pub async fn list(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> ApiResult<Json<Success<Vec<EventOut>, PageMeta>>> {
    let EventsPage { events: found, request: page } = state.passbook.webhooks().events(&app, &query).await?;
    let data = found.items.iter().map(|e| event_out(e, None)).collect();
    let pages = page.limit.map_or(1, |l| found.total.div_ceil(l));
    let link = |n: u64| {
        let mut url =
            url::Url::parse(&format!("{}/passbook/v1/events", state.passbook.public_url())).expect("valid public_url");
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("page", &n.to_string());
            for (k, v) in [
                ("status", &query.status),
                ("event", &query.event),
                ("account", &query.account),
                ("since", &query.since),
                ("until", &query.until),
                ("limit", &query.limit),
            ] {
                if let Some(v) = v {
                    pairs.append_pair(k, v);
                }
            }
        }
        url.to_string()
    };
    let meta = PageMeta {
        total: found.total,
        page: page.page,
        previous: (page.page > 1).then(|| link(page.page - 1)),
        next: (page.page < pages).then(|| link(page.page + 1)),
    };
    Ok(Json(success(&state, "Events retrieved successfully", data).with_meta(meta)))
}

pub async fn show(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<EventId>,
) -> ApiResult<Json<Success<EventOut>>> {
    let EventHistory { event, attempts } = state.passbook.webhooks().event(&app, &id).await?;
    Ok(Json(success(&state, "Event retrieved successfully", event_out(&event, Some(&attempts)))))
}

pub async fn replay_one(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiActor(actor): ApiActor,
    Path(id): Path<EventId>,
) -> ApiResult<Json<Success<ReplayOut>>> {
    state.passbook.webhooks().replay_event(&app, &id, &actor).await?;
    Ok(Json(success(&state, "Event queued for delivery", ReplayOut { replayed: 1 })))
}

pub async fn replay_many(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<ReplayRequest>,
) -> ApiResult<Json<Success<ReplayOut>>> {
    let replayed = state.passbook.webhooks().replay_events(&app, &body, &actor).await?;
    Ok(Json(success(&state, "Events queued for delivery", ReplayOut { replayed })))
}

pub async fn send_test(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Success<TestEventOut>>> {
    let event_id = state.passbook.webhooks().send_test(&app, &actor).await?;
    Ok(Json(success(&state, "Test event queued for delivery", TestEventOut { event_id: event_id.into() })))
}

pub async fn get_webhook(State(state): State<AppState>, AuthApp(app): AuthApp) -> ApiResult<Json<Success<WebhookOut>>> {
    Ok(Json(success(&state, "Webhook retrieved successfully", webhook_out(&app, &state))))
}

pub async fn put_webhook(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<WebhookIn>,
) -> ApiResult<Json<Success<WebhookOut>>> {
    let app = state.passbook.webhooks().set_url(&app, body.url.as_deref(), &actor).await?;
    Ok(Json(success(&state, "Webhook updated successfully", webhook_out(&app, &state))))
}

pub async fn rotate_secret(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Success<RotatedSecretOut>>> {
    let RotatedSecret { secret, previous_valid_until: until } =
        state.passbook.webhooks().rotate_secret(&app, &actor).await?;
    let data = RotatedSecretOut { secret, previous_secret_valid_until: until.to_iso() };
    Ok(Json(success(&state, "Webhook secret rotated; it is shown only now", data)))
}

fn webhook_out(app: &passbook_domain::model::App, state: &AppState) -> WebhookOut {
    let now = state.passbook.now();
    WebhookOut {
        url: app.webhook_url.clone(),
        secret_rotation_overlap_until: app
            .previous_webhook_secret
            .as_ref()
            .filter(|(_, until)| *until > now)
            .map(|(_, until)| until.to_iso()),
    }
}

fn event_out(e: &StoredEvent, attempts: Option<&[DeliveryAttempt]>) -> EventOut {
    let body = body_with_sequence(&e.payload, e.sequence);
    EventOut {
        id: e.id.to_string(),
        event: e.event.clone(),
        account: e.account_id.clone().map(Into::into),
        sequence: e.sequence,
        status: e.status.as_str().into(),
        attempts: e.attempts,
        next_attempt_at: e.next_attempt_at.map(|t| t.to_iso()),
        last_error: e.last_error.clone(),
        created_at: e.created_at.to_iso(),
        delivered_at: e.delivered_at.map(|t| t.to_iso()),
        payload: serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)),
        delivery_attempts: attempts.map(|list| {
            list.iter()
                .map(|a| AttemptOut {
                    attempted_at: a.attempted_at.to_iso(),
                    status_code: a.status_code,
                    latency_ms: a.latency_ms,
                    error: a.error.clone(),
                    next_attempt_at: a.next_attempt_at.map(|t| t.to_iso()),
                })
                .collect()
        }),
    }
}

/// `GET /passbook/v1/settings`: how often the app's accounts are refreshed.
pub async fn get_settings(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
) -> ApiResult<Json<Success<SettingsOut>>> {
    let data = SettingsOut { refresh_interval_hours: app.refresh_interval_hours };
    Ok(Json(success(&state, "Settings retrieved successfully", data)))
}

/// `PUT /passbook/v1/settings` `{"refresh_interval_hours": 24 | 12 | 6}`.
pub async fn put_settings(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<SettingsIn>,
) -> ApiResult<Json<Success<SettingsOut>>> {
    let hours = body.refresh_interval_hours.ok_or_else(|| {
        passbook_domain::Error::invalid("refresh_interval_hours", "refresh_interval_hours is required (24, 12 or 6)")
    })?;
    state.passbook.set_refresh_interval(&app.id, hours, &actor).await?;
    Ok(Json(success(&state, "Settings updated successfully", SettingsOut { refresh_interval_hours: hours })))
}

/// `POST /passbook/v1/sandbox/webhooks`: a webhook about an account, sent now.
pub async fn send_sandbox_webhook(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiJson(body): ApiJson<SandboxWebhookIn>,
) -> ApiResult<Json<Success<TestEventOut>>> {
    let event_id = state.passbook.send_sandbox_webhook(&app, &body).await?;
    Ok(Json(success(&state, "Webhook queued", TestEventOut { event_id })))
}
