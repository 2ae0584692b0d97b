//! Income and creditworthiness: the requests answer at once; results arrive by webhook.
use axum::Json;
use axum::extract::{Path, State};
use passbook_domain::model::AccountId;
use passbook_domain::services::parse_list_page;
use passbook_types::accounts::{CreditworthinessRequest, IncomeQuery, IncomeRecordOut};
use passbook_types::{ListMeta, PageQuery, Success};

use super::{list_meta, success};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, AuthApp};

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
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Success<Vec<IncomeRecordOut>, ListMeta>>> {
    let page = parse_list_page(query.page.as_deref())?;
    let found = state.passbook.income_records(&app, &id, page.clone()).await?;
    let base = &state.passbook.public_url();
    let meta = list_meta(&page, found.total, |n| format!("{base}/v2/accounts/{id}/income-records?page={n}"));
    let records = found
        .items
        .into_iter()
        .map(|r| IncomeRecordOut {
            id: r.id,
            account_id: r.account_id,
            period_months: r.period_months,
            report: r.report,
            created_at: r.created_at.to_iso(),
        })
        .collect();
    Ok(Json(success(&state, "Income records retrieved successfully", records).with_meta(meta)))
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
