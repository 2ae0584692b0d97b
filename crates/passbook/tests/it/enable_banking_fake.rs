//! Enable Banking on loopback, written from its published API reference: every request must
//! carry an application JWT (RS256, `kid` the application id, `iss`/`aud`/`exp` as documented)
//! that verifies against the registered public key; `/aspsps`, `/auth`, the bank's consent
//! page, `/sessions` (each session mints new account `uid`s and closes the earlier sessions),
//! balances, and transactions paged by `continuation_key`.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// Transactions per page.
const PAGE: usize = 2;

#[derive(Clone)]
pub struct FakeBank {
    pub url: String,
    state: Arc<Mutex<BankState>>,
}

struct BankState {
    application_id: String,
    public_key: Vec<u8>,
    /// authorization id → (state, redirect_url, valid_until)
    authorizations: HashMap<String, (String, String, String)>,
    codes: HashMap<String, String>,
    /// uid → (session, account index)
    uids: HashMap<String, (String, usize)>,
    closed_sessions: Vec<String>,
    /// Sessions the application ended (`DELETE /sessions/{id}`).
    ended_sessions: Vec<String>,
    accounts: Vec<Value>,
    /// Banks listed besides Nordea (Finland), by country.
    more_banks: Vec<Value>,
    /// The bank list answers 503.
    list_down: bool,
    pub refused_tokens: usize,
}

impl FakeBank {
    /// A bank that knows the application `application_id` by the public half of `private_pem`.
    /// The sessions the application ended.
    pub fn ended_sessions(&self) -> Vec<String> {
        self.state.lock().unwrap().ended_sessions.clone()
    }

    pub async fn start(application_id: &str, private_pem: &str, accounts: Vec<Value>) -> Self {
        let der = pem_der(private_pem);
        let key = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
        let state = BankState {
            application_id: application_id.to_string(),
            public_key: key.public().as_ref().to_vec(),
            authorizations: HashMap::new(),
            codes: HashMap::new(),
            uids: HashMap::new(),
            closed_sessions: Vec::new(),
            ended_sessions: Vec::new(),
            accounts,
            more_banks: Vec::new(),
            list_down: false,
            refused_tokens: 0,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let bank =
            FakeBank { url: format!("http://{}", listener.local_addr().unwrap()), state: Arc::new(Mutex::new(state)) };
        let app = axum::Router::new()
            .route("/aspsps", get(aspsps))
            .route("/auth", post(auth))
            .route("/bank/authorize", get(bank_page))
            .route("/sessions", post(sessions))
            .route("/sessions/{id}", axum::routing::delete(end_session))
            .route("/accounts/{uid}/balances", get(balances))
            .route("/accounts/{uid}/transactions", get(transactions))
            .with_state(bank.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        bank
    }

    pub fn refused_tokens(&self) -> usize {
        self.state.lock().unwrap().refused_tokens
    }
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}

/// Checks the application JWT as Enable Banking documents it.
/// A refusal: its status and Enable Banking's error body.
type Refusal = (StatusCode, Json<Value>);

fn authorised(bank: &FakeBank, headers: &HeaderMap) -> Result<(), Refusal> {
    let mut state = bank.state.lock().unwrap();
    let verdict = (|| {
        let token = headers.get("authorization")?.to_str().ok()?.strip_prefix("Bearer ")?;
        let mut parts = token.split('.');
        let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
        let (iat, exp) = (claims["iat"].as_i64()?, claims["exp"].as_i64()?);
        let fields_ok = header["alg"] == "RS256"
            && header["kid"] == state.application_id.as_str()
            && claims["iss"] == "enablebanking.com"
            && claims["aud"] == "api.enablebanking.com"
            && exp > now - 60
            && exp - iat <= 86_400;
        let signed = &token[..token.rfind('.')?];
        let key =
            ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &state.public_key);
        let signature_ok = key.verify(signed.as_bytes(), &URL_SAFE_NO_PAD.decode(signature).ok()?).is_ok();
        Some(fields_ok && signature_ok)
    })();
    if verdict == Some(true) {
        return Ok(());
    }
    state.refused_tokens += 1;
    Err((StatusCode::UNAUTHORIZED, Json(json!({"error": "UNAUTHORIZED", "message": "Invalid application token"}))))
}

async fn aspsps(
    State(bank): State<FakeBank>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = authorised(&bank, &headers) {
        return refused.into_response();
    }
    if bank.state.lock().unwrap().list_down {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": "SERVICE_UNAVAILABLE"}))).into_response();
    }
    let country = q.get("country").map(String::as_str).unwrap_or_default();
    let mut banks: Vec<Value> = Vec::new();
    if country == "FI" {
        banks.push(json!({"name": "Nordea", "country": "FI", "logo": "https://enablebanking.com/brands/FI/Nordea/", "maximum_consent_validity": 15_552_000}));
    }
    let more = bank.state.lock().unwrap().more_banks.clone();
    banks.extend(more.into_iter().filter(|b| b["country"] == country));
    Json(json!({"aspsps": banks})).into_response()
}

async fn auth(State(bank): State<FakeBank>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(refused) = authorised(&bank, &headers) {
        return refused.into_response();
    }
    let (Some(state), Some(redirect), Some(until)) =
        (body["state"].as_str(), body["redirect_url"].as_str(), body["access"]["valid_until"].as_str())
    else {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": "WRONG_REQUEST_PARAMETERS"}))).into_response();
    };
    let id = passbook_domain::ids::random_alnum(16);
    bank.state.lock().unwrap().authorizations.insert(id.clone(), (state.into(), redirect.into(), until.into()));
    Json(json!({"url": format!("{}/bank/authorize?authorization_id={id}", bank.url), "authorization_id": id}))
        .into_response()
}

/// The bank's own page: Approve or Deny (`decision`), then back to the redirect URL.
async fn bank_page(State(bank): State<FakeBank>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut state = bank.state.lock().unwrap();
    let Some((link_state, redirect, _)) =
        q.get("authorization_id").and_then(|id| state.authorizations.get(id)).cloned()
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !q.contains_key("decision") {
        let id = &q["authorization_id"];
        return axum::response::Html(format!(
            "<!doctype html><title>Nordea</title><h1>Nordea</h1><p>Share your accounts?</p>\
             <form method=get action=/bank/authorize><input type=hidden name=authorization_id value={id}>\
             <button id=approve name=decision value=approve>Approve</button>\
             <button id=deny name=decision value=deny>Deny</button></form>"
        ))
        .into_response();
    }
    let mut back = url::Url::parse(&redirect).unwrap();
    if q.get("decision").map(String::as_str) == Some("approve") {
        let code = passbook_domain::ids::random_alnum(20);
        state.codes.insert(code.clone(), q["authorization_id"].clone());
        back.query_pairs_mut().append_pair("code", &code).append_pair("state", &link_state);
    } else {
        back.query_pairs_mut().append_pair("error", "access_denied").append_pair("state", &link_state);
    }
    Redirect::to(back.as_str()).into_response()
}

async fn sessions(State(bank): State<FakeBank>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(refused) = authorised(&bank, &headers) {
        return refused.into_response();
    }
    let mut state = bank.state.lock().unwrap();
    let Some(authorization) = body["code"].as_str().and_then(|code| state.codes.remove(code)) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": "WRONG_AUTHORIZATION_CODE"}))).into_response();
    };
    let until = state.authorizations[&authorization].2.clone();
    // A new session closes the earlier ones, as a bank does when the user consents again.
    let earlier: Vec<String> = state.uids.values().map(|(session, _)| session.clone()).collect();
    state.closed_sessions.extend(earlier);
    let session = passbook_domain::ids::random_alnum(16);
    let mut accounts = Vec::new();
    for (index, account) in state.accounts.clone().iter().enumerate() {
        let uid = passbook_domain::ids::random_alnum(12);
        state.uids.insert(uid.clone(), (session.clone(), index));
        let mut listed = json!({
            "uid": uid,
            "identification_hash": account["identification_hash"],
            "name": account["name"],
            "currency": account["currency"],
            "cash_account_type": "CACC",
        });
        if let Some(iban) = account["iban"].as_str() {
            listed["account_id"] = json!({"iban": iban});
        }
        accounts.push(listed);
    }
    Json(json!({"session_id": session, "accounts": accounts, "access": {"valid_until": until}, "psu_type": "personal"}))
        .into_response()
}

/// `DELETE /sessions/{id}`: the application ends a consent; its accounts are no longer read.
async fn end_session(State(bank): State<FakeBank>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(refused) = authorised(&bank, &headers) {
        return refused.into_response();
    }
    let mut state = bank.state.lock().unwrap();
    if !state.uids.values().any(|(session, _)| *session == id) {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "SESSION_DOES_NOT_EXIST"}))).into_response();
    }
    state.closed_sessions.push(id.clone());
    state.ended_sessions.push(id);
    Json(json!({"message": "OK"})).into_response()
}

/// The account behind a `uid` of an open session, or the refusal.
fn account_of(bank: &FakeBank, headers: &HeaderMap, uid: &str) -> Result<Value, Refusal> {
    authorised(bank, headers)?;
    let state = bank.state.lock().unwrap();
    let Some((session, index)) = state.uids.get(uid) else {
        return Err((StatusCode::NOT_FOUND, Json(json!({"error": "ACCOUNT_DOES_NOT_EXIST"}))));
    };
    if state.closed_sessions.contains(session) {
        return Err((
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "CLOSED_SESSION", "message": "Session is closed"})),
        ));
    }
    Ok(state.accounts[*index].clone())
}

async fn balances(State(bank): State<FakeBank>, headers: HeaderMap, Path(uid): Path<String>) -> Response {
    match account_of(&bank, &headers, &uid) {
        Ok(account) => Json(json!({"balances": [
            {"name": "Available", "balance_type": "ITAV", "balance_amount": {"currency": "EUR", "amount": "9.99"}},
            {"name": "Booked", "balance_type": "CLBD", "balance_amount": {"currency": "EUR", "amount": account["balance"]}},
        ]}))
        .into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn transactions(
    State(bank): State<FakeBank>,
    headers: HeaderMap,
    Path(uid): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let account = match account_of(&bank, &headers, &uid) {
        Ok(account) => account,
        Err(refused) => return refused.into_response(),
    };
    let from = q.get("continuation_key").and_then(|k| k.parse::<usize>().ok()).unwrap_or(0);
    let all = account["transactions"].as_array().cloned().unwrap_or_default();
    let page: Vec<Value> = all.iter().skip(from).take(PAGE).cloned().collect();
    let next = (from + PAGE < all.len()).then(|| (from + PAGE).to_string());
    Json(json!({"transactions": page, "continuation_key": next})).into_response()
}

/// A transaction as a bank lists it (`reference` none: the bank gives no entry reference).
pub fn transaction(
    reference: Option<&str>,
    date: &str,
    amount: &str,
    indicator: &str,
    text: &str,
    status: &str,
) -> Value {
    json!({
        "entry_reference": reference,
        "transaction_amount": {"currency": "EUR", "amount": amount},
        "credit_debit_indicator": indicator,
        "status": status,
        "booking_date": date,
        "value_date": date,
        "remittance_information": [text],
    })
}

impl FakeBank {
    /// Enable Banking's bank list answers 503 (`true`) or answers again.
    pub fn list_down(&self, down: bool) {
        self.state.lock().unwrap().list_down = down;
    }

    /// Enable Banking starts listing another bank.
    pub fn list_bank(&self, name: &str, country: &str) {
        self.state.lock().unwrap().more_banks.push(json!({"name": name, "country": country}));
    }
}
