//! `/console/links`: link sessions by status and failure reason, and one session's steps.
use askama::Template;
use axum::extract::{Path, State};
use passbook_domain::model::{AppId, LinkFilter, LinkStatus, LinkSummary, PageRequest, SessionId};
use serde::Deserialize;

use super::format::{Column, Pager, query, sort_rows, when, when_opt};
use super::{Chrome, ConsoleResult, Operator, Params, render};
use crate::AppState;

const PER_PAGE: u64 = 25;
const FAILURE_REASONS: [&str; 2] = ["user_cancelled", "too_many_attempts"];

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    reason: Option<String>,
    app: Option<String>,
    page: Option<u64>,
    sort: Option<String>,
}

pub struct LinkRow {
    id: String,
    short_id: String,
    app: String,
    mode: String,
    step: String,
    institution: String,
    failure: String,
    created: String,
}

#[derive(Template)]
#[template(path = "console/links.html")]
struct LinksPage {
    chrome: Chrome,
    status: String,
    reason: String,
    app: String,
    statuses: Vec<&'static str>,
    reasons: Vec<&'static str>,
    apps: Vec<(AppId, String)>,
    columns: Vec<Column>,
    rows: Vec<LinkRow>,
    pager: Pager,
}

pub struct Step {
    at: String,
    step: String,
    note: String,
}

#[derive(Template)]
#[template(path = "console/link.html")]
struct LinkPage {
    chrome: Chrome,
    link: LinkRow,
    reference: String,
    attempts: u32,
    expires: String,
    completed: String,
    steps: Vec<Step>,
}

fn row(state: &AppState, s: LinkSummary, apps: &[(AppId, String)]) -> LinkRow {
    LinkRow {
        short_id: s.id.chars().take(12).collect(),
        app: apps.iter().find(|(id, _)| *id == s.app_id).map_or_else(|| s.app_id.to_string(), |(_, name)| name.clone()),
        mode: s.mode,
        step: s.step.replace('_', " "),
        institution: s.institution_id.as_deref().map_or_else(
            || "—".into(),
            |i| state.passbook.institutions().get(i).map_or(i.to_string(), |x| x.name.clone()),
        ),
        failure: s.failure_reason.unwrap_or_default(),
        created: when(s.created_at),
        id: s.id.into(),
    }
}

impl ListQuery {
    /// The filter the query names; an empty field, or a status or reason no one has, filters nothing.
    fn filter(&self, now: passbook_domain::Timestamp) -> LinkFilter {
        let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        LinkFilter {
            app_id: nonempty(&self.app).map(Into::into),
            status: nonempty(&self.status).as_deref().and_then(LinkStatus::parse),
            failure_reason: nonempty(&self.reason).filter(|r| FAILURE_REASONS.contains(&r.as_str())),
            now,
        }
    }
}

async fn app_names(state: &AppState) -> ConsoleResult<Vec<(AppId, String)>> {
    Ok(state.passbook.list_apps().await?.into_iter().map(|a| (a.id, a.name)).collect())
}

pub async fn list(State(state): State<AppState>, operator: Operator, Params(q): Params<ListQuery>) -> ConsoleResult {
    let page = q.page.unwrap_or(1).max(1);
    let filter = q.filter(state.passbook.now());
    let found = state.passbook.console().link_sessions(&filter, PageRequest::new(page, Some(PER_PAGE))).await?;
    let apps = app_names(&state).await?;
    let mut rows: Vec<LinkRow> = found.items.into_iter().map(|s| row(&state, s, &apps)).collect();
    let base = format!(
        "/console/links?{}",
        query(&[("status", q.status.as_deref()), ("reason", q.reason.as_deref()), ("app", q.app.as_deref())])
    );
    let columns = sort_rows(
        &mut rows,
        q.sort.as_deref(),
        &base,
        &[
            ("id", "Session", |r| r.short_id.clone()),
            ("app", "App", |r| r.app.clone()),
            ("mode", "Mode", |r| r.mode.clone()),
            ("step", "Step", |r| r.step.clone()),
            ("institution", "Institution", |r| r.institution.clone()),
            ("failure", "Failure", |r| r.failure.clone()),
            ("created", "Started", |r| r.created.clone()),
        ],
    );
    Ok(render(LinksPage {
        chrome: operator.chrome("links", None),
        status: q.status.unwrap_or_default(),
        reason: q.reason.unwrap_or_default(),
        app: q.app.unwrap_or_default(),
        statuses: LinkStatus::ALL.iter().map(|s| s.as_str()).collect(),
        reasons: FAILURE_REASONS.to_vec(),
        apps,
        columns,
        rows,
        pager: Pager::new(page, PER_PAGE, found.total, &base),
    }))
}

pub async fn show(State(state): State<AppState>, operator: Operator, Path(id): Path<SessionId>) -> ConsoleResult {
    let (summary, timeline) = state.passbook.console().link_session_timeline(&id).await?;
    let apps = app_names(&state).await?;
    Ok(render(LinkPage {
        chrome: operator.chrome("links", None),
        reference: summary.reference.clone().unwrap_or_else(|| "—".into()),
        attempts: summary.login_attempts,
        expires: when(summary.expires_at),
        completed: when_opt(summary.completed_at),
        link: row(&state, summary, &apps),
        steps: timeline
            .into_iter()
            .map(|t| Step { at: when(t.at), step: t.step.replace('_', " "), note: t.note.unwrap_or_default() })
            .collect(),
    }))
}
