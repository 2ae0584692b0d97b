//! `GET /v2/accounts/{id}/earnings` and `/assets` (contract §1.12), for investment platforms.
use axum::Json;
use axum::extract::{Path, State};
use passbook_domain::model::AccountId;
use passbook_domain::services::AccountInvestments;
use passbook_types::Success;
use serde_json::{Value, json};

use super::success;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::AuthApp;

pub async fn earnings(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
) -> ApiResult<Json<Success<Value>>> {
    let found = state.passbook.investments(&app, &id).await?.investments;
    let data: Vec<Value> = found
        .earnings
        .iter()
        .map(|e| {
            json!({"id": e.id, "amount": e.amount, "narration": e.narration, "date": e.date.to_iso(),
                   "asset": {"symbol": e.symbol, "name": e.asset_name, "sale_price": null, "quantity_sold": null}})
        })
        .collect();
    Ok(Json(success(&state, "Request was succesfully completed", Value::Array(data))))
}

/// `balances` keys are snake-cased currency codes (`_u_s_d`), as Mono's serializer writes them.
pub async fn assets(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
) -> ApiResult<Json<Success<Value>>> {
    let AccountInvestments { account, investments: found } = state.passbook.investments(&app, &id).await?;
    let key: String = found.currency.chars().map(|c| format!("_{}", c.to_ascii_lowercase())).collect();
    let assets: Vec<Value> = found
        .assets
        .iter()
        .map(|a| {
            json!({"name": a.name, "type": a.kind, "cost": a.cost, "return": a.value - a.cost, "quantity": a.quantity,
                   "currency": found.currency,
                   "details": {"symbol": a.symbol, "price": a.price, "current_balance": a.value}})
        })
        .collect();
    let data = json!({"id": account.id, "balances": {key: found.cash_balance}, "assets": assets});
    Ok(Json(success(&state, "Request was succesfully completed", data)))
}
