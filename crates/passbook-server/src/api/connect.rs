//! The widget's code exchange and the sandbox's test logins.
use axum::Json;
use axum::extract::State;
use passbook_types::Success;
use passbook_types::connect::{ExchangeOut, ExchangeRequest};
use serde::Serialize;
use serde_json::{Value, json};

use super::success;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, AuthApp};

/// Mono's clients read `data.id`; some read a top-level `id`, so both are sent.
#[derive(Serialize)]
pub struct ExchangeAnswer {
    #[serde(flatten)]
    envelope: Success<ExchangeOut>,
    id: String,
}

/// `POST /v2/accounts/auth`: the account id for the widget's `code`.
pub async fn exchange(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiJson(body): ApiJson<ExchangeRequest>,
) -> ApiResult<Json<ExchangeAnswer>> {
    let id = state.passbook.exchange_code(&app, body.code.as_deref()).await?;
    let envelope = success(&state, "Request was successfully completed", ExchangeOut { id: id.clone() });
    Ok(Json(ExchangeAnswer { envelope, id }))
}

/// `GET /v2/connect/sandbox`: the sandbox logins, in the Partners API's shape plus a description.
pub async fn sandbox(State(state): State<AppState>, AuthApp(_app): AuthApp) -> ApiResult<Json<Success<Value>>> {
    let credentials: Vec<Value> = state
        .passbook
        .institutions
        .sandbox_logins()
        .into_iter()
        .map(|l| {
            json!({"hasMultipleAccounts": l.has_multiple_accounts, "description": l.description,
                   "values": {"username": l.username, "password": l.password}})
        })
        .collect();
    let data = json!({"credentials": credentials, "inputs": [{"name": "otp", "value": "123456"}, {"name": "answer", "value": "123456"}]});
    Ok(Json(success(&state, "Request completed successfully", data)))
}
