use passbook_domain::Timestamp;
use passbook_domain::model::{Job, JobKind, NewJob};
use sqlx::{Sqlite, Transaction};

use crate::SqliteStore;
use crate::error::StoreResult;

pub(crate) async fn insert(tx: &mut Transaction<'static, Sqlite>, job: &NewJob) -> StoreResult<()> {
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
    store: &SqliteStore,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<Job>> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "UPDATE jobs SET locked_until = $2, attempts = attempts + 1
         WHERE id IN (SELECT id FROM jobs
                      WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= $1
                        AND (locked_until IS NULL OR locked_until < $1)
                      ORDER BY run_at LIMIT $3)
           AND (locked_until IS NULL OR locked_until < $1)
         RETURNING id, kind, subject, attempts",
    )
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

pub(crate) async fn finish(store: &SqliteStore, id: &str, now: Timestamp) -> StoreResult<()> {
    sqlx::query("UPDATE jobs SET done_at = $2, locked_until = NULL WHERE id = $1")
        .bind(id)
        .bind(now.0)
        .execute(&store.pool)
        .await?;
    Ok(())
}

pub(crate) async fn retry(store: &SqliteStore, id: &str, at: Timestamp, error: &str) -> StoreResult<()> {
    sqlx::query("UPDATE jobs SET run_at = $2, last_error = $3, locked_until = NULL WHERE id = $1")
        .bind(id)
        .bind(at.0)
        .bind(error)
        .execute(&store.pool)
        .await?;
    Ok(())
}

pub(crate) async fn fail(store: &SqliteStore, id: &str, now: Timestamp, error: &str) -> StoreResult<()> {
    sqlx::query("UPDATE jobs SET failed_at = $2, last_error = $3, locked_until = NULL WHERE id = $1")
        .bind(id)
        .bind(now.0)
        .bind(error)
        .execute(&store.pool)
        .await?;
    Ok(())
}
