//! A SimpleFIN Bridge on loopback, written from the published protocol
//! (<https://www.simplefin.org/protocol.html>): setup tokens that claim once, access URLs with
//! Basic credentials, and `GET /accounts` with `start-date`, `end-date`, `pending`,
//! `balances-only` and repeated `account`. It records every request, and refuses a window
//! longer than 90 days, so a test fails loudly if Passbook breaks the protocol's rules.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};

#[derive(Clone)]
pub struct Bridge {
    pub url: String,
    state: Arc<Mutex<BridgeState>>,
}

#[derive(Default)]
struct BridgeState {
    /// Claim ids, and whether each was claimed.
    tokens: HashMap<String, bool>,
    /// Access credentials handed out (username → password), and those revoked.
    access: HashMap<String, String>,
    revoked: Vec<String>,
    accounts: Vec<Value>,
    /// The query of every `GET /accounts`, as (name, value) pairs.
    requests: Vec<Vec<(String, String)>>,
    claims: usize,
    /// Errors the next answers carry (version 1 `errors`).
    errors: Vec<String>,
    /// A status every `GET /accounts` answers with instead (the bridge is down).
    down: Option<StatusCode>,
    /// How long every `GET /accounts` takes (a slow bridge).
    delay: std::time::Duration,
}

impl Bridge {
    pub async fn start(accounts: Vec<Value>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(BridgeState { accounts, ..Default::default() }));
        let bridge = Bridge { url, state };
        let app = axum::Router::new()
            .route("/claim/{id}", post(claim))
            .route("/simplefin/accounts", get(accounts_answer))
            .with_state(bridge.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        bridge
    }

    /// A new setup token: base64 of its claim URL.
    pub fn setup_token(&self) -> String {
        let id = passbook_domain::ids::random_alnum(24);
        self.state.lock().unwrap().tokens.insert(id.clone(), false);
        base64::engine::general_purpose::STANDARD.encode(format!("{}/claim/{id}", self.url))
    }

    /// The user revokes every access URL handed out so far.
    pub fn revoke_all(&self) {
        let mut state = self.state.lock().unwrap();
        state.revoked = state.access.keys().cloned().collect();
    }

    pub fn set_accounts(&self, accounts: Vec<Value>) {
        self.state.lock().unwrap().accounts = accounts;
    }

    pub fn set_errors(&self, errors: &[&str]) {
        self.state.lock().unwrap().errors = errors.iter().map(|e| e.to_string()).collect();
    }

    pub fn set_delay(&self, delay: std::time::Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    pub fn set_down(&self, status: Option<StatusCode>) {
        self.state.lock().unwrap().down = status;
    }

    pub fn requests(&self) -> Vec<Vec<(String, String)>> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn claims(&self) -> usize {
        self.state.lock().unwrap().claims
    }

    /// Every access password handed out: none may appear where users or logs can read it.
    pub fn secrets(&self) -> Vec<String> {
        self.state.lock().unwrap().access.values().cloned().collect()
    }
}

async fn claim(State(bridge): State<Bridge>, Path(id): Path<String>) -> Response {
    let mut state = bridge.state.lock().unwrap();
    state.claims += 1;
    match state.tokens.get_mut(&id) {
        Some(claimed) if !*claimed => *claimed = true,
        _ => return StatusCode::FORBIDDEN.into_response(),
    }
    let username = passbook_domain::ids::random_alnum(12);
    let password = format!("sfin-secret-{}", passbook_domain::ids::random_alnum(20));
    state.access.insert(username.clone(), password.clone());
    let host = bridge.url.trim_start_matches("http://");
    format!("http://{username}:{password}@{host}/simplefin").into_response()
}

async fn accounts_answer(State(bridge): State<Bridge>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let delay = bridge.state.lock().unwrap().delay;
    tokio::time::sleep(delay).await;
    let mut state = bridge.state.lock().unwrap();
    let authorised = basic_credentials(&headers)
        .is_some_and(|(user, password)| state.access.get(&user) == Some(&password) && !state.revoked.contains(&user));
    if !authorised {
        return StatusCode::FORBIDDEN.into_response();
    }
    if let Some(status) = state.down {
        return status.into_response();
    }
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    state.requests.push(pairs.clone());
    let param = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let start: Option<i64> = param("start-date").and_then(|v| v.parse().ok());
    let end: Option<i64> = param("end-date").and_then(|v| v.parse().ok());
    if let (Some(start), Some(end)) = (start, end)
        && end - start > 90 * 86_400
    {
        return (StatusCode::BAD_REQUEST, "date range over 90 days").into_response();
    }
    let wanted: Vec<&String> = pairs.iter().filter(|(k, _)| k == "account").map(|(_, v)| v).collect();
    let balances_only = param("balances-only").as_deref() == Some("1");
    let pending = param("pending").as_deref() == Some("1");
    let accounts: Vec<Value> = state
        .accounts
        .iter()
        .filter(|a| wanted.is_empty() || wanted.iter().any(|w| a["id"] == w.as_str()))
        .map(|account| {
            let mut account = account.clone();
            let rows: Vec<Value> = account["transactions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|t| !balances_only && (pending || !t["pending"].as_bool().unwrap_or(false)))
                .filter(|t| {
                    let at = t["posted"].as_i64().filter(|&p| p > 0).or(t["transacted_at"].as_i64()).unwrap_or(0);
                    start.is_none_or(|s| at >= s) && end.is_none_or(|e| at < e)
                })
                .collect();
            account["transactions"] = Value::Array(rows);
            account
        })
        .collect();
    axum::Json(json!({"errors": state.errors, "accounts": accounts})).into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(value).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// An account as the bridge lists it.
pub fn account(id: &str, name: &str, balance: &str, transactions: Vec<Value>) -> Value {
    json!({
        "org": {"domain": "bank.example", "sfin-url": "https://bridge.example/simplefin", "name": "Example Bank"},
        "id": id,
        "name": name,
        "currency": "USD",
        "balance": balance,
        "available-balance": balance,
        "balance-date": 0,
        "transactions": transactions,
        "extra": {}
    })
}

/// A transaction `days_ago` days before `now` (seconds); pending ones have `posted` 0.
pub fn transaction(id: &str, now: i64, days_ago: i64, amount: &str, description: &str, pending: bool) -> Value {
    let at = now - days_ago * 86_400;
    json!({
        "id": id,
        "posted": if pending { 0 } else { at },
        "transacted_at": at,
        "amount": amount,
        "description": description,
        "pending": pending
    })
}
