//! `GET /v2/accounts/{id}/earnings` and `/assets` (contract §1.12), for investment platforms.
use axum::Json;
use axum::extract::{Path, State};
use passbook_domain::model::AccountId;
use passbook_domain::services::AccountInvestments;
use passbook_types::Success;
use passbook_types::accounts::{AssetDetails, AssetOut, AssetsOut, EarningAsset, EarningOut};

use super::success;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::AuthApp;

pub async fn earnings(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
) -> ApiResult<Json<Success<Vec<EarningOut>>>> {
    let found = state.passbook.investments(&app, &id).await?.investments;
    let data = found
        .earnings
        .into_iter()
        .map(|e| EarningOut {
            id: e.id,
            amount: e.amount,
            narration: e.narration,
            date: e.date.to_iso(),
            asset: EarningAsset { symbol: e.symbol, name: e.asset_name, sale_price: None, quantity_sold: None },
        })
        .collect();
    Ok(Json(success(&state, "Request was succesfully completed", data)))
}

/// `balances` keys are snake-cased currency codes (`_u_s_d`), as Mono's serializer writes them.
pub async fn assets(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
) -> ApiResult<Json<Success<AssetsOut>>> {
    let AccountInvestments { account, investments: found } = state.passbook.investments(&app, &id).await?;
    let key: String = found.currency.chars().map(|c| format!("_{}", c.to_ascii_lowercase())).collect();
    let assets = found
        .assets
        .into_iter()
        .map(|a| AssetOut {
            name: a.name,
            kind: a.kind,
            cost: a.cost,
            gain: a.value - a.cost,
            quantity: a.quantity,
            currency: found.currency.clone(),
            details: AssetDetails { symbol: a.symbol, price: a.price, current_balance: a.value },
        })
        .collect();
    let data = AssetsOut { id: account.id.into(), balances: [(key, found.cash_balance)].into(), assets };
    Ok(Json(success(&state, "Request was succesfully completed", data)))
}
