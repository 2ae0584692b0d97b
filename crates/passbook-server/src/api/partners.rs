//! The Partners API (`/v2/connect/*`): `responseCode` 99 done (with the code), 101 choose an
//! account, 102 more input needed, 400 refused.
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use passbook_domain::connector::Credentials;
use passbook_domain::model::{Challenge, DiscoveredAccount, LinkSession, LinkState, StatementPreview};
use passbook_domain::services::PartnerSession;
use passbook_domain::statement_file::ReadReport;
use passbook_types::Success;
use passbook_types::partners::{
    PartnerAnswer, ReauthSessionRequest, SessionAnswer, SessionCreated, SessionInstitution, SessionOut, SessionRenewed,
    SessionRequest, SessionUi,
};
use serde_json::{Value, json};

use super::success;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, AuthApp};

fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-session-id").and_then(|v| v.to_str().ok())
}

/// Login and commit bodies are the form's fields; values that are not strings are kept as text.
fn credentials(body: Value) -> Credentials {
    let fields = body.as_object().cloned().unwrap_or_default();
    Credentials(
        fields.into_iter().map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect(),
    )
}

pub async fn create_session(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiJson(body): ApiJson<SessionRequest>,
) -> ApiResult<Json<Success<SessionAnswer>>> {
    let created = state.passbook.linking().partner_session(&app, body).await?;
    Ok(Json(session_created(&state, &created)))
}

pub async fn reauth_session(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiJson(body): ApiJson<ReauthSessionRequest>,
) -> ApiResult<Json<Success<SessionAnswer>>> {
    let created = state.passbook.linking().partner_reauth_session(&app, body.account.as_deref()).await?;
    // Renewed without the user: Mono's answer carries `responseCode` inside `data` here.
    if let LinkState::Linked { auth_code, .. } = &created.session.state {
        let renewed =
            SessionAnswer::Renewed(SessionRenewed { response_code: 99, code: auth_code.clone().unwrap_or_default() });
        return Ok(Json(success(&state, "Request completed successfully", renewed)));
    }
    Ok(Json(session_created(&state, &created)))
}

fn session_created(state: &AppState, created: &PartnerSession) -> Success<SessionAnswer> {
    let (token, session) = (&created.token, &created.session);
    let institution = session.state.institution_id().and_then(|id| state.passbook.institutions().get(id));
    let spec = institution
        .as_ref()
        .and_then(|i| session.state.auth_method().and_then(|m| i.auth_method(m)).or(i.auth_methods.first()));
    let created = SessionCreated {
        session: SessionOut {
            id: token.clone(),
            scope: "financial_data".into(),
            expires_at: session.expires_at.0,
            institution: institution.as_ref().map(|i| SessionInstitution {
                id: i.id.clone(),
                name: i.name.clone(),
                identifier: i.identifier.clone(),
            }),
        },
        ui: SessionUi {
            title: spec.map(|s| s.title.clone()),
            form: spec.map_or_else(Vec::new, |s| s.form.iter().map(super::wire::form_element).collect()),
        },
    };
    success(state, "Session created successfully", SessionAnswer::Created(created))
}

pub async fn login(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<PartnerAnswer>)> {
    let session = state.passbook.linking().partner_login(&app, session_id(&headers), credentials(body)).await?;
    Ok(answer(&state, &session))
}

pub async fn commit(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<PartnerAnswer>)> {
    let session = state.passbook.linking().partner_commit(&app, session_id(&headers), credentials(body)).await?;
    Ok(answer(&state, &session))
}

/// Where the session stands, as a Partners API answer.
fn answer(state: &AppState, session: &LinkSession) -> (StatusCode, Json<PartnerAnswer>) {
    let timestamp = state.passbook.now().to_iso();
    let (status, body) = match progress(session) {
        Ok((response_code, message, data)) => (
            StatusCode::OK,
            PartnerAnswer { status: "successful".into(), message: message.into(), timestamp, response_code, data },
        ),
        Err(message) => (
            StatusCode::BAD_REQUEST,
            PartnerAnswer { status: "failed".into(), message, timestamp, response_code: 400, data: Value::Null },
        ),
    };
    (status, Json(body))
}

/// The session's state as Mono's partner answer: its response code, message and data, or why it
/// failed.
fn progress(session: &LinkSession) -> Result<(u16, &'static str, Value), String> {
    if let Some(error) = session.state.error() {
        return Err(error.to_string());
    }
    Ok(match &session.state {
        LinkState::Linked { auth_code, .. } => (99, "Account linked successfully", json!({"code": auth_code})),
        LinkState::SelectAccounts { accounts, .. } => (101, "Select the account to link", account_choice(accounts)),
        LinkState::Challenge { challenge, .. } => {
            let otp = challenge.fields.iter().any(|f| f.name == "otp");
            (102, if otp { "OTP required" } else { "Input required" }, challenge_input(challenge))
        }
        LinkState::UploadStatement { .. } => (102, "Upload the statement", upload_input()),
        LinkState::ReviewStatement { accounts, report, .. } => (102, "Confirm the statement", review(accounts, report)),
        LinkState::Consent { error: None, .. } => (
            102,
            "Approve access at the bank",
            json!({"consent": {"start": "POST /v2/connect/commit to get the bank's page for the user"}}),
        ),
        LinkState::AwaitingConsent { bank_url, .. } => (
            102,
            "Send the user to the bank",
            json!({"consent": {"redirectUrl": bank_url, "then": "POST /v2/connect/commit once the user is back"}}),
        ),
        LinkState::Consent { .. } => return Err(session.state.error().unwrap_or_default().to_string()),
        LinkState::Failed { reason } => return Err(format!("The session ended: {}", reason.as_str())),
        LinkState::ChooseInstitution | LinkState::ChooseAuthMethod { .. } | LinkState::Login { .. } => {
            return Err("Log in with the institution's form".into());
        }
    })
}

/// The accounts the user may choose from, as the Partners API lists them.
fn account_choice(accounts: &[DiscoveredAccount]) -> Value {
    let accounts: Vec<Value> = accounts
        .iter()
        .map(|a| {
            json!({"accountNumber": a.account_number, "name": a.name, "type": a.kind, "currency": a.currency,
                   "status": "active", "balance": a.balance})
        })
        .collect();
    json!({"accounts": accounts})
}

/// The bank's question, as a form of the Partners API's elements.
fn challenge_input(challenge: &Challenge) -> Value {
    let form: Vec<_> = challenge.fields.iter().map(super::wire::form_element).collect();
    json!({"userInput": {"title": challenge.title, "form": form}})
}

/// The statement upload's form: the file, and its password if it has one.
fn upload_input() -> Value {
    json!({"userInput": {"title": "Upload a bank statement", "form": [
        {"type": "elements.input", "name": "statement", "hint": "The statement file, base64-encoded", "contentType": "file"},
        {"type": "elements.input", "name": "password", "hint": "The file's password, if it has one", "contentType": "password"}
    ]}})
}

/// What a statement's review shows the integrator: each account read, and the read's report.
fn review(accounts: &[StatementPreview], report: &ReadReport) -> Value {
    json!({"statement": accounts.iter().map(|a| json!({
        "accountNumber": a.account_number, "name": a.name, "currency": a.currency,
        "period": {"start": a.first_day.map(|t| t.to_iso()), "end": a.last_day.map(|t| t.to_iso())},
        "transactions": a.transactions, "openingBalance": a.opening, "closingBalance": a.closing,
        "reconciliation": a.reconciliation.as_str(),
    })).collect::<Vec<_>>(),
    "report": {"rowsRead": report.rows_read, "linesSkipped": report.skipped_total, "skipped": &report.skipped}})
}
