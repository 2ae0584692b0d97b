//! The sandbox's own controls under `/passbook/v1/sandbox` (sandbox mode only).
use axum::Json;
use axum::extract::State;
use passbook_types::Success;
use passbook_types::passbook::{SandboxClockIn, SandboxClockOut};

use super::success;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, ApiJson, AuthApp};

/// `GET /passbook/v1/sandbox/clock`.
pub async fn clock(State(state): State<AppState>, AuthApp(app): AuthApp) -> ApiResult<Json<Success<SandboxClockOut>>> {
    let clock = state.passbook.sandbox_clock(&app).await?;
    Ok(Json(success(&state, "Sandbox clock", clock)))
}

/// `POST /passbook/v1/sandbox/clock`: moves the clock ahead, running the refreshes on the way.
pub async fn advance_clock(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<SandboxClockIn>,
) -> ApiResult<Json<Success<SandboxClockOut>>> {
    let clock = state.passbook.advance_sandbox_clock(&app, &body, &actor).await?;
    Ok(Json(success(&state, "Sandbox clock moved", clock)))
}
