//! `/console/accounts`: customers' linked accounts, searched and acted on.

use askama::Template;
use axum::extract::{Path, State};
use passbook_domain::model::{Account, AccountId, AppId, Customer, PageRequest, Transaction};
use passbook_domain::services::AccountSource;
use serde::Deserialize;

use super::format::{Column, Pager, naira, query, sort_rows, when, when_opt};
use super::{Acting, Chrome, ConfirmPage, ConsoleResult, Operator, Params, done, render};
use crate::AppState;

const PER_PAGE: u64 = 25;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    app: Option<String>,
    page: Option<u64>,
    sort: Option<String>,
    notice: Option<String>,
}

pub struct AccountRow {
    id: String,
    customer: String,
    email: String,
    institution: String,
    number: String,
    status: String,
    balance: String,
    last_refresh: String,
}

#[derive(Template)]
#[template(path = "console/accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    q: String,
    app: String,
    apps: Vec<(AppId, String)>,
    columns: Vec<Column>,
    rows: Vec<AccountRow>,
    pager: Pager,
}

pub struct TxRow {
    date: String,
    narration: String,
    amount: String,
    kind: &'static str,
    balance: String,
}

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    chrome: Chrome,
    account: Account,
    customer: Option<Customer>,
    app_name: String,
    institution: String,
    institution_status: &'static str,
    balance: String,
    last_refresh: String,
    last_failure: String,
    next_refresh: String,
    transactions: Vec<TxRow>,
    statement: Option<StatementFacts>,
}

/// A statement account's import report, as the account page shows it.
struct StatementFacts {
    format: &'static str,
    imported_at: String,
    rows_read: usize,
    reconciliation: &'static str,
    lines_skipped: usize,
    skipped: Vec<passbook_domain::statement_file::SkippedLine>,
    /// `original`, `altered`, `suspicious` or `unknown`, with why.
    verdict: &'static str,
    signals: Vec<passbook_domain::integrity::Signal>,
}

impl AccountRow {
    fn of(state: &AppState, a: Account, c: Customer) -> Self {
        Self {
            institution: state.passbook.institutions().get(&a.institution_id).map_or(a.institution_id, |i| i.name),
            number: a.account_number,
            status: a.data_status.as_str().to_string(),
            balance: a.balance.map_or_else(|| "—".into(), naira),
            last_refresh: when_opt(a.freshness.last_refreshed_at),
            id: a.id.into(),
            customer: c.name,
            email: c.email,
        }
    }
}

pub async fn list(State(state): State<AppState>, operator: Operator, Params(q): Params<ListQuery>) -> ConsoleResult {
    let page = q.page.unwrap_or(1).max(1);
    let search = q.q.clone().unwrap_or_default();
    let app = q.app.clone().filter(|a| !a.is_empty());
    let found =
        state.passbook.console().accounts(app.as_deref(), &search, PageRequest::new(page, Some(PER_PAGE))).await?;
    let mut rows: Vec<AccountRow> =
        found.items.into_iter().map(|f| AccountRow::of(&state, f.account, f.customer)).collect();
    let base = format!("/console/accounts?{}", query(&[("q", q.q.as_deref()), ("app", app.as_deref())]));
    let columns = sort_rows(
        &mut rows,
        q.sort.as_deref(),
        &base,
        &[
            ("customer", "Customer", |r| r.customer.clone()),
            ("email", "E-mail", |r| r.email.clone()),
            ("institution", "Institution", |r| r.institution.clone()),
            ("number", "Account number", |r| r.number.clone()),
            ("status", "Data status", |r| r.status.clone()),
            ("balance", "Balance", |r| r.balance.clone()),
            ("refreshed", "Last refresh", |r| r.last_refresh.clone()),
        ],
    );
    let apps = state.passbook.list_apps().await?.into_iter().map(|a| (a.id, a.name)).collect();
    Ok(render(AccountsPage {
        chrome: operator.chrome("accounts", q.notice.as_deref()),
        q: search,
        app: app.unwrap_or_default(),
        apps,
        columns,
        rows,
        pager: Pager::new(page, PER_PAGE, found.total, &base),
    }))
}

pub async fn show(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<AccountId>,
    Params(q): Params<ListQuery>,
) -> ConsoleResult {
    let page = state.passbook.console().account(&id).await?;
    let account = page.account;
    Ok(render(AccountPage {
        chrome: operator.chrome("accounts", q.notice.as_deref()),
        app_name: page.app.name,
        institution: page.institution.as_ref().map_or_else(|| account.institution_id.clone(), |i| i.name.clone()),
        institution_status: page.institution.as_ref().map_or("unknown", |i| i.status.as_str()),
        balance: account.balance.map_or_else(|| "—".into(), naira),
        last_refresh: when_opt(account.freshness.last_refreshed_at),
        last_failure: match (&account.freshness.last_failed_at, &account.freshness.last_failure) {
            (Some(at), Some(code)) => format!("{code} at {}", when(*at)),
            _ => "none".into(),
        },
        next_refresh: when_opt(account.freshness.next_refresh_at),
        customer: page.customer,
        account,
        transactions: page.transactions.into_iter().map(TxRow::from).collect(),
        statement: page.source.map(StatementFacts::from),
    }))
}

impl From<Transaction> for TxRow {
    fn from(t: Transaction) -> Self {
        Self {
            date: when(t.date),
            narration: t.narration,
            amount: naira(t.amount),
            kind: t.kind.as_str(),
            balance: t.balance.map_or_else(|| "—".into(), naira),
        }
    }
}

impl From<AccountSource> for StatementFacts {
    fn from(s: AccountSource) -> Self {
        Self {
            format: s.format.as_str(),
            imported_at: when(s.imported_at),
            rows_read: s.rows_read,
            reconciliation: s.reconciliation.status.as_str(),
            lines_skipped: s.lines_skipped,
            skipped: s.skipped,
            verdict: s.integrity.verdict.as_str(),
            signals: s.integrity.signals,
        }
    }
}

pub async fn refresh(
    State(state): State<AppState>,
    Path(id): Path<AccountId>,
    Acting { operator, .. }: Acting,
) -> ConsoleResult {
    state.passbook.console().refresh_account(&operator.0, &id).await?;
    Ok(done(&format!("/console/accounts/{id}"), "refresh"))
}

/// The confirmation step of an unlink: a page of its own, so it works without JavaScript.
pub async fn confirm_unlink(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<AccountId>,
) -> ConsoleResult {
    let page = state.passbook.console().account(&id).await?;
    let (account, customer) = (page.account, page.customer.map_or_else(String::new, |c| c.name));
    Ok(render(ConfirmPage {
        chrome: operator.chrome("accounts", None),
        title: "Unlink account",
        heading: "Unlink this account?".into(),
        warning: format!(
            "{customer}'s account {} will be unlinked: its data and the bank login are deleted, and the app is \
             sent mono.events.account_unlinked. This cannot be undone.",
            account.account_number
        ),
        action: format!("/console/accounts/{}/unlink", account.id),
        button: "Unlink the account",
        button_id: "confirm-unlink",
        back: format!("/console/accounts/{}", account.id),
        back_label: "Keep it",
    }))
}

pub async fn unlink(
    State(state): State<AppState>,
    Path(id): Path<AccountId>,
    Acting { operator, .. }: Acting,
) -> ConsoleResult {
    state.passbook.console().unlink_account(&operator.0, &id).await?;
    Ok(done("/console/accounts", "unlinked"))
}
