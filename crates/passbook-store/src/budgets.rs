//! Allowances of upstream requests ([`RequestBudget`]): one row per connection and window.
use async_trait::async_trait;
use passbook_domain::Timestamp;
use passbook_domain::connector::{ConnectorError, RequestBudget};

use crate::SqlStore;
use crate::error::StoreResult;

/// Windows older than this are swept when a new one opens.
const KEEP_WINDOWS_MS: i64 = 7 * 24 * 60 * 60 * 1000;

async fn take(store: &SqlStore, key: &str, window_start: Timestamp, limit: u32) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    // One statement takes the request or finds the allowance used up, so two replicas taking
    // the last request at once cannot both have it.
    let taken = crate::sql::query(
        "INSERT INTO request_budgets (budget_key, window_start, used) VALUES ($1, $2, 1)
         ON CONFLICT (budget_key, window_start) DO UPDATE SET used = request_budgets.used + 1
         WHERE request_budgets.used < $3",
    )
    .bind(key)
    .bind(window_start.0)
    .bind(i64::from(limit))
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if taken {
        crate::sql::query("DELETE FROM request_budgets WHERE budget_key = $1 AND window_start < $2")
            .bind(key)
            .bind(window_start.0 - KEEP_WINDOWS_MS)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(taken)
}

#[async_trait]
impl RequestBudget for SqlStore {
    async fn take(&self, key: &str, window_start: Timestamp, limit: u32) -> Result<bool, ConnectorError> {
        if limit == 0 {
            return Ok(false);
        }
        take(self, key, window_start, limit)
            .await
            .map_err(|err| ConnectorError::Transient(format!("counting the request allowance: {err}")))
    }
}
