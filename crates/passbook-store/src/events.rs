use passbook_domain::Timestamp;
use passbook_domain::model::{DeliveryOutcome, NewEvent, PendingEvent};
use sqlx::{FromRow, Sqlite, Transaction};

use crate::SqliteStore;
use crate::error::StoreResult;

/// Writes an event into the outbox with the next sequence number of its account.
/// Payloads hold personal data (names, account numbers), so they are sealed like other fields.
fn payload_context(event_id: &str) -> String {
    format!("events.payload:{event_id}")
}

pub(crate) async fn insert(
    store: &SqliteStore,
    tx: &mut Transaction<'static, Sqlite>,
    event: &NewEvent,
) -> StoreResult<()> {
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

#[derive(FromRow)]
struct PendingRow {
    id: String,
    app_id: String,
    account_id: Option<String>,
    event: String,
    payload_sealed: Vec<u8>,
    attempts: i64,
    created_at: i64,
}

/// Claims due events with a lease. An event is held back while an earlier event about the
/// same account is still pending, so each account's events go out in order.
pub(crate) async fn claim(
    store: &SqliteStore,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<PendingEvent>> {
    let rows: Vec<PendingRow> = sqlx::query_as(
        "UPDATE events SET locked_until = $2
         WHERE id IN (
             SELECT e.id FROM events e
             WHERE e.status = 'pending' AND e.next_attempt_at <= $1
               AND (e.locked_until IS NULL OR e.locked_until < $1)
               AND NOT EXISTS (SELECT 1 FROM events p
                               WHERE p.app_id = e.app_id AND p.account_id = e.account_id
                                 AND p.status = 'pending' AND p.sequence < e.sequence)
             ORDER BY e.next_attempt_at, e.created_at LIMIT $3)
           AND (locked_until IS NULL OR locked_until < $1)
         RETURNING id, app_id, account_id, event, payload_sealed, attempts, created_at",
    )
    .bind(now.0)
    .bind(lease_until.0)
    .bind(limit as i64)
    .fetch_all(&store.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(PendingEvent {
                payload: store.vault.open_str(&r.payload_sealed, &payload_context(&r.id))?,
                id: r.id,
                app_id: r.app_id,
                account_id: r.account_id,
                event: r.event,
                attempts: r.attempts as u32,
                created_at: Timestamp(r.created_at),
            })
        })
        .collect()
}

pub(crate) async fn record(store: &SqliteStore, id: &str, at: Timestamp, outcome: &DeliveryOutcome) -> StoreResult<()> {
    let query = match outcome {
        DeliveryOutcome::Delivered => sqlx::query(
            "UPDATE events SET status = 'delivered', attempts = attempts + 1, delivered_at = $2,
                 locked_until = NULL, last_error = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(at.0),
        DeliveryOutcome::Retry { at: next, error } => sqlx::query(
            "UPDATE events SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, locked_until = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(next.0)
        .bind(error.clone()),
        DeliveryOutcome::GaveUp { error } => sqlx::query(
            "UPDATE events SET status = 'failed', attempts = attempts + 1, last_error = $2, locked_until = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(error.clone()),
    };
    query.execute(&store.pool).await?;
    Ok(())
}
