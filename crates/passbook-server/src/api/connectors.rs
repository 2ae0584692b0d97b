//! `/passbook/v1/connectors/{name}/notifications`: an upstream's webhooks (Mono's), which its
//! connector checks.
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use passbook_types::Success;
use passbook_types::passbook::NotificationOut;

use super::success;
use crate::AppState;
use crate::error::ApiResult;

pub async fn notification(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Success<NotificationOut>>> {
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let refreshing = state.passbook.upstream_notification(&name, &headers, &body).await?;
    Ok(Json(success(&state, "Notification received", NotificationOut { refreshing })))
}
