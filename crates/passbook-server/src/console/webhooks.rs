//! `/console/webhooks`: an app's delivery log with every attempt, and replays.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use passbook_domain::model::{AppId, EventId};
use passbook_types::passbook::{EventsQuery, ReplayRequest};
use serde::Deserialize;

use super::apps::field;
use super::format::{Column, Pager, query, sort_rows, when, when_opt};
use super::{Acting, Chrome, ConsoleResult, Operator, Params, done, render};
use crate::AppState;

const PER_PAGE: u64 = 25;

#[derive(Deserialize)]
pub struct ListQuery {
    app: Option<String>,
    status: Option<String>,
    event: Option<String>,
    account: Option<String>,
    since: Option<String>,
    until: Option<String>,
    page: Option<u64>,
    sort: Option<String>,
    replayed: Option<u64>,
    notice: Option<String>,
}

pub struct EventRow {
    id: String,
    event: String,
    account: String,
    sequence: i64,
    status: &'static str,
    attempts: u32,
    created: String,
    delivered: String,
}

#[derive(Template)]
#[template(path = "console/webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    app: AppId,
    apps: Vec<(AppId, String)>,
    status: String,
    event: String,
    account: String,
    since: String,
    until: String,
    replayed: Option<u64>,
    columns: Vec<Column>,
    rows: Vec<EventRow>,
    pager: Pager,
}

pub struct AttemptRow {
    at: String,
    status: String,
    latency_ms: u64,
    error: String,
    response: String,
    next: String,
}

#[derive(Template)]
#[template(path = "console/event.html")]
struct EventPage {
    chrome: Chrome,
    app: String,
    event: EventRow,
    payload: String,
    attempts: Vec<AttemptRow>,
}

impl ListQuery {
    /// The page of events the filters ask for.
    fn events_query(&self, page: u64) -> EventsQuery {
        EventsQuery {
            status: self.status.clone(),
            event: self.event.clone(),
            account: self.account.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            page: Some(page.to_string()),
            limit: Some(PER_PAGE.to_string()),
        }
    }

    /// This page's address with the app and filters, for the sorting and paging links.
    fn address(&self, app: &str) -> String {
        let filters = query(&[
            ("app", Some(app)),
            ("status", self.status.as_deref()),
            ("event", self.event.as_deref()),
            ("account", self.account.as_deref()),
            ("since", self.since.as_deref()),
            ("until", self.until.as_deref()),
        ]);
        format!("/console/webhooks?{filters}")
    }
}

pub async fn list(State(state): State<AppState>, operator: Operator, Params(q): Params<ListQuery>) -> ConsoleResult {
    let apps: Vec<(AppId, String)> = state.passbook.list_apps().await?.into_iter().map(|a| (a.id, a.name)).collect();
    let Some(app) =
        q.app.clone().filter(|a| !a.is_empty()).map(AppId::from).or_else(|| apps.first().map(|a| a.0.clone()))
    else {
        return Ok(Redirect::to("/console/apps").into_response());
    };
    let page = q.page.unwrap_or(1).max(1);
    let found = state.passbook.console().events(&app, &q.events_query(page)).await?;
    let mut rows: Vec<EventRow> = found.events.items.into_iter().map(event_row).collect();
    let base = q.address(&app);
    let columns = sort_rows(
        &mut rows,
        q.sort.as_deref(),
        &base,
        &[
            ("event", "Event", |r| r.event.clone()),
            ("account", "Account", |r| r.account.clone()),
            ("sequence", "Sequence", |r| r.sequence.to_string()),
            ("status", "Status", |r| r.status.to_string()),
            ("attempts", "Attempts", |r| r.attempts.to_string()),
            ("created", "Created", |r| r.created.clone()),
            ("delivered", "Delivered", |r| r.delivered.clone()),
        ],
    );
    Ok(render(WebhooksPage {
        chrome: operator.chrome("webhooks", q.notice.as_deref()),
        apps,
        status: q.status.unwrap_or_default(),
        event: q.event.unwrap_or_default(),
        account: q.account.unwrap_or_default(),
        since: q.since.unwrap_or_default(),
        until: q.until.unwrap_or_default(),
        replayed: q.replayed,
        columns,
        rows,
        pager: Pager::new(page, PER_PAGE, found.events.total, &base),
        app,
    }))
}

fn event_row(e: passbook_domain::model::StoredEvent) -> EventRow {
    EventRow {
        event: e.event,
        account: e.account_id.map_or_else(|| "—".into(), String::from),
        sequence: e.sequence,
        status: e.status.as_str(),
        attempts: e.attempts,
        created: when(e.created_at),
        delivered: when_opt(e.delivered_at),
        id: e.id.into(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    operator: Operator,
    Path((app, id)): Path<(AppId, EventId)>,
    Params(q): Params<ListQuery>,
) -> ConsoleResult {
    let history = state.passbook.console().event(&app, &id).await?;
    let payload = serde_json::from_str::<serde_json::Value>(&history.event.payload)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(history.event.payload.clone());
    Ok(render(EventPage {
        chrome: operator.chrome("webhooks", q.notice.as_deref()),
        app: app.into(),
        event: event_row(history.event),
        payload,
        attempts: history
            .attempts
            .into_iter()
            .map(|a| AttemptRow {
                at: when(a.attempted_at),
                status: a.status_code.map_or_else(|| "no answer".into(), |c| c.to_string()),
                latency_ms: a.latency_ms,
                error: a.error.unwrap_or_default(),
                response: a.response_excerpt.unwrap_or_default(),
                next: when_opt(a.next_attempt_at),
            })
            .collect(),
    }))
}

pub async fn replay_one(
    State(state): State<AppState>,
    Path((app, id)): Path<(AppId, EventId)>,
    Acting { operator, .. }: Acting,
) -> ConsoleResult {
    state.passbook.console().replay_event(&operator.0, &app, &id).await?;
    Ok(done(&format!("/console/webhooks/{app}/{id}"), "replayed"))
}

/// Replays every event the form's filters match (failed ones unless it says otherwise).
pub async fn replay_range(
    State(state): State<AppState>,
    Path(app): Path<AppId>,
    Acting { operator, form }: Acting,
) -> ConsoleResult {
    let given = |name: &str| Some(field(&form, name).to_string()).filter(|v| !v.is_empty());
    let request = ReplayRequest {
        status: given("status"),
        event: given("event"),
        account: given("account"),
        since: given("since"),
        until: given("until"),
    };
    let count = state.passbook.console().replay_events(&operator.0, &app, &request).await?;
    let back = query(&[("app", Some(&app)), ("replayed", Some(&count.to_string()))]);
    Ok(Redirect::to(&format!("/console/webhooks?{back}")).into_response())
}
