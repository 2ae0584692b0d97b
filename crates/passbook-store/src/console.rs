//! What the operator console reads across apps — link summaries and timelines, and the raw
//! figures of its charts — and the `ConsoleStore` port (with `operators.rs`).
use passbook_domain::Timestamp;
use passbook_domain::model::*;
use sqlx::FromRow;

use crate::SqlStore;
use crate::error::StoreResult;
use crate::sql::SqlBuilder;

/// Samples of webhook attempts and fetches a chart reads at most (the newest).
const MAX_SAMPLES: i64 = 20_000;

#[derive(FromRow)]
struct SummaryRow {
    id: String,
    app_id: String,
    mode: String,
    step: String,
    institution_id: Option<String>,
    failure_reason: Option<String>,
    reference: Option<String>,
    login_attempts: i64,
    created_at: i64,
    expires_at: i64,
    completed_at: Option<i64>,
}

impl From<SummaryRow> for LinkSummary {
    fn from(r: SummaryRow) -> Self {
        Self {
            id: r.id,
            app_id: r.app_id,
            mode: r.mode,
            step: r.step,
            institution_id: r.institution_id,
            failure_reason: r.failure_reason,
            reference: r.reference,
            login_attempts: r.login_attempts as u32,
            created_at: Timestamp(r.created_at),
            expires_at: Timestamp(r.expires_at),
            completed_at: r.completed_at.map(Timestamp),
        }
    }
}

const SUMMARY: &str = "id, app_id, mode, step, institution_id, failure_reason, reference, login_attempts, created_at, \
    expires_at, completed_at";

fn push_link_filter(qb: &mut SqlBuilder, filter: &LinkFilter) {
    if let Some(app_id) = &filter.app_id {
        qb.push(" AND app_id = ").push_bind(app_id.clone());
    }
    match filter.status {
        None => {}
        Some(LinkStatus::Linked) => {
            qb.push(" AND step = 'linked'");
        }
        Some(LinkStatus::Failed) => {
            qb.push(" AND step = 'failed'");
        }
        Some(LinkStatus::InProgress) => {
            qb.push(" AND completed_at IS NULL AND expires_at > ").push_bind(filter.now.0);
        }
        Some(LinkStatus::Expired) => {
            qb.push(" AND completed_at IS NULL AND expires_at <= ").push_bind(filter.now.0);
        }
    }
    if let Some(reason) = &filter.failure_reason {
        qb.push(" AND failure_reason = ").push_bind(reason.clone());
    }
}

pub(crate) async fn link_summaries(
    store: &SqlStore,
    filter: &LinkFilter,
    page: PageRequest,
) -> StoreResult<Page<LinkSummary>> {
    let mut count = SqlBuilder::new(store.backend, "SELECT COUNT(*) FROM link_sessions WHERE 1 = 1");
    push_link_filter(&mut count, filter);
    let (sql, args) = count.finish();
    let total: i64 = sqlx::query_scalar_with(sql, args).fetch_one(&store.pool).await?;
    let mut qb = SqlBuilder::new(store.backend, format!("SELECT {SUMMARY} FROM link_sessions WHERE 1 = 1"));
    push_link_filter(&mut qb, filter);
    qb.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .push_bind(page.limit.map_or(i64::MAX, |l| l as i64))
        .push(" OFFSET ")
        .push_bind(page.offset() as i64);
    let (sql, args) = qb.finish();
    let rows: Vec<SummaryRow> = sqlx::query_as_with(sql, args).fetch_all(&store.pool).await?;
    Ok(Page { items: rows.into_iter().map(Into::into).collect(), total: total as u64 })
}

pub(crate) async fn link_summary(store: &SqlStore, id: &str) -> StoreResult<Option<LinkSummary>> {
    let row: Option<SummaryRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SUMMARY} FROM link_sessions WHERE id = $1")))
            .bind(id)
            .fetch_optional(&store.pool)
            .await?;
    Ok(row.map(Into::into))
}

pub(crate) async fn link_timeline(store: &SqlStore, session_id: &str) -> StoreResult<Vec<TimelineEntry>> {
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT at, step, note FROM link_timeline WHERE session_id = $1 ORDER BY position")
            .bind(session_id)
            .fetch_all(&store.pool)
            .await?;
    Ok(rows.into_iter().map(|(at, step, note)| TimelineEntry { at: Timestamp(at), step, note }).collect())
}

/// Every figure of the overview and institution health, since `since`.
pub(crate) async fn figures(store: &SqlStore, since: Timestamp) -> StoreResult<ConsoleFigures> {
    let pool = &store.pool;
    let counted = |rows: Vec<(String, i64)>| rows.into_iter().map(|(k, n)| (k, n as u64)).collect::<Vec<_>>();
    let links_by_day: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT created_at / 86400000 AS day, step, COUNT(*) FROM link_sessions WHERE created_at >= $1 GROUP BY day, step",
    )
    .bind(since.0)
    .fetch_all(pool)
    .await?;
    let funnel: Vec<(String, i64)> = sqlx::query_as(
        "SELECT t.step, COUNT(DISTINCT t.session_id) FROM link_timeline t JOIN link_sessions s ON s.id = t.session_id
         WHERE s.created_at >= $1 GROUP BY t.step",
    )
    .bind(since.0)
    .fetch_all(pool)
    .await?;
    let dropped_at: Vec<(String, i64)> = sqlx::query_as(
        "SELECT step, COUNT(*) FROM (
             SELECT t.step, ROW_NUMBER() OVER (PARTITION BY t.session_id ORDER BY t.position DESC) AS n
             FROM link_timeline t JOIN link_sessions s ON s.id = t.session_id
             WHERE s.created_at >= $1 AND s.step <> 'linked' AND t.step <> 'failed') last
         WHERE n = 1 GROUP BY step",
    )
    .bind(since.0)
    .fetch_all(pool)
    .await?;
    let deliveries: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT latency_ms, status_code FROM delivery_attempts WHERE attempted_at >= $1 ORDER BY attempted_at DESC LIMIT $2",
    )
    .bind(since.0)
    .bind(MAX_SAMPLES)
    .fetch_all(pool)
    .await?;
    let fetches: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT a.institution_id, COALESCE(j.done_at, j.failed_at) - j.started_at, CASE WHEN j.done_at IS NULL THEN 0 ELSE 1 END
         FROM jobs j JOIN accounts a ON a.id = j.subject
         WHERE j.started_at IS NOT NULL AND COALESCE(j.done_at, j.failed_at) >= $1
           AND j.kind IN ('fetch_account', 'refresh_account', 'sync_balance', 'sync_statement')
         ORDER BY COALESCE(j.done_at, j.failed_at) DESC LIMIT $2",
    )
    .bind(since.0)
    .bind(MAX_SAMPLES)
    .fetch_all(pool)
    .await?;
    let accounts_by_status: Vec<(String, i64)> =
        sqlx::query_as("SELECT data_status, COUNT(*) FROM accounts GROUP BY data_status ORDER BY data_status")
            .fetch_all(pool)
            .await?;
    let links_by_institution: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT institution_id, step, COUNT(*) FROM link_sessions
         WHERE created_at >= $1 AND institution_id IS NOT NULL GROUP BY institution_id, step",
    )
    .bind(since.0)
    .fetch_all(pool)
    .await?;
    let login_errors: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT s.institution_id, t.note, COUNT(*) FROM link_timeline t JOIN link_sessions s ON s.id = t.session_id
         WHERE s.created_at >= $1 AND s.institution_id IS NOT NULL AND t.note IS NOT NULL AND t.step IN ('login', 'challenge')
         GROUP BY s.institution_id, t.note",
    )
    .bind(since.0)
    .fetch_all(pool)
    .await?;
    let last_failures: Vec<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT institution_id, MAX(last_failed_at), MAX(last_failure) FROM accounts
         WHERE last_failed_at IS NOT NULL GROUP BY institution_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(ConsoleFigures {
        links_by_day: links_by_day.into_iter().map(|(d, s, n)| (d, s, n as u64)).collect(),
        funnel: counted(funnel),
        dropped_at: counted(dropped_at),
        deliveries: deliveries
            .into_iter()
            .map(|(ms, code)| (ms.max(0) as u64, code.is_some_and(|c| (200..300).contains(&c))))
            .collect(),
        fetches: fetches.into_iter().map(|(i, ms, ok)| (i, ms.max(0) as u64, ok == 1)).collect(),
        accounts_by_status: counted(accounts_by_status),
        links_by_institution: links_by_institution.into_iter().map(|(i, s, n)| (i, s, n as u64)).collect(),
        login_errors: login_errors.into_iter().map(|(i, note, n)| (i, note, n as u64)).collect(),
        last_failures: last_failures
            .into_iter()
            .map(|(i, at, code)| (i, Timestamp(at), code.unwrap_or_default()))
            .collect(),
    })
}

/// The `ConsoleStore` port, on the functions above and in `operators.rs`.
mod port {
    use async_trait::async_trait;
    use passbook_domain::model::*;
    use passbook_domain::store::*;
    use passbook_domain::{Result, Timestamp};

    use crate::SqlStore;
    use crate::operators as ops;

    #[async_trait]
    impl ConsoleStore for SqlStore {
        async fn operator_count(&self) -> Result<u64> {
            Ok(self.retrying(|| ops::count(self)).await?)
        }

        async fn operators(&self) -> Result<Vec<Operator>> {
            Ok(self.retrying(|| ops::list(self)).await?)
        }

        async fn operator_by_email(&self, email: &str) -> Result<Option<OperatorRecord>> {
            Ok(self.retrying(|| ops::by_email(self, email)).await?)
        }

        async fn insert_operator(&self, record: &OperatorRecord, invite: Option<&str>) -> Result<OperatorCreated> {
            Ok(self.retrying(|| ops::insert(self, record, invite)).await?)
        }

        async fn insert_invite(&self, invite: &Invite) -> Result<()> {
            Ok(self.retrying(|| ops::insert_invite(self, invite)).await?)
        }

        async fn invite(&self, token_hash: &str, now: Timestamp) -> Result<Option<Invite>> {
            Ok(self.retrying(|| ops::invite(self, token_hash, now)).await?)
        }

        async fn insert_operator_session(&self, session: &OperatorSession) -> Result<()> {
            Ok(self.retrying(|| ops::insert_session(self, session)).await?)
        }

        async fn operator_session(
            &self,
            token_hash: &str,
            now: Timestamp,
        ) -> Result<Option<(OperatorSession, Operator)>> {
            Ok(self.retrying(|| ops::session(self, token_hash, now)).await?)
        }

        async fn delete_operator_session(&self, token_hash: &str) -> Result<()> {
            Ok(self.retrying(|| ops::delete_session(self, token_hash)).await?)
        }

        async fn login_failures(&self, subjects: &[String], since: Timestamp) -> Result<Vec<u64>> {
            Ok(self.retrying(|| ops::login_failures(self, subjects, since)).await?)
        }

        async fn record_login_failure(&self, subjects: &[String], at: Timestamp) -> Result<()> {
            Ok(self.retrying(|| ops::record_login_failure(self, subjects, at)).await?)
        }

        async fn clear_login_failures(&self, subject: &str) -> Result<()> {
            Ok(self.retrying(|| ops::clear_login_failures(self, subject)).await?)
        }

        async fn insert_audit(&self, entry: &AuditEntry) -> Result<()> {
            Ok(self.retrying(|| ops::insert_audit(self, entry)).await?)
        }

        async fn audit_log(&self, page: PageRequest) -> Result<Page<AuditEntry>> {
            Ok(self.retrying(|| ops::audit_log(self, page.clone())).await?)
        }

        async fn institution_overrides(&self) -> Result<Vec<InstitutionOverride>> {
            Ok(self.retrying(|| ops::institution_overrides(self)).await?)
        }

        async fn set_institution_override(&self, id: &str, status: InstitutionStatus, at: Timestamp) -> Result<()> {
            Ok(self.retrying(|| ops::set_institution_override(self, id, status, at)).await?)
        }

        async fn search_accounts(
            &self,
            search: &AccountSearch,
            page: PageRequest,
        ) -> Result<Page<(Account, Customer)>> {
            Ok(self.retrying(|| crate::accounts::search(self, search, page.clone())).await?)
        }

        async fn recent_customers(&self, limit: u32) -> Result<Vec<Customer>> {
            Ok(self.retrying(|| crate::customers::recent(self, limit)).await?)
        }

        async fn link_summaries(&self, filter: &LinkFilter, page: PageRequest) -> Result<Page<LinkSummary>> {
            Ok(self.retrying(|| super::link_summaries(self, filter, page.clone())).await?)
        }

        async fn link_summary(&self, id: &str) -> Result<Option<LinkSummary>> {
            Ok(self.retrying(|| super::link_summary(self, id)).await?)
        }

        async fn link_timeline(&self, session_id: &str) -> Result<Vec<TimelineEntry>> {
            Ok(self.retrying(|| super::link_timeline(self, session_id)).await?)
        }

        async fn console_figures(&self, since: Timestamp) -> Result<ConsoleFigures> {
            Ok(self.retrying(|| super::figures(self, since)).await?)
        }
    }
}
