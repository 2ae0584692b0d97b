//! `/passbook/v1/customers/{id}/simplefin`: SimpleFIN setup tokens for a customer, and their end.
use axum::Json;
use axum::extract::{Path, State};
use passbook_domain::model::CustomerId;
use passbook_types::Success;
use passbook_types::passbook::{SimpleFinRevokedOut, SimpleFinTokenOut};

use super::success;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::AuthApp;

pub async fn create_token(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<CustomerId>,
) -> ApiResult<Json<Success<SimpleFinTokenOut>>> {
    let token = state.passbook.create_simplefin_token(&app, &id).await?;
    let out = SimpleFinTokenOut { setup_token: token.setup_token, expires_at: token.expires_at.to_iso() };
    Ok(Json(success(&state, "SimpleFIN setup token created", out)))
}

pub async fn revoke(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<CustomerId>,
) -> ApiResult<Json<Success<SimpleFinRevokedOut>>> {
    let revoked = state.passbook.revoke_simplefin(&app, &id).await?;
    Ok(Json(success(&state, "SimpleFIN access revoked", SimpleFinRevokedOut { revoked })))
}
