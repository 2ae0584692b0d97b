use axum::Json;
use axum::extract::State;
use passbook_types::Success;
use passbook_types::institutions::{InstitutionOut, InstitutionsQuery};

use super::{success, wire};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::ApiQuery;

/// `GET /v3/institutions`: the coverage list, open to any caller as Mono's widget needs it.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<InstitutionsQuery>,
) -> ApiResult<Json<Success<Vec<InstitutionOut>>>> {
    let found = state.passbook.find_institutions(&query).await?;
    let data = found.iter().map(wire::institution).collect();
    Ok(Json(success(&state, "Request completed successfully", data)))
}
