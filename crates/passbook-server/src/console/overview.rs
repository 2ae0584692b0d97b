//! `/console`: the overview, with links, the funnel, webhooks, fetches and data status.
use askama::Template;
use axum::extract::State;
use serde::Deserialize;

use super::{Chrome, ConsoleResult, Operator, Params, charts, render};
use crate::AppState;

#[derive(Deserialize)]
pub struct OverviewQuery {
    days: Option<u32>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    days: u32,
    started: u64,
    links_chart: String,
    funnel_chart: String,
    status_chart: String,
    webhook_rate: String,
    webhook_attempts: u64,
    webhook_p50: u64,
    webhook_p95: u64,
    fetch_count: u64,
    fetch_failed: u64,
    fetch_p50: u64,
    fetch_p95: u64,
}

pub async fn show(
    State(state): State<AppState>,
    operator: Operator,
    Params(q): Params<OverviewQuery>,
) -> ConsoleResult {
    let days = q.days.filter(|d| [7, 14, 30, 90].contains(d)).unwrap_or(14);
    let o = state.passbook.console().overview(days).await?;
    let funnel: Vec<(String, u64, String)> = o
        .funnel
        .iter()
        .map(|s| {
            let share = (s.reached * 100).checked_div(o.started).unwrap_or(0);
            let stopped = if s.stopped > 0 { format!(", {} stopped here", s.stopped) } else { String::new() };
            (s.step.replace('_', " "), s.reached, format!(" ({share}%{stopped})"))
        })
        .collect();
    let statuses: Vec<(String, u64, String)> =
        o.accounts_by_status.iter().map(|(s, n)| (s.clone(), *n, String::new())).collect();
    Ok(render(OverviewPage {
        chrome: operator.chrome("overview", q.notice.as_deref()),
        days,
        started: o.started,
        links_chart: charts::links_per_day(&o.days),
        funnel_chart: charts::bars("Where links go: links reaching each step", &funnel),
        status_chart: charts::bars("Accounts by data status", &statuses),
        webhook_rate: o.webhooks.success_percent().map_or_else(|| "—".into(), |p| format!("{p:.1}%")),
        webhook_attempts: o.webhooks.count,
        webhook_p50: o.webhooks.p50_ms,
        webhook_p95: o.webhooks.p95_ms,
        fetch_count: o.fetches.count,
        fetch_failed: o.fetches.count - o.fetches.ok,
        fetch_p50: o.fetches.p50_ms,
        fetch_p95: o.fetches.p95_ms,
    }))
}
