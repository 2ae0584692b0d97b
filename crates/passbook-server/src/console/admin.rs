//! Institutions' health and switches, operators and invitations, and the audit log.

use askama::Template;
use axum::extract::{Path, State};
use passbook_domain::model::{PageRequest, Role};
use passbook_domain::services::console::{ConnectorHealth, InstitutionHealth};
use serde::Deserialize;

use super::apps::field;
use super::format::{Column, Pager, sort_rows, when};
use super::{Acting, Chrome, ConfirmPage, ConsoleResult, Operator, Params, done, render};
use crate::AppState;

const HEALTH_DAYS: u32 = 7;
const AUDIT_PER_PAGE: u64 = 50;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<u64>,
    sort: Option<String>,
    notice: Option<String>,
}

pub struct HealthRow {
    id: String,
    name: String,
    status: &'static str,
    links: u64,
    success: String,
    login_errors: String,
    fetch_p50: u64,
    fetch_p95: u64,
    fetches: u64,
    last_failure: String,
}

pub struct ConnectorRow {
    name: String,
    institutions: usize,
    links: u64,
    linked: u64,
    requests_today: u64,
    last_failure: String,
}

#[derive(Template)]
#[template(path = "console/institutions.html")]
struct InstitutionsPage {
    chrome: Chrome,
    days: u32,
    connectors: Vec<ConnectorRow>,
    columns: Vec<Column>,
    rows: Vec<HealthRow>,
}

fn last_failure(failure: Option<(passbook_domain::Timestamp, String)>) -> String {
    failure.map_or_else(String::new, |(at, code)| format!("{code}, {}", when(at)))
}

impl From<ConnectorHealth> for ConnectorRow {
    fn from(c: ConnectorHealth) -> Self {
        Self {
            last_failure: last_failure(c.last_failure),
            name: c.name,
            institutions: c.institutions,
            links: c.links,
            linked: c.linked,
            requests_today: c.requests_today,
        }
    }
}

impl From<InstitutionHealth> for HealthRow {
    fn from(h: InstitutionHealth) -> Self {
        Self {
            success: h.link_success_percent().map_or_else(|| "—".into(), |p| format!("{p:.0}%")),
            login_errors: h.login_errors.iter().map(|(kind, n)| format!("{kind} ×{n}")).collect::<Vec<_>>().join("; "),
            fetch_p50: h.fetches.p50_ms,
            fetch_p95: h.fetches.p95_ms,
            fetches: h.fetches.count,
            last_failure: last_failure(h.last_failure),
            links: h.links,
            status: h.institution.status.as_str(),
            id: h.institution.id,
            name: h.institution.name,
        }
    }
}

pub async fn institutions(
    State(state): State<AppState>,
    operator: Operator,
    Params(q): Params<PageQuery>,
) -> ConsoleResult {
    let health = state.passbook.console().institution_health(HEALTH_DAYS).await?;
    let connectors =
        state.passbook.console().connector_health(&health).await?.into_iter().map(ConnectorRow::from).collect();
    let mut rows: Vec<HealthRow> = health.into_iter().map(HealthRow::from).collect();
    let columns = sort_rows(
        &mut rows,
        q.sort.as_deref(),
        "/console/institutions",
        &[
            ("name", "Institution", |r| r.name.clone()),
            ("status", "Status", |r| r.status.to_string()),
            ("links", "Links", |r| r.links.to_string()),
            ("success", "Linked", |r| r.success.clone()),
            ("errors", "Login errors", |r| r.login_errors.clone()),
            ("fetch", "Fetch p50 / p95 ms", |r| r.fetch_p95.to_string()),
            ("failure", "Last failed fetch", |r| r.last_failure.clone()),
        ],
    );
    Ok(render(InstitutionsPage {
        chrome: operator.chrome("institutions", q.notice.as_deref()),
        days: HEALTH_DAYS,
        connectors,
        columns,
        rows,
    }))
}

pub async fn set_institution_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Acting { operator, form }: Acting,
) -> ConsoleResult {
    state.passbook.console().set_institution_status(&operator.0, &id, field(&form, "status")).await?;
    Ok(done("/console/institutions", "status"))
}

pub struct OperatorRow {
    id: String,
    email: String,
    role: &'static str,
    since: String,
    /// The one looking may change or remove this operator.
    manageable: bool,
}

#[derive(Template)]
#[template(path = "console/operators.html")]
struct OperatorsPage {
    chrome: Chrome,
    operators: Vec<OperatorRow>,
    roles: Vec<&'static str>,
    invite_link: Option<String>,
    invited_role: &'static str,
    invitations: Vec<InvitationRow>,
}

/// A pending invitation, as those who may invite see it.
struct InvitationRow {
    /// Its token's hash: what the revoke form names (the token itself is never kept).
    id: String,
    role: &'static str,
    invited_by: String,
    expires: String,
    revocable: bool,
}

async fn operators_page(state: &AppState, operator: &Operator, invite: Option<(String, Role)>) -> ConsoleResult {
    let me = &operator.0.operator;
    let all = state.passbook.console().operators().await?;
    let emails: std::collections::HashMap<&str, &str> = all.iter().map(|o| (o.id.as_str(), o.email.as_str())).collect();
    let operators = all
        .iter()
        .cloned()
        .map(|o| OperatorRow {
            manageable: o.id != me.id && me.role.can_manage(o.role),
            id: o.id.into(),
            email: o.email,
            role: o.role.as_str(),
            since: when(o.created_at),
        })
        .collect();
    let me = me.role;
    // Those who may not invite see no invitations (the service refuses them).
    let pending = state.passbook.console().pending_invitations(&operator.0).await.unwrap_or_default();
    let invitations = pending
        .into_iter()
        .map(|i| InvitationRow {
            revocable: me.can_invite(i.role),
            role: i.role.as_str(),
            invited_by: match &i.invited_by {
                Some(id) => emails.get(id.as_str()).map_or_else(|| "a removed operator".into(), |e| e.to_string()),
                None => "the setup link".into(),
            },
            expires: when(i.expires_at),
            id: i.token_hash,
        })
        .collect();
    Ok(render(OperatorsPage {
        chrome: operator.chrome("operators", None),
        operators,
        roles: Role::ALL.into_iter().filter(|r| me.can_invite(*r)).map(Role::as_str).collect(),
        invited_role: invite.as_ref().map_or("", |(_, r)| r.as_str()),
        invite_link: invite.map(|(link, _)| link),
        invitations,
    }))
}

/// Ends a pending invitation.
pub async fn revoke_invitation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Acting { operator, .. }: Acting,
) -> ConsoleResult {
    state.passbook.console().revoke_invitation(&operator.0, &id).await?;
    Ok(done("/console/operators", "invitation"))
}

pub async fn operators(State(state): State<AppState>, operator: Operator) -> ConsoleResult {
    operators_page(&state, &operator, None).await
}

/// Makes an invitation and shows its link, once, in the answer to the form.
pub async fn invite(State(state): State<AppState>, Acting { operator, form }: Acting) -> ConsoleResult {
    let role = field(&form, "role");
    let token = state.passbook.console().invite_operator(&operator.0, role).await?;
    let link = format!("{}/console/join/{token}", state.passbook.public_url());
    operators_page(&state, &operator, Some((link, Role::parse(role).unwrap_or(Role::Viewer)))).await
}

pub async fn change_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Acting { operator, form }: Acting,
) -> ConsoleResult {
    state.passbook.console().change_operator_role(&operator.0, &id, field(&form, "role")).await?;
    Ok(done("/console/operators", "role"))
}

/// The confirmation step of a removal: a page of its own, so it works without JavaScript.
pub async fn confirm_remove(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> ConsoleResult {
    let target = state.passbook.console().operator_to_manage(&operator.0, &id).await?;
    Ok(render(ConfirmPage {
        chrome: operator.chrome("operators", None),
        title: "Remove operator",
        heading: format!("Remove {}?", target.email),
        warning: format!(
            "{} ({}) will no longer be able to log in, and every session they have open ends now. Invite them \
             again to undo it.",
            target.email,
            target.role.as_str()
        ),
        action: format!("/console/operators/{}/remove", target.id),
        button: "Remove the operator",
        button_id: "confirm-remove",
        back: "/console/operators".into(),
        back_label: "Keep them",
    }))
}

pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Acting { operator, .. }: Acting,
) -> ConsoleResult {
    state.passbook.console().remove_operator(&operator.0, &id).await?;
    Ok(done("/console/operators", "removed"))
}

pub struct AuditRow {
    at: String,
    who: String,
    action: String,
    app: String,
    subject: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditRow>,
    pager: Pager,
}

pub async fn audit(State(state): State<AppState>, operator: Operator, Params(q): Params<PageQuery>) -> ConsoleResult {
    let page = q.page.unwrap_or(1).max(1);
    let entries = state.passbook.console().audit_log(PageRequest::new(page, Some(AUDIT_PER_PAGE))).await?;
    let operators = state.passbook.console().operators().await?;
    let apps = state.passbook.list_apps().await?;
    let who = |actor: &str| match actor.strip_prefix("operator:") {
        Some(id) => operators.iter().find(|o| o.id == id).map_or_else(|| actor.to_string(), |o| o.email.clone()),
        None => actor.to_string(),
    };
    let rows = entries
        .items
        .into_iter()
        .map(|e| AuditRow {
            at: when(e.at),
            who: who(&e.actor),
            action: e.action.replace('_', " "),
            app: apps.iter().find(|a| a.id == e.app_id).map_or(e.app_id, |a| a.name.clone()),
            subject: e.subject,
            detail: e.detail,
        })
        .collect();
    Ok(render(AuditPage {
        chrome: operator.chrome("audit", None),
        rows,
        pager: Pager::new(page, AUDIT_PER_PAGE, entries.total, "/console/audit"),
    }))
}
