//! The widget's code exchange and the sandbox's test logins.
use axum::Json;
use axum::extract::State;
use passbook_types::Success;
use passbook_types::connect::{
    ExchangeAnswer, ExchangeOut, ExchangeRequest, SandboxInput, SandboxLogin, SandboxOut, SandboxValues,
};

use super::success;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, AuthApp};

/// `POST /v2/accounts/auth`: the account id for the widget's `code`.
pub async fn exchange(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiJson(body): ApiJson<ExchangeRequest>,
) -> ApiResult<Json<ExchangeAnswer>> {
    let id = state.passbook.linking().exchange_code(&app, body.code.as_deref()).await?;
    let envelope = success(&state, "Request was successfully completed", ExchangeOut { id: id.clone() });
    Ok(Json(ExchangeAnswer { envelope, id }))
}

/// `GET /v2/connect/sandbox`: the sandbox logins, in the Partners API's shape plus a description.
pub async fn sandbox(State(state): State<AppState>, AuthApp(_app): AuthApp) -> ApiResult<Json<Success<SandboxOut>>> {
    let credentials = state
        .passbook
        .institutions()
        .sandbox_logins()
        .into_iter()
        .map(|l| SandboxLogin {
            has_multiple_accounts: l.has_multiple_accounts,
            description: l.description,
            values: SandboxValues { username: l.username, password: l.password },
        })
        .collect();
    let inputs = ["otp", "answer"].map(|name| SandboxInput { name: name.into(), value: "123456".into() }).into();
    Ok(Json(success(&state, "Request completed successfully", SandboxOut { credentials, inputs })))
}
