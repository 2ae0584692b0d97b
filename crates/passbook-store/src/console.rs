//! What the operator console reads across apps — link summaries and timelines, and the raw
//! figures of its charts — and the `ConsoleStore` port (with `operators.rs`).
use passbook_domain::Timestamp;
use passbook_domain::model::{
    HealthFigures, LinkFilter, LinkGroup, LinkStatus, LinkSummary, OverviewFigures, Page, PageRequest, Sample,
    TimelineEntry,
};
use passbook_domain::numbers;
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
            id: r.id.into(),
            app_id: r.app_id.into(),
            mode: r.mode,
            step: r.step,
            institution_id: r.institution_id,
            failure_reason: r.failure_reason,
            reference: r.reference,
            login_attempts: numbers::small_count(r.login_attempts),
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
        qb.push(" AND app_id = ").push_bind(app_id.to_string());
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
    let total: i64 = crate::sql::query_scalar_with(sql, args).fetch_one(&store.pool).await?;
    let mut qb = SqlBuilder::new(store.backend, format!("SELECT {SUMMARY} FROM link_sessions WHERE 1 = 1"));
    push_link_filter(&mut qb, filter);
    qb.push(" ORDER BY created_at DESC, id DESC").push_page(&page);
    let (sql, args) = qb.finish();
    let rows: Vec<SummaryRow> = crate::sql::query_as_with(sql, args).fetch_all(&store.pool).await?;
    Ok(Page { items: rows.into_iter().map(Into::into).collect(), total: numbers::count(total) })
}

pub(crate) async fn link_summary(store: &SqlStore, id: &str) -> StoreResult<Option<LinkSummary>> {
    let row: Option<SummaryRow> =
        crate::sql::query_as(sqlx::AssertSqlSafe(format!("SELECT {SUMMARY} FROM link_sessions WHERE id = $1")))
            .bind(id)
            .fetch_optional(&store.pool)
            .await?;
    Ok(row.map(Into::into))
}

pub(crate) async fn link_timeline(store: &SqlStore, session_id: &str) -> StoreResult<Vec<TimelineEntry>> {
    let rows: Vec<(i64, String, Option<String>)> =
        crate::sql::query_as("SELECT at, step, note FROM link_timeline WHERE session_id = $1 ORDER BY position")
            .bind(session_id)
            .fetch_all(&store.pool)
            .await?;
    Ok(rows.into_iter().map(|(at, step, note)| TimelineEntry { at: Timestamp(at), step, note }).collect())
}

fn counted(rows: Vec<(String, i64)>) -> Vec<(String, u64)> {
    rows.into_iter().map(|(k, n)| (k, numbers::count(n))).collect()
}

fn counted_by(rows: Vec<(String, String, i64)>) -> Vec<(String, String, u64)> {
    rows.into_iter().map(|(a, b, n)| (a, b, numbers::count(n))).collect()
}

/// The overview's figures since `since`: the window's link sessions grouped by day and path, the
/// newest webhook attempts and fetches, and accounts by status.
pub(crate) async fn overview_figures(store: &SqlStore, since: Timestamp) -> StoreResult<OverviewFigures> {
    let pool = &store.pool;
    // One pass over the window's sessions (an index-only scan of `link_sessions_created`).
    let links: Vec<(i64, String, i64, Option<String>, i64)> = crate::sql::query_as(
        "SELECT created_at / 86400000 AS day, step, reached, last_step, COUNT(*) FROM link_sessions
         WHERE created_at >= $1 GROUP BY day, step, reached, last_step",
    )
    .bind(since.0)
    .fetch_all(pool)
    .await?;
    // The newest attempts, counted by latency and outcome: a few hundred rows cross over, not
    // every sample.
    let deliveries: Vec<(i64, i64, i64)> = crate::sql::query_as(
        "SELECT latency_ms, ok, COUNT(*) FROM (
             SELECT latency_ms, CASE WHEN status_code BETWEEN 200 AND 299 THEN 1 ELSE 0 END AS ok
             FROM delivery_attempts WHERE attempted_at >= $1 ORDER BY attempted_at DESC LIMIT CAST($2 AS BIGINT)) newest
         GROUP BY latency_ms, ok",
    )
    .bind(since.0)
    .bind(MAX_SAMPLES)
    .fetch_all(pool)
    .await?;
    let accounts_by_status: Vec<(String, i64)> =
        crate::sql::query_as("SELECT data_status, COUNT(*) FROM accounts GROUP BY data_status ORDER BY data_status")
            .fetch_all(pool)
            .await?;
    Ok(OverviewFigures {
        links: links
            .into_iter()
            .map(|(day, step, reached, last_step, n)| LinkGroup {
                day,
                step,
                reached,
                last_step,
                count: numbers::count(n),
            })
            .collect(),
        deliveries: deliveries.into_iter().map(|(ms, ok, n)| sample(ms, ok, n)).collect(),
        fetches: fetches(store, since).await?,
        accounts_by_status: counted(accounts_by_status),
    })
}

fn sample(ms: i64, ok: i64, count: i64) -> Sample {
    Sample { ms: numbers::count(ms), ok: ok == 1, count: numbers::count(count) }
}

/// The newest finished data fetches since `since`, counted by institution, duration and outcome.
async fn fetches(store: &SqlStore, since: Timestamp) -> StoreResult<Vec<(String, Sample)>> {
    let rows: Vec<(String, i64, i64, i64)> = crate::sql::query_as(
        "SELECT institution_id, ms, ok, COUNT(*) FROM (
             SELECT a.institution_id, COALESCE(j.done_at, j.failed_at) - j.started_at AS ms,
                    CASE WHEN j.done_at IS NULL THEN 0 ELSE 1 END AS ok
             FROM jobs j JOIN accounts a ON a.id = j.subject
             WHERE j.started_at IS NOT NULL AND COALESCE(j.done_at, j.failed_at) >= $1
               AND j.kind IN ('fetch_account', 'refresh_account', 'sync_balance', 'sync_statement')
             ORDER BY COALESCE(j.done_at, j.failed_at) DESC LIMIT CAST($2 AS BIGINT)) newest
         GROUP BY institution_id, ms, ok",
    )
    .bind(since.0)
    .bind(MAX_SAMPLES)
    .fetch_all(&store.pool)
    .await?;
    Ok(rows.into_iter().map(|(i, ms, ok, n)| (i, sample(ms, ok, n))).collect())
}

/// Each institution's links, login errors, fetches and last failure since `since`.
pub(crate) async fn health_figures(store: &SqlStore, since: Timestamp) -> StoreResult<HealthFigures> {
    let pool = &store.pool;
    let links_by_institution: Vec<(String, String, i64)> = crate::sql::query_as(
        "SELECT institution_id, step, COUNT(*) FROM link_sessions
         WHERE created_at >= $1 AND institution_id IS NOT NULL GROUP BY institution_id, step",
    )
    .bind(since.0)
    .fetch_all(pool)
    .await?;
    let login_errors: Vec<(String, String, i64)> = crate::sql::query_as(
        "SELECT institution_id, note, COUNT(*) FROM link_timeline
         WHERE at >= $1 AND note IS NOT NULL AND institution_id IS NOT NULL AND step IN ('login', 'challenge')
         GROUP BY institution_id, note",
    )
    .bind(since.0)
    .fetch_all(pool)
    .await?;
    let last_failures: Vec<(String, i64, Option<String>)> = crate::sql::query_as(
        "SELECT institution_id, MAX(last_failed_at), MAX(last_failure) FROM accounts
         WHERE last_failed_at IS NOT NULL GROUP BY institution_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(HealthFigures {
        links_by_institution: counted_by(links_by_institution),
        login_errors: counted_by(login_errors),
        fetches: fetches(store, since).await?,
        last_failures: last_failures
            .into_iter()
            .map(|(i, at, code)| (i, Timestamp(at), code.unwrap_or_default()))
            .collect(),
    })
}

/// The `ConsoleStore` port, on the functions above and in `operators.rs`.
mod port {
    use crate::operators as ops;
    use passbook_domain::Timestamp;
    use passbook_domain::connector_setup::{ConnectorSettings, SavedVersion};
    use passbook_domain::model::{
        AccountSearch, AccountWithCustomer, AuditEntry, Customer, HealthFigures, InstitutionOverride,
        InstitutionStatus, Invite, LinkFilter, LinkSummary, LiveSession, Operator, OperatorRecord, OperatorSession,
        OverviewFigures, Page, PageRequest, Role, TimelineEntry,
    };
    use passbook_domain::model::{InstitutionId, OperatorId, SessionId};
    use passbook_domain::store::{ConsoleStore, OperatorCreated};

    crate::port::impl_port! { ConsoleStore {
        retried fn operator_count() -> u64 = ops::count();
        retried fn operators() -> Vec<Operator> = ops::list();
        retried fn operator_by_email(email: &str) -> Option<OperatorRecord> = ops::by_email(email);
        retried fn insert_operator(record: &OperatorRecord, invite: Option<&str>, audit: &AuditEntry) -> OperatorCreated
            = ops::insert(record, invite, audit);
        retried fn set_operator_role(id: &OperatorId, role: Role, audit: &AuditEntry) -> bool = ops::set_role(id, role, audit);
        retried fn delete_operator(id: &OperatorId, audit: &AuditEntry) -> bool = ops::delete(id, audit);
        retried fn insert_invite(invite: &Invite, audit: Option<&AuditEntry>) -> () = ops::insert_invite(invite, audit);
        retried fn invite(token_hash: &str, now: Timestamp) -> Option<Invite> = ops::invite(token_hash, now);
        retried fn pending_invites(now: Timestamp) -> Vec<Invite> = ops::pending_invites(now);
        retried fn revoke_invite(token_hash: &str, now: Timestamp, audit: &AuditEntry) -> bool
            = ops::revoke_invite(token_hash, now, audit);
        retried fn insert_operator_session(session: &OperatorSession) -> () = ops::insert_session(session);
        retried fn operator_session(token_hash: &str, now: Timestamp) -> Option<LiveSession>
            = ops::session(token_hash, now);
        retried fn delete_operator_session(token_hash: &str) -> () = ops::delete_session(token_hash);
        retried fn claim_login_attempt(attempt: &str, subjects: &[String], at: Timestamp, since: Timestamp) -> Vec<u64>
            = ops::claim_login(attempt, subjects, at, since);
        retried fn forget_login_attempt(attempt: &str, cleared: Option<&str>) -> ()
            = ops::forget_login(attempt, cleared);
        retried fn record_audit(entry: &AuditEntry) -> () = ops::record_audit(entry);
        retried fn audit_log(page: PageRequest) -> Page<AuditEntry> = ops::audit_log(page.clone());
        retried fn institution_overrides() -> Vec<InstitutionOverride> = ops::institution_overrides();
        retried fn set_institution_override(id: &InstitutionId, status: InstitutionStatus, audit: &AuditEntry) -> ()
            = ops::set_institution_override(id, status, audit);
        retried fn connector_settings() -> Vec<ConnectorSettings> = crate::connector_settings::all();
        retried fn connector_settings_versions() -> Vec<SavedVersion> = crate::connector_settings::versions();
        retried fn save_connector_settings(settings: &ConnectorSettings, audit: &AuditEntry) -> ()
            = crate::connector_settings::save(settings, audit);
        retried fn remove_connector_settings(name: &str, audit: &AuditEntry) -> bool
            = crate::connector_settings::remove(name, audit);
        retried fn search_accounts(search: &AccountSearch, page: PageRequest) -> Page<AccountWithCustomer>
            = crate::accounts::search(search, page.clone());
        retried fn recent_customers(limit: u32) -> Vec<Customer> = crate::customers::recent(limit);
        retried fn link_summaries(filter: &LinkFilter, page: PageRequest) -> Page<LinkSummary>
            = super::link_summaries(filter, page.clone());
        retried fn link_summary(id: &SessionId) -> Option<LinkSummary> = super::link_summary(id);
        retried fn link_timeline(session_id: &SessionId) -> Vec<TimelineEntry> = super::link_timeline(session_id);
        retried fn overview_figures(since: Timestamp) -> OverviewFigures = super::overview_figures(since);
        retried fn health_figures(since: Timestamp) -> HealthFigures = super::health_figures(since);
        retried fn requests_counted(key_prefix: &str, since: Timestamp) -> u64
            = crate::budgets::counted(key_prefix, since);
    }}
}
