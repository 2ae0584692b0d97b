//! The webhook outbox and its delivery log.
use passbook_domain::model::*;
use passbook_domain::{Timestamp, ids};
use sqlx::{Any, FromRow, Transaction};

use crate::SqlStore;
use crate::error::{StoreError, StoreResult};
use crate::sql::SqlBuilder;

/// Deliveries in flight to one app at once, so that a slow endpoint cannot take every slot.
pub const IN_FLIGHT_PER_APP: i64 = 4;

/// Payloads hold personal data (names, account numbers), so they are sealed like other fields.
fn payload_context(event_id: &str) -> String {
    format!("events.payload:{event_id}")
}

/// Writes an event into the outbox with the next sequence number of its account.
pub(crate) async fn insert(store: &SqlStore, tx: &mut Transaction<'static, Any>, event: &NewEvent) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO events (id, app_id, account_id, sequence, event, payload_sealed, next_attempt_at, created_at)
         VALUES ($1, $2, $3,
                 (SELECT COALESCE(MAX(sequence), 0) + 1 FROM events WHERE app_id = $2 AND account_id = $3),
                 $4, $5, $6, $6)",
    )
    .bind(&event.id)
    .bind(&event.app_id)
    .bind(&event.account_id)
    .bind(&event.event)
    .bind(store.vault.seal_str(&event.payload, &payload_context(&event.id)))
    .bind(event.created_at.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn insert_alone(store: &SqlStore, event: &NewEvent) -> StoreResult<()> {
    let mut tx = store.write().await?;
    insert(store, &mut tx, event).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(FromRow)]
struct EventRow {
    id: String,
    app_id: String,
    account_id: Option<String>,
    sequence: i64,
    event: String,
    payload_sealed: Vec<u8>,
    status: String,
    attempts: i64,
    next_attempt_at: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    delivered_at: Option<i64>,
}

#[derive(FromRow)]
struct AttemptRow {
    attempted_at: i64,
    status_code: Option<i64>,
    latency_ms: i64,
    error: Option<String>,
    next_attempt_at: Option<i64>,
}

const COLUMNS: &str = "id, app_id, account_id, sequence, event, payload_sealed, status, attempts, next_attempt_at, \
    last_error, created_at, delivered_at";

impl SqlStore {
    fn event_from_row(&self, r: EventRow) -> StoreResult<StoredEvent> {
        Ok(StoredEvent {
            payload: self.vault.open_str(&r.payload_sealed, &payload_context(&r.id))?,
            status: EventStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("event status {}", r.status)))?,
            next_attempt_at: r.next_attempt_at.filter(|_| r.status == "pending").map(Timestamp),
            id: r.id,
            app_id: r.app_id,
            account_id: r.account_id,
            sequence: r.sequence,
            event: r.event,
            attempts: r.attempts as u32,
            last_error: r.last_error,
            created_at: Timestamp(r.created_at),
            delivered_at: r.delivered_at.map(Timestamp),
        })
    }
}

/// Claims due events with a lease. An event waits while an earlier event about the same account
/// is pending (so each account's events go out in order), and no app gets more than
/// [`IN_FLIGHT_PER_APP`] deliveries in flight.
pub(crate) async fn claim(
    store: &SqlStore,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<PendingEvent>> {
    // Each app contributes at most its per-app limit of its earliest due events (through the
    // partial index on pending events), so a backlog in one app cannot crowd out the others;
    // then what each app already has in flight (a small partial index) is subtracted.
    let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH due AS (
             SELECT x.id, x.app_id, x.next_attempt_at, x.created_at
             FROM apps a JOIN events x ON x.id IN (
                 SELECT e.id FROM events e
                 WHERE e.app_id = a.id AND e.status = 'pending' AND e.next_attempt_at <= $1
                   AND (e.locked_until IS NULL OR e.locked_until < $1)
                   AND NOT EXISTS (SELECT 1 FROM events p
                                   WHERE p.app_id = e.app_id AND p.account_id = e.account_id
                                     AND p.status = 'pending' AND p.sequence < e.sequence)
                 ORDER BY e.next_attempt_at, e.created_at LIMIT $4)),
         ranked AS (
             SELECT id, app_id, next_attempt_at, created_at,
                    ROW_NUMBER() OVER (PARTITION BY app_id ORDER BY next_attempt_at, created_at) AS rank
             FROM due),
         in_flight AS (
             SELECT app_id, COUNT(*) AS n FROM events
             WHERE status = 'pending' AND locked_until IS NOT NULL AND locked_until >= $1 GROUP BY app_id)
         UPDATE events SET locked_until = $2
         WHERE id IN (SELECT r.id FROM ranked r LEFT JOIN in_flight f ON f.app_id = r.app_id
                      WHERE r.rank + COALESCE(f.n, 0) <= $4
                      ORDER BY r.next_attempt_at, r.created_at LIMIT $3)
           AND (locked_until IS NULL OR locked_until < $1)
         RETURNING {COLUMNS}"
    )))
    .bind(now.0)
    .bind(lease_until.0)
    .bind(limit as i64)
    .bind(IN_FLIGHT_PER_APP)
    .fetch_all(&store.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let e = store.event_from_row(r)?;
            Ok(PendingEvent {
                id: e.id,
                app_id: e.app_id,
                account_id: e.account_id,
                sequence: e.sequence,
                event: e.event,
                payload: e.payload,
                attempts: e.attempts,
                created_at: e.created_at,
            })
        })
        .collect()
}

/// Logs the attempt and applies its outcome, in one transaction.
pub(crate) async fn record(
    store: &SqlStore,
    id: &str,
    attempt: &DeliveryAttempt,
    outcome: &DeliveryOutcome,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO delivery_attempts (id, event_id, attempted_at, status_code, latency_ms, error, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ids::object_id(attempt.attempted_at))
    .bind(id)
    .bind(attempt.attempted_at.0)
    .bind(attempt.status_code.map(i64::from))
    .bind(attempt.latency_ms as i64)
    .bind(&attempt.error)
    .bind(attempt.next_attempt_at.map(|t| t.0))
    .execute(&mut *tx)
    .await?;
    let query = match outcome {
        DeliveryOutcome::Delivered => sqlx::query(
            "UPDATE events SET status = 'delivered', attempts = attempts + 1, delivered_at = $2,
                 locked_until = NULL, last_error = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(attempt.attempted_at.0),
        DeliveryOutcome::Retry { at, error } => sqlx::query(
            "UPDATE events SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, locked_until = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(at.0)
        .bind(error.clone()),
        DeliveryOutcome::GaveUp { error } => sqlx::query(
            "UPDATE events SET status = 'failed', attempts = attempts + 1, last_error = $2, locked_until = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(error.clone()),
    };
    query.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

fn push_filter(qb: &mut SqlBuilder, app_id: &str, filter: &EventFilter) {
    qb.push(" WHERE app_id = ").push_bind(app_id.to_string());
    if let Some(status) = filter.status {
        qb.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(event) = &filter.event {
        qb.push(" AND event = ").push_bind(event.clone());
    }
    if let Some(account) = &filter.account {
        qb.push(" AND account_id = ").push_bind(account.clone());
    }
    if let Some(since) = filter.since {
        qb.push(" AND created_at >= ").push_bind(since.0);
    }
    if let Some(until) = filter.until {
        qb.push(" AND created_at <= ").push_bind(until.0);
    }
}

pub(crate) async fn list(
    store: &SqlStore,
    app_id: &str,
    filter: &EventFilter,
    page: PageRequest,
) -> StoreResult<Page<StoredEvent>> {
    let mut count = SqlBuilder::new("SELECT COUNT(*) FROM events");
    push_filter(&mut count, app_id, filter);
    let (sql, args) = count.finish();
    let total: i64 = sqlx::query_scalar_with(sql, args).fetch_one(&store.pool).await?;
    let mut qb = SqlBuilder::new(format!("SELECT {COLUMNS} FROM events"));
    push_filter(&mut qb, app_id, filter);
    qb.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .push_bind(page.limit.map_or(i64::MAX, |l| l as i64))
        .push(" OFFSET ")
        .push_bind(page.offset() as i64);
    let (sql, args) = qb.finish();
    let rows: Vec<EventRow> = sqlx::query_as_with(sql, args).fetch_all(&store.pool).await?;
    let items = rows.into_iter().map(|r| store.event_from_row(r)).collect::<StoreResult<_>>()?;
    Ok(Page { items, total: total as u64 })
}

pub(crate) async fn one(
    store: &SqlStore,
    app_id: &str,
    id: &str,
) -> StoreResult<Option<(StoredEvent, Vec<DeliveryAttempt>)>> {
    let row: Option<EventRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM events WHERE app_id = $1 AND id = $2")))
            .bind(app_id)
            .bind(id)
            .fetch_optional(&store.pool)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let attempts: Vec<AttemptRow> = sqlx::query_as(
        "SELECT attempted_at, status_code, latency_ms, error, next_attempt_at FROM delivery_attempts
         WHERE event_id = $1 ORDER BY attempted_at, id",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    let attempts = attempts
        .into_iter()
        .map(|a| DeliveryAttempt {
            attempted_at: Timestamp(a.attempted_at),
            status_code: a.status_code.map(|c| c as u16),
            latency_ms: a.latency_ms as u64,
            error: a.error,
            next_attempt_at: a.next_attempt_at.map(Timestamp),
        })
        .collect();
    Ok(Some((store.event_from_row(row)?, attempts)))
}

pub(crate) async fn replay(
    store: &SqlStore,
    app_id: &str,
    id: Option<&str>,
    filter: &EventFilter,
    now: Timestamp,
) -> StoreResult<u64> {
    let mut qb = SqlBuilder::new("UPDATE events SET status = 'pending', attempts = 0, next_attempt_at = ");
    qb.push_bind(now.0).push(", locked_until = NULL, last_error = NULL");
    push_filter(&mut qb, app_id, filter);
    qb.push(" AND status != 'pending'");
    if let Some(id) = id {
        qb.push(" AND id = ").push_bind(id.to_string());
    }
    let mut tx = store.write().await?;
    let (sql, args) = qb.finish();
    let done = sqlx::query_with(sql, args).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

pub(crate) async fn counts(store: &SqlStore) -> StoreResult<Vec<(EventStatus, u64)>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM events GROUP BY status").fetch_all(&store.pool).await?;
    Ok(rows.into_iter().filter_map(|(s, n)| Some((EventStatus::parse(&s)?, n as u64))).collect())
}
