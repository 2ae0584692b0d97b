//! The console's people: operators, invitations, sessions, failed logins, the audit log, and
//! operators' switches on institutions.
use passbook_domain::Timestamp;
use passbook_domain::model::{
    AuditEntry, InstitutionOverride, InstitutionStatus, Invite, LiveSession, Operator, OperatorRecord, OperatorSession,
    Page, PageRequest, Role,
};
use passbook_domain::numbers;
use passbook_domain::store::OperatorCreated;
use sqlx::{Any, FromRow, Transaction};

use crate::error::{StoreResult, is_unique_violation};
use crate::{Backend, LockName, SqlStore};

#[derive(FromRow)]
struct OperatorRow {
    id: String,
    email_sealed: Vec<u8>,
    password_hash: String,
    role: String,
    created_at: i64,
}

const COLUMNS: &str = "id, email_sealed, password_hash, role, created_at";

fn email_context(id: &str) -> String {
    format!("operators.email:{id}")
}

impl SqlStore {
    fn operator_from_row(&self, row: OperatorRow) -> StoreResult<OperatorRecord> {
        Ok(OperatorRecord {
            operator: Operator {
                email: self.vault.open_str(&row.email_sealed, &email_context(&row.id))?,
                role: Role::parse(&row.role).unwrap_or(Role::Viewer),
                id: row.id.into(),
                created_at: Timestamp(row.created_at),
            },
            password_hash: row.password_hash,
        })
    }
}

pub(crate) async fn count(store: &SqlStore) -> StoreResult<u64> {
    let n: i64 = crate::sql::query_scalar("SELECT COUNT(*) FROM operators").fetch_one(&store.pool).await?;
    Ok(numbers::count(n))
}

pub(crate) async fn list(store: &SqlStore) -> StoreResult<Vec<Operator>> {
    let rows: Vec<OperatorRow> =
        crate::sql::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM operators ORDER BY created_at, id")))
            .fetch_all(&store.pool)
            .await?;
    rows.into_iter().map(|r| store.operator_from_row(r).map(|r| r.operator)).collect()
}

pub(crate) async fn by_email(store: &SqlStore, email: &str) -> StoreResult<Option<OperatorRecord>> {
    let row: Option<OperatorRow> =
        crate::sql::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM operators WHERE email_index = $1")))
            .bind(store.vault.blind_index(email))
            .fetch_optional(&store.pool)
            .await?;
    row.map(|r| store.operator_from_row(r)).transpose()
}

pub(crate) async fn insert(
    store: &SqlStore,
    record: &OperatorRecord,
    invite: Option<&str>,
    audit: &AuditEntry,
) -> StoreResult<OperatorCreated> {
    let op = &record.operator;
    let mut tx = store.write().await?;
    if let Some(token_hash) = invite {
        let used = crate::sql::query(
            "UPDATE operator_invites SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(op.created_at.0)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(OperatorCreated::InviteUsed);
        }
    }
    let inserted = crate::sql::query(
        "INSERT INTO operators (id, email_index, email_sealed, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(op.id.as_str())
    .bind(store.vault.blind_index(&op.email))
    .bind(store.vault.seal_str(&op.email, &email_context(&op.id)))
    .bind(&record.password_hash)
    .bind(op.role.as_str())
    .bind(op.created_at.0)
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            tx.rollback().await?;
            return Ok(OperatorCreated::EmailTaken);
        }
        other => other?,
    };
    write_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(OperatorCreated::Created)
}

pub(crate) async fn set_role(store: &SqlStore, id: &str, role: Role, audit: &AuditEntry) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let done = crate::sql::query("UPDATE operators SET role = $2 WHERE id = $1")
        .bind(id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
    write_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn delete(store: &SqlStore, id: &str, audit: &AuditEntry) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    crate::sql::query("DELETE FROM operator_sessions WHERE operator_id = $1").bind(id).execute(&mut *tx).await?;
    let done = crate::sql::query("DELETE FROM operators WHERE id = $1").bind(id).execute(&mut *tx).await?;
    write_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn insert_invite(store: &SqlStore, invite: &Invite, audit: Option<&AuditEntry>) -> StoreResult<()> {
    let mut tx = store.write().await?;
    crate::sql::query(
        "INSERT INTO operator_invites (token_hash, role, invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&invite.token_hash)
    .bind(invite.role.as_str())
    .bind(&invite.invited_by)
    .bind(invite.created_at.0)
    .bind(invite.expires_at.0)
    .execute(&mut *tx)
    .await?;
    if let Some(audit) = audit {
        write_audit(&mut tx, audit).await?;
    }
    tx.commit().await?;
    Ok(())
}

type InviteRow = (String, String, Option<String>, i64, i64);

fn invite_of((token_hash, role, invited_by, created_at, expires_at): InviteRow) -> Option<Invite> {
    Some(Invite {
        token_hash,
        role: Role::parse(&role)?,
        invited_by,
        created_at: Timestamp(created_at),
        expires_at: Timestamp(expires_at),
    })
}

pub(crate) async fn invite(store: &SqlStore, token_hash: &str, now: Timestamp) -> StoreResult<Option<Invite>> {
    let row: Option<InviteRow> = crate::sql::query_as(
        "SELECT token_hash, role, invited_by, created_at, expires_at FROM operator_invites
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now.0)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.and_then(invite_of))
}

/// Invitations not used and not expired, newest first (the setup link among them).
pub(crate) async fn pending_invites(store: &SqlStore, now: Timestamp) -> StoreResult<Vec<Invite>> {
    let rows: Vec<InviteRow> = crate::sql::query_as(
        "SELECT token_hash, role, invited_by, created_at, expires_at FROM operator_invites
         WHERE used_at IS NULL AND expires_at > $1 ORDER BY created_at DESC LIMIT 200",
    )
    .bind(now.0)
    .fetch_all(&store.pool)
    .await?;
    Ok(rows.into_iter().filter_map(invite_of).collect())
}

/// Ends a pending invitation now (it reads as expired); false when there was none to end.
pub(crate) async fn revoke_invite(
    store: &SqlStore,
    token_hash: &str,
    now: Timestamp,
    audit: &AuditEntry,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let ended = crate::sql::query(
        "UPDATE operator_invites SET expires_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now.0)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if ended {
        write_audit(&mut tx, audit).await?;
    }
    tx.commit().await?;
    Ok(ended)
}

/// Inserts the session, and forgets the sessions that have expired.
pub(crate) async fn insert_session(store: &SqlStore, s: &OperatorSession) -> StoreResult<()> {
    let mut tx = store.write().await?;
    crate::sql::query("DELETE FROM operator_sessions WHERE expires_at <= $1")
        .bind(s.created_at.0)
        .execute(&mut *tx)
        .await?;
    crate::sql::query(
        "INSERT INTO operator_sessions (token_hash, operator_id, browser_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.token_hash)
    .bind(s.operator_id.as_str())
    .bind(&s.browser_hash)
    .bind(s.created_at.0)
    .bind(s.expires_at.0)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(FromRow)]
struct SessionRow {
    token_hash: String,
    browser_hash: String,
    s_created_at: i64,
    expires_at: i64,
    #[sqlx(flatten)]
    operator: OperatorRow,
}

pub(crate) async fn session(store: &SqlStore, token_hash: &str, now: Timestamp) -> StoreResult<Option<LiveSession>> {
    let row: Option<SessionRow> = crate::sql::query_as(
        "SELECT s.token_hash, s.browser_hash, s.created_at AS s_created_at, s.expires_at,
                o.id, o.email_sealed, o.password_hash, o.role, o.created_at
         FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now.0)
    .fetch_optional(&store.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let operator = store.operator_from_row(row.operator)?.operator;
    let session = OperatorSession {
        token_hash: row.token_hash,
        operator_id: operator.id.clone(),
        browser_hash: row.browser_hash,
        created_at: Timestamp(row.s_created_at),
        expires_at: Timestamp(row.expires_at),
    };
    Ok(Some(LiveSession { session, operator }))
}

pub(crate) async fn delete_session(store: &SqlStore, token_hash: &str) -> StoreResult<()> {
    crate::sql::query("DELETE FROM operator_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Counts a login attempt against each subject before its password is checked, and returns the
/// attempts of each within the window, this one included. Claims take turns (SQLite's write
/// lock; an advisory lock on PostgreSQL), so parallel guesses each see the ones before them.
pub(crate) async fn claim_login(
    store: &SqlStore,
    attempt: &str,
    subjects: &[String],
    at: Timestamp,
    since: Timestamp,
) -> StoreResult<Vec<u64>> {
    let mut tx = store.write().await?;
    if store.backend == Backend::Postgres {
        crate::sql::query("SELECT pg_advisory_xact_lock($1)::text")
            .bind(LockName::LoginAttempts as i64)
            .fetch_one(&mut *tx)
            .await?;
    }
    // Attempts older than a day are of no use to any limit.
    crate::sql::query("DELETE FROM login_failures WHERE at < $1").bind(at.0 - 86_400_000).execute(&mut *tx).await?;
    let mut counts = Vec::with_capacity(subjects.len());
    for subject in subjects {
        crate::sql::query("INSERT INTO login_failures (subject, attempt, at) VALUES ($1, $2, $3)")
            .bind(subject)
            .bind(attempt)
            .bind(at.0)
            .execute(&mut *tx)
            .await?;
        let n: i64 = crate::sql::query_scalar("SELECT COUNT(*) FROM login_failures WHERE subject = $1 AND at > $2")
            .bind(subject)
            .bind(since.0)
            .fetch_one(&mut *tx)
            .await?;
        counts.push(numbers::count(n));
    }
    tx.commit().await?;
    Ok(counts)
}

/// Forgets an attempt (refused by the limits, or right), and with `cleared` every failure of
/// that subject.
pub(crate) async fn forget_login(store: &SqlStore, attempt: &str, cleared: Option<&str>) -> StoreResult<()> {
    crate::sql::query("DELETE FROM login_failures WHERE attempt = $1 OR subject = $2")
        .bind(attempt)
        .bind(cleared)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Writes an audit line of its own (an event that changes nothing else: a login, a refusal).
pub(crate) async fn record_audit(store: &SqlStore, e: &AuditEntry) -> StoreResult<()> {
    let mut tx = store.write().await?;
    write_audit(&mut tx, e).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes an audit line in the transaction of the change it records.
pub(crate) async fn write_audit(tx: &mut Transaction<'static, Any>, e: &AuditEntry) -> StoreResult<()> {
    crate::sql::query(
        "INSERT INTO audit_log (app_id, action, subject, at, actor, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&e.app_id)
    .bind(&e.action)
    .bind(&e.subject)
    .bind(e.at.0)
    .bind(&e.actor)
    .bind(&e.detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn audit_log(store: &SqlStore, page: PageRequest) -> StoreResult<Page<AuditEntry>> {
    let total: i64 = crate::sql::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(&store.pool).await?;
    let rows: Vec<(String, String, String, String, String, i64)> = crate::sql::query_as(
        "SELECT actor, app_id, action, subject, detail, at FROM audit_log ORDER BY at DESC LIMIT CAST($1 AS BIGINT) OFFSET $2",
    )
    .bind(page.limit.map_or(i64::MAX, numbers::signed))
    .bind(numbers::signed(page.offset()))
    .fetch_all(&store.pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|(actor, app_id, action, subject, detail, at)| AuditEntry {
            actor,
            app_id,
            action,
            subject,
            detail,
            at: Timestamp(at),
        })
        .collect();
    Ok(Page { items, total: numbers::count(total) })
}

pub(crate) async fn institution_overrides(store: &SqlStore) -> StoreResult<Vec<InstitutionOverride>> {
    let rows: Vec<(String, String, i64)> =
        crate::sql::query_as("SELECT institution_id, status, updated_at FROM institution_overrides")
            .fetch_all(&store.pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(institution_id, status, at)| {
            Some(InstitutionOverride {
                institution_id,
                status: InstitutionStatus::parse(&status)?,
                updated_at: Timestamp(at),
            })
        })
        .collect())
}

pub(crate) async fn set_institution_override(
    store: &SqlStore,
    id: &str,
    status: InstitutionStatus,
    audit: &AuditEntry,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    if status == InstitutionStatus::Operational {
        crate::sql::query("DELETE FROM institution_overrides WHERE institution_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    } else {
        crate::sql::query(
            "INSERT INTO institution_overrides (institution_id, status, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (institution_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(audit.at.0)
        .execute(&mut *tx)
        .await?;
    }
    write_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(())
}
