//! What connectors keep in the database: allowances of upstream requests ([`RequestBudget`]),
//! one row per connection and window, and their memory ([`ConnectorMemory`]), sealed.
use async_trait::async_trait;
use passbook_domain::Timestamp;
use passbook_domain::connector::{ConnectorError, ConnectorMemory, RequestBudget};
use passbook_domain::numbers;

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
        take(self, key, window_start, limit).await.map_err(unavailable)
    }
}

pub(crate) async fn counted(store: &SqlStore, key_prefix: &str, since: Timestamp) -> StoreResult<u64> {
    // `substr`, not `LIKE`: a connector's name may hold `_`, which LIKE reads as a wildcard.
    let used: i64 = crate::sql::query_scalar(
        "SELECT CAST(COALESCE(SUM(used), 0) AS BIGINT) FROM request_budgets
         WHERE substr(budget_key, 1, length($1)) = $1 AND window_start >= $2",
    )
    .bind(key_prefix)
    .bind(since.0)
    .fetch_one(&store.pool)
    .await?;
    Ok(numbers::count(used))
}

fn memory_context(key: &str) -> String {
    format!("connector_memory.value:{key}")
}

async fn remember(store: &SqlStore, key: &str, value: &str) -> StoreResult<()> {
    crate::sql::query(
        "INSERT INTO connector_memory (memory_key, value_sealed, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (memory_key) DO UPDATE SET value_sealed = excluded.value_sealed, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(store.vault.seal_str(value, &memory_context(key)))
    .bind(passbook_domain::Clock::now(&passbook_domain::SystemClock).0)
    .execute(&store.pool)
    .await?;
    Ok(())
}

async fn recall(store: &SqlStore, key: &str) -> StoreResult<Option<String>> {
    let sealed: Option<Vec<u8>> =
        crate::sql::query_scalar("SELECT value_sealed FROM connector_memory WHERE memory_key = $1")
            .bind(key)
            .fetch_optional(&store.pool)
            .await?;
    Ok(sealed.map(|s| store.vault.open_str(&s, &memory_context(key))).transpose()?)
}

async fn forget(store: &SqlStore, key: &str) -> StoreResult<()> {
    crate::sql::query("DELETE FROM connector_memory WHERE memory_key = $1").bind(key).execute(&store.pool).await?;
    Ok(())
}

fn unavailable(err: crate::error::StoreError) -> ConnectorError {
    ConnectorError::Transient(format!("the connector's memory: {err}"))
}

#[async_trait]
impl ConnectorMemory for SqlStore {
    async fn remember(&self, key: &str, value: &str) -> Result<(), ConnectorError> {
        remember(self, key, value).await.map_err(unavailable)
    }

    async fn recall(&self, key: &str) -> Result<Option<String>, ConnectorError> {
        recall(self, key).await.map_err(unavailable)
    }

    async fn forget(&self, key: &str) -> Result<(), ConnectorError> {
        forget(self, key).await.map_err(unavailable)
    }
}
