use axum::Json;
use axum::extract::State;
use passbook_domain::services::InitiateLink;
use passbook_types::Success;
use passbook_types::linking::{InitiateRequest, InitiateResponse, ReferenceOut};

use super::success;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, AuthApp};

/// `POST /v2/accounts/initiate`
pub async fn initiate(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiJson(body): ApiJson<InitiateRequest>,
) -> ApiResult<Json<Success<InitiateResponse>>> {
    let link = InitiateLink::parse(body, state.passbook.institutions())?;
    let created = state.passbook.linking().initiate(&app, link).await?;
    let reauth = created.reauth.clone();
    let data = InitiateResponse {
        mono_url: created.mono_url,
        customer: created.customer_id,
        meta: ReferenceOut { reference: created.reference },
        scope: if reauth.is_some() { "reauth" } else { "auth" }.into(),
        redirect_url: created.redirect_url,
        account: reauth.as_ref().map(|r| r.0.to_string()),
        institution: reauth.as_ref().map(|r| r.1.clone()),
        auth_method: reauth.as_ref().map(|r| r.2.as_str().to_string()),
        created_at: created.created_at.to_iso(),
    };
    Ok(Json(success(&state, "Request was successfully completed", data)))
}
