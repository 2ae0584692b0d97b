//! `/console/apps`: apps, their keys and webhook settings.
use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use passbook_domain::Error;
use passbook_domain::model::{App, AppId};
use passbook_domain::services::RotatedSecret;
use passbook_domain::services::console::RotatedKey;
use passbook_types::passbook::SandboxClockOut;
use serde::Deserialize;

use super::format::{Column, sort_rows, when};
use super::{Acting, Chrome, ConsoleResult, Operator, Params, done, render};
use crate::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    sort: Option<String>,
    notice: Option<String>,
}

pub struct AppRow {
    id: String,
    name: String,
    webhook_url: String,
    refresh: u32,
    created: String,
}

#[derive(Template)]
#[template(path = "console/apps.html")]
struct AppsPage {
    chrome: Chrome,
    columns: Vec<Column>,
    apps: Vec<AppRow>,
}

#[derive(Template)]
#[template(path = "console/app.html")]
struct AppPage {
    chrome: Chrome,
    app: App,
    created: String,
    key_overlap: Option<String>,
    secret_overlap: Option<String>,
    /// In sandbox mode: the app's sandbox time and how far ahead it is.
    sandbox: Option<SandboxClockOut>,
}

/// A secret shown once: after a key or webhook secret is made. The page is the answer to the
/// form itself (never a redirect), so the secret is in no URL and no history.
#[derive(Template)]
#[template(path = "console/secret.html")]
struct SecretPage {
    chrome: Chrome,
    app_id: String,
    what: &'static str,
    secret: String,
    note: String,
}

pub async fn list(State(state): State<AppState>, operator: Operator, Params(q): Params<ListQuery>) -> ConsoleResult {
    let mut apps: Vec<AppRow> = state
        .passbook
        .list_apps()
        .await?
        .into_iter()
        .map(|a| AppRow {
            webhook_url: a.webhook_url.clone().unwrap_or_else(|| "—".into()),
            refresh: a.refresh_interval_hours,
            created: when(a.created_at),
            id: a.id.into(),
            name: a.name,
        })
        .collect();
    let columns = sort_rows(
        &mut apps,
        q.sort.as_deref(),
        "/console/apps",
        &[
            ("name", "Name", |a| a.name.clone()),
            ("id", "Id", |a| a.id.clone()),
            ("webhook", "Webhook URL", |a| a.webhook_url.clone()),
            ("refresh", "Refresh (h)", |a| a.refresh.to_string()),
            ("created", "Created", |a| a.created.clone()),
        ],
    );
    Ok(render(AppsPage { chrome: operator.chrome("apps", q.notice.as_deref()), columns, apps }))
}

pub async fn create(State(state): State<AppState>, Acting { operator, form }: Acting) -> ConsoleResult {
    let created = state.passbook.console().create_app(&operator.0, field(&form, "name")).await?;
    Ok(render(SecretPage {
        chrome: operator.chrome("apps", None),
        app_id: created.app.id.into(),
        what: "secret key",
        secret: created.secret_key,
        note: "Send it as mono-sec-key. It is shown this once: Passbook keeps only its hash.".into(),
    }))
}

pub async fn show(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<AppId>,
    Params(q): Params<ListQuery>,
) -> ConsoleResult {
    let app = state.passbook.console().app(&id).await?;
    let sandbox = state.passbook.console().sandbox_clock(&app).await?;
    let now = state.passbook.now();
    let live = |until: passbook_domain::Timestamp| (until > now).then(|| when(until));
    Ok(render(AppPage {
        chrome: operator.chrome("apps", q.notice.as_deref()),
        created: when(app.created_at),
        key_overlap: app.previous_secret_key.as_ref().and_then(|(_, until)| live(*until)),
        secret_overlap: app.previous_webhook_secret.as_ref().and_then(|(_, until)| live(*until)),
        sandbox,
        app,
    }))
}

/// Every change to one app: the action is the last part of the form's URL.
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(AppId, String)>,
    Acting { operator, form }: Acting,
) -> ConsoleResult {
    let console = state.passbook.console();
    let by = &operator.0;
    let notice = match action.as_str() {
        "rename" => console.rename_app(by, &id, field(&form, "name")).await.map(|()| "renamed")?,
        "webhook-url" => console.set_webhook_url(by, &id, field(&form, "webhook_url")).await.map(|()| "webhook_url")?,
        "refresh-interval" => {
            console.set_refresh_interval(by, &id, field(&form, "hours")).await.map(|()| "refresh_interval")?
        }
        "sandbox-clock" => {
            console.advance_sandbox_clock(by, &id, field(&form, "days")).await.map(|_| "sandbox_clock")?
        }
        "test-webhook" => console.test_webhook(by, &id).await.map(|_| "test_webhook")?,
        "secret-key" => {
            let hours = field(&form, "overlap_hours").parse().unwrap_or(-1);
            let rotated = console.rotate_secret_key(by, &id, hours).await?;
            return Ok(secret_key_page(&operator, id, rotated));
        }
        "webhook-secret" => {
            let rotated = console.rotate_webhook_secret(by, &id).await?;
            return Ok(webhook_secret_page(&operator, id, rotated));
        }
        other => return Err(Error::not_found(format!("No app action '{other}'")).into()),
    };
    Ok(done(&format!("/console/apps/{id}"), notice))
}

/// The new secret key, shown once.
fn secret_key_page(operator: &Operator, app_id: AppId, rotated: RotatedKey) -> Response {
    let note = match rotated.previous_valid_until {
        Some(until) => {
            format!("The previous key keeps working until {}; move your servers to this one before then.", when(until))
        }
        None => "The previous key stopped working now.".into(),
    };
    let chrome = operator.chrome("apps", None);
    render(SecretPage { chrome, app_id: app_id.into(), what: "secret key", secret: rotated.secret_key, note })
}

/// The new webhook secret, shown once.
fn webhook_secret_page(operator: &Operator, app_id: AppId, rotated: RotatedSecret) -> Response {
    let note = format!(
        "Deliveries are signed with both secrets until {}; update your verifier before then.",
        when(rotated.previous_valid_until)
    );
    let chrome = operator.chrome("apps", None);
    render(SecretPage { chrome, app_id: app_id.into(), what: "webhook secret", secret: rotated.secret, note })
}

pub(super) fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map(String::as_str).unwrap_or_default()
}
