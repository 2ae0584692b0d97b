//! `GET /passbook/v1/accounts/{id}/transactions/sync`: the transaction change feed.
use axum::Json;
use axum::extract::{Path, State};
use passbook_domain::model::AccountId;
use passbook_domain::sync::{SyncPage, SyncedTransaction};
use passbook_types::Success;
use passbook_types::passbook::{SyncOut, SyncQuery, SyncTransactionOut};

use super::{success, wire};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, AuthApp};

pub async fn sync(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
    ApiQuery(query): ApiQuery<SyncQuery>,
) -> ApiResult<Json<Success<SyncOut>>> {
    let page = state.passbook.sync_transactions(&app, &id, &query).await?;
    Ok(Json(success(&state, "Transaction changes retrieved", sync_out(page))))
}

fn sync_out(page: SyncPage) -> SyncOut {
    let synced =
        |t: SyncedTransaction| SyncTransactionOut { transaction: wire::transaction(t.transaction), pending: t.pending };
    SyncOut {
        added: page.added.into_iter().map(synced).collect(),
        modified: page.modified.into_iter().map(synced).collect(),
        removed: page.removed,
        next_cursor: page.next_cursor,
        has_more: page.has_more,
    }
}
