use passbook_domain::model::{Job, JobKind, JobRecord, JobStatus, NewJob};
use passbook_domain::{Timestamp, ids};
use sqlx::{Any, Transaction};

use crate::SqlStore;
use crate::error::StoreResult;

pub(crate) async fn insert(tx: &mut Transaction<'static, Any>, job: &NewJob) -> StoreResult<()> {
    sqlx::query("INSERT INTO jobs (id, kind, subject, run_at, created_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(&job.id)
        .bind(job.kind.name())
        .bind(job.kind.subject())
        .bind(job.run_at.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Claims due jobs by setting a lease. A single UPDATE … RETURNING is atomic in SQLite, so two
/// workers never claim the same job; a job whose lease expired (its worker died) is due again.
pub(crate) async fn claim(
    store: &SqlStore,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<Job>> {
    let skip = store.skip_locked();
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET locked_until = $2, attempts = attempts + 1
         WHERE id IN (SELECT id FROM jobs
                      WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= $1
                        AND (locked_until IS NULL OR locked_until < $1)
                      ORDER BY run_at LIMIT $3{skip})
           AND (locked_until IS NULL OR locked_until < $1)
         RETURNING id, kind, subject, attempts"
    )))
    .bind(now.0)
    .bind(lease_until.0)
    .bind(limit as i64)
    .fetch_all(&store.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, kind, subject, attempts)| {
            let kind = JobKind::from_parts(&kind, subject)?;
            Some(Job { id, kind, attempts: attempts as u32 })
        })
        .collect())
}

pub(crate) async fn finish(store: &SqlStore, id: &str, now: Timestamp, outcome: Option<&str>) -> StoreResult<()> {
    sqlx::query("UPDATE jobs SET done_at = $2, outcome = $3, locked_until = NULL WHERE id = $1")
        .bind(id)
        .bind(now.0)
        .bind(outcome)
        .execute(&store.pool)
        .await?;
    Ok(())
}

pub(crate) async fn retry(store: &SqlStore, id: &str, at: Timestamp, error: &str) -> StoreResult<()> {
    sqlx::query("UPDATE jobs SET run_at = $2, last_error = $3, locked_until = NULL WHERE id = $1")
        .bind(id)
        .bind(at.0)
        .bind(error)
        .execute(&store.pool)
        .await?;
    Ok(())
}

pub(crate) async fn fail(store: &SqlStore, id: &str, now: Timestamp, error: &str) -> StoreResult<()> {
    sqlx::query("UPDATE jobs SET failed_at = $2, last_error = $3, locked_until = NULL WHERE id = $1")
        .bind(id)
        .bind(now.0)
        .bind(error)
        .execute(&store.pool)
        .await?;
    Ok(())
}

pub(crate) async fn insert_alone(store: &SqlStore, job: &NewJob) -> StoreResult<()> {
    let mut tx = store.write().await?;
    insert(&mut tx, job).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    kind: String,
    subject: String,
    done_at: Option<i64>,
    failed_at: Option<i64>,
    outcome: Option<String>,
    created_at: i64,
}

const COLUMNS: &str = "id, kind, subject, done_at, failed_at, outcome, created_at";

fn record(row: JobRow) -> Option<JobRecord> {
    let outcome: Option<serde_json::Value> = row.outcome.as_deref().and_then(|o| serde_json::from_str(o).ok());
    let failed = row.failed_at.is_some()
        || outcome.as_ref().is_some_and(|o| o["sync_status"].as_str().is_some_and(|s| s != "SUCCESSFUL"));
    let status = match (row.done_at, failed) {
        (_, true) => JobStatus::Failed,
        (Some(_), false) => JobStatus::Finished,
        (None, false) => JobStatus::Processing,
    };
    Some(JobRecord {
        kind: JobKind::from_parts(&row.kind, row.subject)?,
        id: row.id,
        status,
        has_new_data: outcome.as_ref().and_then(|o| o["has_new_data"].as_bool()),
        created_at: Timestamp(row.created_at),
    })
}

pub(crate) async fn one(store: &SqlStore, account_id: &str, id: &str) -> StoreResult<Option<JobRecord>> {
    let row: Option<JobRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM jobs WHERE subject = $1 AND id = $2")))
            .bind(account_id)
            .bind(id)
            .fetch_optional(&store.pool)
            .await?;
    Ok(row.and_then(record))
}

pub(crate) async fn latest_realtime(
    store: &SqlStore,
    account_id: &str,
    since: Timestamp,
) -> StoreResult<Option<JobRecord>> {
    let row: Option<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE subject = $1 AND kind IN ('sync_balance', 'sync_statement') AND created_at >= $2
         ORDER BY created_at DESC LIMIT 1"
    )))
    .bind(account_id)
    .bind(since.0)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.and_then(record))
}

/// Claims the due accounts by moving their next refresh one interval on, and queues a job for
/// each, in one transaction (so two schedulers never queue the same refresh).
pub(crate) async fn schedule_refreshes(store: &SqlStore, now: Timestamp, limit: u32) -> StoreResult<u64> {
    let mut tx = store.write().await?;
    let skip = store.skip_locked();
    let due: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "UPDATE accounts SET next_refresh_at = $1 + (SELECT refresh_interval_hours FROM apps WHERE apps.id = accounts.app_id) * 3600000
         WHERE id IN (SELECT id FROM accounts WHERE next_refresh_at <= $1 AND needs_reauth = 0
                      ORDER BY next_refresh_at LIMIT $2{skip})
         RETURNING id"
    )))
    .bind(now.0)
    .bind(limit as i64)
    .fetch_all(&mut *tx)
    .await?;
    for account_id in &due {
        let job = NewJob {
            id: ids::object_id(now),
            kind: JobKind::RefreshAccount { account_id: account_id.clone() },
            run_at: now,
        };
        insert(&mut tx, &job).await?;
    }
    tx.commit().await?;
    Ok(due.len() as u64)
}
