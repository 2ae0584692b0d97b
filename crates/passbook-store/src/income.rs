use passbook_domain::model::IncomeRecord;
use passbook_domain::model::{NewEvent, Page, PageRequest};
use passbook_domain::numbers;

use crate::error::{StoreError, StoreResult};
use crate::{SqlStore, events};

fn ctx(id: &str) -> String {
    format!("income_records.record:{id}")
}

pub(crate) async fn insert(store: &SqlStore, app_id: &str, record: &IncomeRecord, event: &NewEvent) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let json = serde_json::to_vec(record).expect("income records serialise");
    crate::sql::query(
        "INSERT INTO income_records (id, app_id, account_id, record_sealed, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&record.id)
    .bind(app_id)
    .bind(&record.account_id)
    .bind(store.vault.seal(&json, &ctx(&record.id)))
    .bind(record.created_at.0)
    .execute(&mut *tx)
    .await?;
    events::insert(store, &mut tx, event).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn list(
    store: &SqlStore,
    app_id: &str,
    account_id: &str,
    page: PageRequest,
) -> StoreResult<Page<IncomeRecord>> {
    let total: i64 =
        crate::sql::query_scalar("SELECT COUNT(*) FROM income_records WHERE app_id = $1 AND account_id = $2")
            .bind(app_id)
            .bind(account_id)
            .fetch_one(&store.pool)
            .await?;
    let rows: Vec<(String, Vec<u8>)> = crate::sql::query_as(
        "SELECT id, record_sealed FROM income_records WHERE app_id = $1 AND account_id = $2
         ORDER BY created_at DESC, id DESC LIMIT CAST($3 AS BIGINT) OFFSET $4",
    )
    .bind(app_id)
    .bind(account_id)
    .bind(page.limit.map_or(i64::MAX, numbers::signed))
    .bind(numbers::signed(page.offset()))
    .fetch_all(&store.pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|(id, sealed)| {
            let json = store.vault.open(&sealed, &ctx(&id))?;
            serde_json::from_slice(&json).map_err(|e| StoreError::Corrupt(format!("income record: {e}")))
        })
        .collect::<StoreResult<_>>()?;
    Ok(Page { items, total: numbers::count(total) })
}
