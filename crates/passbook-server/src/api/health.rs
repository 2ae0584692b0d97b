//! Liveness and readiness, for load balancers and orchestrators. Neither needs a key, and
//! neither counts against rate limits.
use axum::Json;
use axum::extract::State;
use passbook_types::passbook::HealthOut;

use crate::AppState;
use crate::error::ApiResult;

/// `GET /healthz`: the process answers.
pub async fn healthz() -> Json<HealthOut> {
    Json(HealthOut { status: "ok".into() })
}

/// `GET /readyz`: the database answers and has this version's migrations; `503` in the failed
/// envelope, naming what is missing, otherwise.
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<HealthOut>> {
    state.passbook.readiness().await?;
    Ok(Json(HealthOut { status: "ready".into() }))
}

/// `GET /openapi.json`.
pub async fn openapi_document() -> impl axum::response::IntoResponse {
    ([("content-type", "application/json")], crate::published().0.as_str())
}
