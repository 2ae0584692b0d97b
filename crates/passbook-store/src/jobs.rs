use passbook_domain::model::JobId;
use passbook_domain::model::{
    AuditEntry, Job, JobEnd, JobKind, JobRecord, JobSettlement, JobStatus, NewJob, QueueClaim, Settled,
};
use passbook_domain::numbers;
use passbook_domain::{Timestamp, ids};
use sqlx::{Any, Transaction};

use crate::error::{StoreError, StoreResult};
use crate::{LockName, SqlStore, fair_claim};

/// Queues the job unless the same kind of job about the same subject is pending already;
/// returns the id of the job that will do the work (this one, or the one already queued).
pub(crate) async fn insert(tx: &mut Transaction<'static, Any>, job: &NewJob) -> StoreResult<JobId> {
    // On PostgreSQL the waiting job can finish between the two statements (each reads the
    // latest commits): then there is none to share, and the job is queued after all.
    const TRIES: usize = 3;
    for _ in 0..TRIES {
        let inserted: Option<String> = crate::sql::query_scalar(
            "INSERT INTO jobs (id, app_id, kind, subject, run_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (kind, subject) WHERE done_at IS NULL AND failed_at IS NULL DO NOTHING
             RETURNING id",
        )
        .bind(job.id.as_str())
        .bind(job.app_id.as_str())
        .bind(job.kind.name())
        .bind(job.kind.subject())
        .bind(job.run_at.0)
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .next();
        if let Some(id) = inserted {
            return Ok(id.into());
        }
        let waiting: Option<String> = crate::sql::query_scalar(
            "SELECT id FROM jobs WHERE kind = $1 AND subject = $2 AND done_at IS NULL AND failed_at IS NULL",
        )
        .bind(job.kind.name())
        .bind(job.kind.subject())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(id) = waiting {
            return Ok(id.into());
        }
    }
    Err(StoreError::Corrupt(format!("could not queue job {} of {}", job.kind.name(), job.kind.subject())))
}

/// Queues a real-time sync of the account unless one was started since `since`: returns the
/// id of the job that answers (this one, or the earlier one). The account's row is locked
/// first, so that parallel requests for one account queue one job.
pub(crate) async fn insert_realtime(store: &SqlStore, job: &NewJob, since: Timestamp) -> StoreResult<JobId> {
    let mut tx = store.write().await?;
    crate::sql::query(sqlx::AssertSqlSafe(format!("SELECT id FROM accounts WHERE id = $1{}", store.for_update())))
        .bind(job.kind.subject())
        .fetch_all(&mut *tx)
        .await?;
    let recent: Option<String> = crate::sql::query_scalar(
        "SELECT id FROM jobs WHERE subject = $1 AND kind IN ('sync_balance', 'sync_statement') AND created_at >= $2
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(job.kind.subject())
    .bind(since.0)
    .fetch_optional(&mut *tx)
    .await?;
    let id = match recent {
        Some(id) => id.into(),
        None => insert(&mut tx, job).await?,
    };
    tx.commit().await?;
    Ok(id)
}

/// Claims due jobs by setting a lease, fairly over apps: each round gives every app with due
/// work one more job before any app gets another, and no app holds more than
/// `per_app` jobs at once (over all workers). A job whose lease expired (its worker died) is
/// due again.
pub(crate) async fn claim(store: &SqlStore, claim: &QueueClaim) -> StoreResult<Vec<Job>> {
    const JOBS: fair_claim::Queue = fair_claim::Queue {
        table: "jobs",
        open: "done_at IS NULL AND failed_at IS NULL",
        due: "r.done_at IS NULL AND r.failed_at IS NULL AND r.run_at <= $1",
        order: &["run_at"],
        // Round by round: every app with due work gets one more job before any gets another.
        pick: "turn, run_at",
        also_set: ", attempts = attempts + 1, started_at = $1",
        returning: "id, kind, subject, attempts",
        exclusive: false,
    };
    let rows: Vec<(String, String, String, i64)> = fair_claim::claim(store, (&JOBS, LockName::JobClaim), claim).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, kind, subject, attempts)| {
            let kind = JobKind::from_parts(&kind, subject)?;
            Some(Job { id: id.into(), kind, attempts: numbers::small_count(attempts) })
        })
        .collect())
}

/// Keeps a running job's lease from running out; false when the job is no longer running
/// (it was settled, or its lease ran out and it was claimed again).
pub(crate) async fn extend_lease(store: &SqlStore, id: &str, attempt: u32, until: Timestamp) -> StoreResult<bool> {
    let done = crate::sql::query(
        "UPDATE jobs SET locked_until = $3 WHERE id = $1 AND attempts = $2 AND locked_until IS NOT NULL
           AND done_at IS NULL AND failed_at IS NULL",
    )
    .bind(id)
    .bind(attempt as i64)
    .bind(until.0)
    .execute(&store.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends the job in `tx`, if the claim being settled is still its latest; `TakenOver` (and
/// nothing written) when another worker claimed it since.
pub(crate) async fn settle(
    tx: &mut Transaction<'static, Any>,
    settlement: &JobSettlement,
    at: Timestamp,
) -> StoreResult<Settled> {
    let (done_at, failed_at, outcome, error) = match &settlement.end {
        JobEnd::Done { outcome } => (Some(at.0), None, outcome.as_deref(), None),
        JobEnd::Failed { reason } => (None, Some(at.0), None, Some(reason.as_str())),
    };
    let updated = crate::sql::query(
        "UPDATE jobs SET done_at = $3, failed_at = $4, outcome = $5, last_error = COALESCE($6, last_error),
             locked_until = NULL
         WHERE id = $1 AND attempts = $2 AND done_at IS NULL AND failed_at IS NULL",
    )
    .bind(settlement.job_id.as_str())
    .bind(settlement.attempt as i64)
    .bind(done_at)
    .bind(failed_at)
    .bind(outcome)
    .bind(error)
    .execute(&mut **tx)
    .await?;
    Ok(if updated.rows_affected() == 1 { Settled::Yes } else { Settled::TakenOver })
}

pub(crate) async fn settle_alone(store: &SqlStore, settlement: &JobSettlement, at: Timestamp) -> StoreResult<Settled> {
    let mut tx = store.write().await?;
    let settled = settle(&mut tx, settlement, at).await?;
    tx.commit().await?;
    Ok(settled)
}

pub(crate) async fn retry(
    store: &SqlStore,
    id: &str,
    attempt: u32,
    at: Timestamp,
    error: &str,
) -> StoreResult<Settled> {
    let updated = crate::sql::query(
        "UPDATE jobs SET run_at = $3, last_error = $4, locked_until = NULL
         WHERE id = $1 AND attempts = $2 AND done_at IS NULL AND failed_at IS NULL",
    )
    .bind(id)
    .bind(attempt as i64)
    .bind(at.0)
    .bind(error)
    .execute(&store.pool)
    .await?;
    Ok(if updated.rows_affected() == 1 { Settled::Yes } else { Settled::TakenOver })
}

pub(crate) async fn insert_alone(store: &SqlStore, job: &NewJob, audit: Option<&AuditEntry>) -> StoreResult<JobId> {
    let mut tx = store.write().await?;
    let id = insert(&mut tx, job).await?;
    if let Some(audit) = audit {
        crate::operators::write_audit(&mut tx, audit).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// How many jobs of the app are waiting or running.
pub(crate) async fn pending_count(store: &SqlStore, app_id: &str) -> StoreResult<u64> {
    let n: i64 = crate::sql::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE app_id = $1 AND done_at IS NULL AND failed_at IS NULL",
    )
    .bind(app_id)
    .fetch_one(&store.pool)
    .await?;
    Ok(numbers::count(n))
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
        id: row.id.into(),
        status,
        has_new_data: outcome.as_ref().and_then(|o| o["has_new_data"].as_bool()),
        created_at: Timestamp(row.created_at),
    })
}

pub(crate) async fn one(store: &SqlStore, account_id: &str, id: &str) -> StoreResult<Option<JobRecord>> {
    let row: Option<JobRow> =
        crate::sql::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM jobs WHERE subject = $1 AND id = $2")))
            .bind(account_id)
            .bind(id)
            .fetch_optional(&store.pool)
            .await?;
    Ok(row.and_then(record))
}

/// Claims the due accounts by moving their next refresh one interval on, and queues a job for
/// each, in one transaction (so two schedulers never queue the same refresh).
pub(crate) async fn schedule_refreshes(store: &SqlStore, now: Timestamp, limit: u32) -> StoreResult<u64> {
    let mut tx = store.write().await?;
    let skip = store.skip_locked();
    let due: Vec<(String, String)> = crate::sql::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE accounts SET next_refresh_at = $1 + (SELECT refresh_interval_hours FROM apps WHERE apps.id = accounts.app_id) * 3600000
         WHERE id IN (SELECT id FROM accounts WHERE next_refresh_at <= $1 AND needs_reauth = 0 AND auth_method <> 'statement_upload'
                      ORDER BY next_refresh_at LIMIT CAST($2 AS BIGINT){skip})
         RETURNING id, app_id"
    )))
    .bind(now.0)
    .bind(limit as i64)
    .fetch_all(&mut *tx)
    .await?;
    for (account_id, app_id) in &due {
        let job = NewJob {
            id: ids::object_id(now).into(),
            app_id: app_id.as_str().into(),
            kind: JobKind::RefreshAccount { account_id: account_id.as_str().into() },
            run_at: now,
        };
        insert(&mut tx, &job).await?;
    }
    tx.commit().await?;
    store.forget_versions(due.iter().map(|(account_id, _)| account_id.as_str()));
    Ok(due.len() as u64)
}

/// The `JobStore` port, on the functions above.
mod port {
    use passbook_domain::Timestamp;
    use passbook_domain::model::{AccountId, AppId, JobId};
    use passbook_domain::model::{AuditEntry, Job, JobRecord, JobSettlement, NewJob, QueueClaim, Settled};
    use passbook_domain::store::JobStore;

    crate::port::impl_port! { JobStore {
        retried fn claim_jobs(claim: &QueueClaim) -> Vec<Job> = crate::jobs::claim(claim);
        retried fn extend_job_lease(id: &JobId, attempt: u32, until: Timestamp) -> bool
            = crate::jobs::extend_lease(id, attempt, until);
        retried fn pending_jobs(app_id: &AppId) -> u64 = crate::jobs::pending_count(app_id);
        retried fn settle_job(settlement: &JobSettlement, at: Timestamp) -> Settled
            = crate::jobs::settle_alone(settlement, at);
        retried fn insert_job(job: &NewJob, audit: Option<&AuditEntry>) -> JobId
            = crate::jobs::insert_alone(job, audit);
        retried fn job(account_id: &AccountId, id: &JobId) -> Option<JobRecord> = crate::jobs::one(account_id, id);
        retried fn insert_realtime_job(job: &NewJob, since: Timestamp) -> JobId
            = crate::jobs::insert_realtime(job, since);
        retried fn schedule_refreshes(now: Timestamp, limit: u32) -> u64 = crate::jobs::schedule_refreshes(now, limit);
        retried fn retry_job(id: &JobId, attempt: u32, at: Timestamp, error: &str) -> Settled
            = crate::jobs::retry(id, attempt, at, error);
    }}
}
