//! Income and creditworthiness: the requests answer at once; results arrive by webhook.
use axum::Json;
use axum::extract::{Path, State};
use passbook_domain::model::{AccountId, IncomeRecord};
use passbook_domain::services::parse_list_page;
use passbook_types::accounts::CreditworthinessRequest;
use passbook_types::{ListMeta, Success};
use serde::Deserialize;

use super::{list_meta, success};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, AuthApp};

#[derive(Debug, Deserialize)]
pub struct IncomeQuery {
    period: Option<String>,
    page: Option<String>,
}

/// `GET /v2/accounts/{id}/income`
pub async fn income(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
    ApiQuery(query): ApiQuery<IncomeQuery>,
) -> ApiResult<Json<Success<Option<()>>>> {
    let account = state.passbook.request_income(&app, &id, query.period.as_deref()).await?;
    let name = account.name.unwrap_or_default();
    let message = format!(
        "The income of {name} is currently being  processed, and the data will be sent to you through your webhook"
    );
    Ok(Json(success(&state, &message, None)))
}

/// `GET /v2/accounts/{id}/income-records`
pub async fn income_records(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
    ApiQuery(query): ApiQuery<IncomeQuery>,
) -> ApiResult<Json<Success<Vec<IncomeRecord>, ListMeta>>> {
    let page = parse_list_page(query.page.as_deref())?;
    let found = state.passbook.income_records(&app, &id, page.clone()).await?;
    let base = &state.passbook.settings.public_url;
    let meta = list_meta(&page, found.total, |n| format!("{base}/v2/accounts/{id}/income-records?page={n}"));
    Ok(Json(success(&state, "Income records retrieved successfully", found.items).with_meta(meta)))
}

/// `POST /v2/accounts/{id}/creditworthiness`
pub async fn creditworthiness(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
    ApiJson(body): ApiJson<CreditworthinessRequest>,
) -> ApiResult<Json<Success<Option<()>>>> {
    let account = state.passbook.request_creditworthiness(&app, &id, body).await?;
    let name = account.name.unwrap_or_default();
    let message = format!(
        "The creditworthiness of {name} is currently being processed. Once completed, the data will be sent to your webhook."
    );
    Ok(Json(success(&state, &message, None)))
}
