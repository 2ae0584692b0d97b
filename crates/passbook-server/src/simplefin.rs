//! The SimpleFIN protocol's server side (<https://www.simplefin.org/protocol.html>): `/info`,
//! `/claim/{token}` and `/accounts` under `/simplefin`, over the accounts a customer granted
//! (`POST /passbook/v1/customers/{id}/simplefin`). These answer in the protocol's own terms
//! (bare status codes, the account set), not in Mono's envelope.
use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use passbook_domain::model::{GrantId, Transaction, TxKind};
use passbook_domain::services::{SharedAccount, SharedAccounts, SimpleFinQuery};
use passbook_domain::{Error, Timestamp};
use passbook_types::simplefin as wire;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/simplefin/info", get(info))
        .route("/simplefin/claim/{token}", post(claim))
        .route("/simplefin/accounts", get(accounts))
}

async fn info() -> Json<wire::Info> {
    Json(wire::Info { versions: vec!["1.0".into()] })
}

async fn claim(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match state.passbook.claim_simplefin(&token).await {
        Ok(access_url) => access_url.into_response(),
        Err(err) => refusal(err),
    }
}

async fn accounts(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let Some((id, password)) = basic_credentials(&headers) else {
        return (StatusCode::FORBIDDEN, "Basic credentials from the access URL are required").into_response();
    };
    let query = match parse_query(query.as_deref().unwrap_or_default()) {
        Ok(query) => query,
        Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
    };
    match state.passbook.simplefin_accounts(&GrantId::from(id), &password, &query).await {
        Ok(shared) => Json(account_set(state.passbook.public_url(), shared)).into_response(),
        Err(err) => refusal(err),
    }
}

/// A refusal as the protocol has it: 403 for credentials, the status alone otherwise.
fn refusal(err: Error) -> Response {
    let status = match &err {
        Error::Forbidden(_) | Error::Unauthorized(_) => StatusCode::FORBIDDEN,
        Error::Unavailable(_) | Error::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status.is_server_error() {
        tracing::error!(error = %err, "a SimpleFIN request failed");
        return (status, "Passbook could not answer; try again later").into_response();
    }
    (status, err.to_string()).into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, password) = decoded.split_once(':')?;
    Some((id.to_string(), password.to_string()))
}

/// `start-date`, `end-date` (seconds since the epoch), `pending`, `balances-only` and repeated
/// `account`; anything else is ignored, as the protocol asks of servers.
fn parse_query(raw: &str) -> Result<SimpleFinQuery, String> {
    let mut query = SimpleFinQuery::default();
    for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let seconds = || {
            value
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|s| s.checked_mul(1000))
                .map(Timestamp)
                .ok_or_else(|| format!("{name} must be a whole number of seconds since the epoch"))
        };
        match name.as_ref() {
            "start-date" => query.start = Some(seconds()?),
            "end-date" => query.end = Some(seconds()?),
            "pending" => query.pending = value == "1",
            "balances-only" => query.balances_only = value == "1",
            "account" => query.accounts.push(value.into_owned().into()),
            _ => {}
        }
    }
    Ok(query)
}

fn account_set(public_url: &str, shared: SharedAccounts) -> wire::AccountSet {
    let sfin_url = format!("{public_url}/simplefin");
    wire::AccountSet {
        errors: shared.errors,
        errlist: Vec::new(),
        accounts: shared.accounts.into_iter().map(|a| shared_account(&sfin_url, a)).collect(),
    }
}

fn shared_account(sfin_url: &str, shared: SharedAccount) -> wire::Account {
    let SharedAccount { account, institution, posted, pending } = shared;
    let currency = Some(account.currency.as_str());
    let balance = wire::decimal(account.balance.unwrap_or_default(), currency);
    let as_of = account.freshness.last_refreshed_at.unwrap_or(account.updated_at);
    let transaction = |t: &Transaction, pending: bool| {
        let signed = if t.kind == TxKind::Debit { -t.amount } else { t.amount };
        wire::Transaction {
            id: t.id.clone(),
            posted: if pending { 0 } else { t.date.0 / 1000 },
            amount: wire::decimal(signed, currency),
            description: t.narration.clone(),
            pending,
            transacted_at: Some(t.date.0 / 1000),
        }
    };
    let transactions =
        posted.iter().map(|t| transaction(t, false)).chain(pending.iter().map(|t| transaction(t, true))).collect();
    wire::Account {
        org: wire::Organization {
            domain: None,
            sfin_url: sfin_url.to_string(),
            name: Some(institution),
            id: Some(account.institution_id.clone()),
        },
        id: account.id.to_string(),
        name: account.name.clone().unwrap_or_default(),
        currency: account.currency.clone(),
        balance,
        available_balance: None,
        balance_date: as_of.0 / 1000,
        transactions,
    }
}
