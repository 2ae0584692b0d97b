use passbook_domain::Timestamp;
use passbook_domain::model::{Expired, NewJob, StatementJob, StatementStatus};
use passbook_domain::numbers;
use sqlx::FromRow;

use crate::error::{StoreError, StoreResult};
use crate::{SqlStore, jobs};

#[derive(FromRow)]
struct StatementRow {
    id: String,
    app_id: String,
    account_id: String,
    months: i64,
    status: String,
    created_at: i64,
}

const COLUMNS: &str = "id, app_id, account_id, months, status, created_at";

fn from_row(r: StatementRow) -> StoreResult<StatementJob> {
    Ok(StatementJob {
        status: StatementStatus::parse(&r.status)
            .ok_or_else(|| StoreError::Corrupt(format!("statement status {}", r.status)))?,
        id: r.id.into(),
        app_id: r.app_id.into(),
        account_id: r.account_id.into(),
        months: numbers::small_count(r.months),
        created_at: Timestamp(r.created_at),
    })
}

fn pdf_context(id: &str) -> String {
    format!("statements.pdf:{id}")
}

/// Records the statement and queues its build, unless the same statement is being built
/// already: then that one is the answer.
pub(crate) async fn insert(
    store: &SqlStore,
    s: &StatementJob,
    job: &NewJob,
    limit: (u32, Timestamp),
) -> StoreResult<Option<StatementJob>> {
    let mut tx = store.write().await?;
    // Builds of the account are counted under its row lock, so requests sent at once cannot
    // pass the limit together; a request that joins a waiting build costs nothing.
    crate::sql::query(sqlx::AssertSqlSafe(format!("SELECT id FROM accounts WHERE id = $1{}", store.for_update())))
        .bind(s.account_id.as_str())
        .fetch_all(&mut *tx)
        .await?;
    let waiting: Option<StatementRow> = crate::sql::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM statements WHERE app_id = $1 AND account_id = $2 AND months = $3 AND status = 'BUILDING'"
    )))
    .bind(s.app_id.as_str())
    .bind(s.account_id.as_str())
    .bind(s.months as i64)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = waiting {
        tx.commit().await?;
        return from_row(row).map(Some);
    }
    let (max, since) = limit;
    let recent: i64 =
        crate::sql::query_scalar("SELECT COUNT(*) FROM statements WHERE account_id = $1 AND created_at >= $2")
            .bind(s.account_id.as_str())
            .bind(since.0)
            .fetch_one(&mut *tx)
            .await?;
    if recent >= i64::from(max) {
        return Ok(None);
    }
    crate::sql::query(
        "INSERT INTO statements (id, app_id, account_id, months, status, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(s.id.as_str())
    .bind(s.app_id.as_str())
    .bind(s.account_id.as_str())
    .bind(s.months as i64)
    .bind(s.status.as_str())
    .bind(s.created_at.0)
    .execute(&mut *tx)
    .await?;
    jobs::insert(&mut tx, job).await?;
    tx.commit().await?;
    Ok(Some(s.clone()))
}

pub(crate) async fn get(
    store: &SqlStore,
    app_id: &str,
    account_id: &str,
    id: &str,
) -> StoreResult<Option<StatementJob>> {
    let row: Option<StatementRow> = crate::sql::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM statements WHERE app_id = $1 AND account_id = $2 AND id = $3"
    )))
    .bind(app_id)
    .bind(account_id)
    .bind(id)
    .fetch_optional(&store.pool)
    .await?;
    row.map(from_row).transpose()
}

pub(crate) async fn by_id(store: &SqlStore, id: &str) -> StoreResult<Option<StatementJob>> {
    let row: Option<StatementRow> =
        crate::sql::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM statements WHERE id = $1")))
            .bind(id)
            .fetch_optional(&store.pool)
            .await?;
    row.map(from_row).transpose()
}

pub(crate) async fn finish(store: &SqlStore, id: &str, pdf: Option<&[u8]>, at: Timestamp) -> StoreResult<()> {
    let status = if pdf.is_some() { StatementStatus::Built } else { StatementStatus::Failed };
    crate::sql::query("UPDATE statements SET status = $2, pdf_sealed = $3, built_at = $4 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(pdf.map(|p| store.vault.seal(p, &pdf_context(id))))
        .bind(at.0)
        .execute(&store.pool)
        .await?;
    Ok(())
}

pub(crate) async fn pdf(store: &SqlStore, id: &str) -> StoreResult<Option<Vec<u8>>> {
    let sealed: Option<Option<Vec<u8>>> = crate::sql::query_scalar("SELECT pdf_sealed FROM statements WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.pool)
        .await?;
    sealed.flatten().map(|s| store.vault.open(&s, &pdf_context(id)).map_err(Into::into)).transpose()
}

pub(crate) async fn expire(store: &SqlStore, before: Timestamp) -> StoreResult<Expired> {
    let mut tx = store.write().await?;
    let pdfs = crate::sql::query(
        "UPDATE statements SET status = 'EXPIRED', pdf_sealed = NULL WHERE status = 'BUILT' AND built_at < $1",
    )
    .bind(before.0)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let jobs = crate::sql::query("DELETE FROM jobs WHERE done_at < $1 OR failed_at < $1")
        .bind(before.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(Expired { pdfs, jobs })
}

/// The `ReportStore` port, on the functions above.
mod port {
    use passbook_domain::Timestamp;
    use passbook_domain::model::{AccountId, AppId, StatementId};
    use passbook_domain::model::{Expired, IncomeRecord, NewEvent, NewJob, Page, PageRequest, StatementJob};
    use passbook_domain::store::ReportStore;

    crate::port::impl_port! { ReportStore {
        retried fn insert_income_record(app_id: &AppId, record: &IncomeRecord, event: &NewEvent) -> ()
            = crate::income::insert(app_id, record, event);
        retried fn income_records(app_id: &AppId, account_id: &AccountId, page: PageRequest) -> Page<IncomeRecord>
            = crate::income::list(app_id, account_id, page.clone());
        retried fn insert_statement(
            statement: &StatementJob,
            job: &NewJob,
            limit: (u32, Timestamp),
        ) -> Option<StatementJob>
            = crate::statements::insert(statement, job, limit);
        retried fn statement(app_id: &AppId, account_id: &AccountId, id: &StatementId) -> Option<StatementJob>
            = crate::statements::get(app_id, account_id, id);
        retried fn statement_by_id(id: &StatementId) -> Option<StatementJob> = crate::statements::by_id(id);
        retried fn finish_statement(id: &StatementId, pdf: Option<&[u8]>, at: Timestamp) -> ()
            = crate::statements::finish(id, pdf, at);
        retried fn statement_pdf(id: &StatementId) -> Option<Vec<u8>> = crate::statements::pdf(id);
        retried fn expire_statements_and_jobs(before: Timestamp) -> Expired = crate::statements::expire(before);
    }}
}
