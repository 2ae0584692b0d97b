//! The webhook outbox and its delivery log.
use passbook_domain::model::EventId;
use passbook_domain::model::{
    AuditEntry, DeliveryAttempt, DeliveryOutcome, DeliveryRecord, EventCount, EventFilter, EventHistory, EventStatus,
    NewEvent, Page, PageRequest, PendingEvent, QueueClaim, StoredEvent,
};
use passbook_domain::numbers;
use passbook_domain::{Timestamp, ids};
use sqlx::{Any, FromRow, Transaction};

use crate::error::{StoreError, StoreResult};
use crate::sql::SqlBuilder;
use crate::{LockName, SqlStore, fair_claim};

/// Payloads hold personal data (names, account numbers), so they are sealed like other fields.
fn payload_context(event_id: &str) -> String {
    format!("events.payload:{event_id}")
}

/// Writes an event into the outbox with the next sequence number of its account. Taking the
/// number locks the account's counter row until the transaction ends, so writers of one account
/// queue behind each other and the check for an earlier pending event sees every one of them.
pub(crate) async fn insert(store: &SqlStore, tx: &mut Transaction<'static, Any>, event: &NewEvent) -> StoreResult<()> {
    let sequence: i64 = crate::sql::query_scalar(
        "INSERT INTO event_sequences (app_id, account_key, last) VALUES ($1, $2, 1)
         ON CONFLICT (app_id, account_key) DO UPDATE SET last = event_sequences.last + 1
         RETURNING last",
    )
    .bind(event.app_id.as_str())
    .bind(event.account_id.as_deref().unwrap_or(""))
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .next()
    .ok_or(sqlx::Error::RowNotFound)?;
    // Events about no account are independent; an account's events wait for the one before.
    let held = match &event.account_id {
        None => 0,
        Some(account_id) => crate::sql::query_scalar::<i64>(
            "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE app_id = $1 AND account_id = $2 AND status = 'pending'
                 LIMIT 1) p",
        )
        .bind(event.app_id.as_str())
        .bind(account_id.as_str())
        .fetch_one(&mut **tx)
        .await?,
    };
    crate::sql::query(
        "INSERT INTO events (id, app_id, account_id, sequence, event, payload_sealed, next_attempt_at, created_at, held)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
    )
    .bind(event.id.as_str())
    .bind(event.app_id.as_str())
    .bind(event.account_id.as_deref())
    .bind(sequence)
    .bind(&event.event)
    .bind(store.vault.seal_str(&event.payload, &payload_context(&event.id)))
    .bind(event.created_at.0)
    .bind(held)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes the account's counter row, which serialises releasing its next event with writers of
/// its events (see `insert`). Parameters: `$1` app, `$2` account.
const LOCK_ACCOUNT_QUEUE: &str = "UPDATE event_sequences SET last = last WHERE app_id = $1 AND account_key = $2";

/// Lets the account's next held event go, unless one is already free to go.
const RELEASE_NEXT: &str = "UPDATE events SET held = 0
     WHERE id = (SELECT id FROM events WHERE app_id = $1 AND account_id = $2 AND status = 'pending' AND held = 1
                 ORDER BY sequence LIMIT 1)
       AND NOT EXISTS (SELECT 1 FROM events WHERE app_id = $1 AND account_id = $2 AND status = 'pending' AND held = 0)";

const ATTEMPT_COLUMNS: &str =
    "id, event_id, attempted_at, status_code, latency_ms, error, next_attempt_at, response_excerpt";

/// One attempt's log row, `$1`…`$8` in [`ATTEMPT_COLUMNS`]' order: what each turn runs per record
/// (the sqlx path writes a turn's attempts in one statement).
static INSERT_ATTEMPT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("INSERT INTO delivery_attempts ({ATTEMPT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
});

/// A failed attempt to retry: `$1` event, `$2` when, `$3` the error.
const RETRY_LATER: &str = "UPDATE events SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, locked_until = NULL WHERE id = $1";

/// A failed attempt that is the last: `$1` event, `$2` the error.
const GIVE_UP: &str =
    "UPDATE events SET status = 'failed', attempts = attempts + 1, last_error = $2, locked_until = NULL WHERE id = $1";

/// A delivered event: `$1` event, `$2` when. (The sqlx path marks many in one statement.)
const MARK_DELIVERED: &str = "UPDATE events
     SET status = 'delivered', attempts = attempts + 1, locked_until = NULL, last_error = NULL, delivered_at = $2
     WHERE id = $1";

/// Lets the next held event of the account go, unless one is already free to go. Its due time
/// stays the time it was written, so it takes its place in the app's queue by age.
async fn release_next(tx: &mut Transaction<'static, Any>, app_id: &str, account_id: &str) -> StoreResult<()> {
    for sql in [LOCK_ACCOUNT_QUEUE, RELEASE_NEXT] {
        crate::sql::query(sql).bind(app_id).bind(account_id).execute(&mut **tx).await?;
    }
    Ok(())
}

pub(crate) async fn insert_alone(store: &SqlStore, event: &NewEvent, audit: Option<&AuditEntry>) -> StoreResult<()> {
    let mut tx = store.write().await?;
    insert(store, &mut tx, event).await?;
    if let Some(audit) = audit {
        crate::operators::write_audit(&mut tx, audit).await?;
    }
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

impl EventRow {
    /// The row of [`COLUMNS`], read with rusqlite ([`crate::inline`]).
    fn from_inline(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            app_id: row.get(1)?,
            account_id: row.get(2)?,
            sequence: row.get(3)?,
            event: row.get(4)?,
            payload_sealed: row.get(5)?,
            status: row.get(6)?,
            attempts: row.get(7)?,
            next_attempt_at: row.get(8)?,
            last_error: row.get(9)?,
            created_at: row.get(10)?,
            delivered_at: row.get(11)?,
        })
    }
}

#[derive(FromRow)]
struct AttemptRow {
    attempted_at: i64,
    status_code: Option<i64>,
    latency_ms: i64,
    error: Option<String>,
    next_attempt_at: Option<i64>,
    response_excerpt: Option<String>,
}

/// An event's columns, as [`EventRow`] reads them (a macro, so that [`CLAIMED`] can add to them).
macro_rules! event_columns {
    () => {
        "id, app_id, account_id, sequence, event, payload_sealed, status, attempts, next_attempt_at, \
         last_error, created_at, delivered_at"
    };
}

const COLUMNS: &str = event_columns!();

/// A claimed event: its row, and the version of its app as the claim saw it.
#[derive(FromRow)]
struct ClaimedRow {
    #[sqlx(flatten)]
    event: EventRow,
    app_version: i64,
}

impl ClaimedRow {
    /// The row of [`CLAIMED`], read with rusqlite ([`crate::inline`]).
    fn from_inline(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self { event: EventRow::from_inline(row)?, app_version: row.get(12)? })
    }
}

/// What a claim returns: [`COLUMNS`], then the app's version.
const CLAIMED: &str =
    concat!(event_columns!(), ", (SELECT a.version FROM apps a WHERE a.id = events.app_id) AS app_version");

impl SqlStore {
    fn event_from_row(&self, r: EventRow) -> StoreResult<StoredEvent> {
        Ok(StoredEvent {
            payload: self.vault.open_str(&r.payload_sealed, &payload_context(&r.id))?,
            status: EventStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("event status {}", r.status)))?,
            next_attempt_at: r.next_attempt_at.filter(|_| r.status == "pending").map(Timestamp),
            id: r.id.into(),
            app_id: r.app_id.into(),
            account_id: r.account_id.map(Into::into),
            sequence: r.sequence,
            event: r.event,
            attempts: numbers::small_count(r.attempts),
            last_error: r.last_error,
            created_at: Timestamp(r.created_at),
            delivered_at: r.delivered_at.map(Timestamp),
        })
    }
}

/// The outbox as [`fair_claim`] sees it. Only the head of each account's queue is ever due (the
/// rest are held), so a claim reads no more than each app's first few due events, however many
/// wait.
const EVENTS: fair_claim::Queue = fair_claim::Queue {
    table: "events",
    open: "status = 'pending'",
    due: "r.status = 'pending' AND r.held = 0 AND r.next_attempt_at <= $1",
    order: &["next_attempt_at", "created_at"],
    // The oldest first, over all apps.
    pick: "next_attempt_at, created_at",
    also_set: ", locked_by = $5",
    returning: CLAIMED,
    exclusive: true,
};

/// Claims due events with a lease, within each app's allowance ([`fair_claim::Queue::exclusive`]).
pub(crate) async fn claim(store: &SqlStore, claim: &QueueClaim) -> StoreResult<Vec<PendingEvent>> {
    let rows = fair_claim::claim(store, (&EVENTS, LockName::EventClaim), claim).await?;
    store.pending_events(rows)
}

/// [`record`] and [`claim`] in one transaction: what a dispatcher does each time deliveries
/// finish, one commit instead of two. The claim's turn is taken first, as every claim takes it
/// before its rows, so that two workers never wait on each other. On a SQLite file the whole
/// transaction is one hand-off to a blocking thread ([`sqlite_turn`]); on PostgreSQL, unless
/// behind a pooler, one round trip ([`postgres_turn`]).
pub(crate) async fn record_and_claim(
    store: &SqlStore,
    records: &[DeliveryRecord],
    claim: &QueueClaim,
) -> StoreResult<Vec<PendingEvent>> {
    if let Some(inline) = &store.inline {
        let (inline, records, claim) = (inline.clone(), records.to_vec(), *claim);
        let turn = move || inline.write(|tx| sqlite_turn::record_and_claim(tx, &records, &claim));
        let rows = tokio::task::spawn_blocking(turn).await??;
        return store.pending_events(rows);
    }
    if store.backend == crate::Backend::Postgres && !store.pooler {
        let rows = postgres_turn::record_and_claim(store, records, claim).await?;
        return store.pending_events(rows);
    }
    let mut tx = store.write().await?;
    store.take_turn(&mut tx, LockName::EventClaim).await?;
    record_in(store, &mut tx, records).await?;
    let rows = fair_claim::claim_in(&mut tx, (store.backend, &EVENTS), claim).await?;
    tx.commit().await?;
    store.pending_events(rows)
}

impl SqlStore {
    fn pending_events(&self, rows: Vec<ClaimedRow>) -> StoreResult<Vec<PendingEvent>> {
        rows.into_iter()
            .map(|r| {
                let app_version = r.app_version;
                let e = self.event_from_row(r.event)?;
                Ok(PendingEvent {
                    id: e.id,
                    app_id: e.app_id,
                    app_version,
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
}

/// Logs attempts and applies their outcomes, in one transaction: a dispatcher settles what its
/// deliveries brought back together, one commit instead of one per delivery.
pub(crate) async fn record(store: &SqlStore, records: &[DeliveryRecord]) -> StoreResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    let mut tx = store.write().await?;
    record_in(store, &mut tx, records).await?;
    tx.commit().await?;
    Ok(())
}

async fn record_in(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    records: &[DeliveryRecord],
) -> StoreResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    insert_attempts(store, tx, records).await?;
    mark_delivered(store, tx, records).await?;
    for r in records {
        apply_failure(tx, r).await?;
    }
    for (app_id, account_id) in DeliveryRecord::finished_accounts(records) {
        release_next(tx, app_id, account_id).await?;
    }
    Ok(())
}

/// The attempts' log rows, in one multi-row insert.
async fn insert_attempts(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    records: &[DeliveryRecord],
) -> StoreResult<()> {
    let mut attempts =
        SqlBuilder::new(store.backend, format!("INSERT INTO delivery_attempts ({ATTEMPT_COLUMNS}) VALUES "));
    for (n, r) in records.iter().enumerate() {
        if n > 0 {
            attempts.push(", ");
        }
        attempts.push_row(|row| {
            row.bind(ids::object_id(r.attempt.attempted_at))
                .bind(r.event_id.to_string())
                .bind(r.attempt.attempted_at.0)
                .bind(r.attempt.status_code.map(i64::from))
                .bind(numbers::signed(r.attempt.latency_ms))
                .bind(r.attempt.error.clone())
                .bind(r.attempt.next_attempt_at.map(|t| t.0))
                .bind(r.attempt.response_excerpt.clone());
        });
    }
    let (sql, args) = attempts.finish();
    crate::sql::query_with(sql, args).execute(&mut **tx).await?;
    Ok(())
}

/// A failed attempt: to be retried, or given up on.
async fn apply_failure(tx: &mut Transaction<'static, Any>, r: &DeliveryRecord) -> StoreResult<()> {
    let failure = match &r.outcome {
        DeliveryOutcome::Delivered => return Ok(()),
        DeliveryOutcome::Retry { at, error } => {
            crate::sql::query(RETRY_LATER).bind(r.event_id.as_str()).bind(at.0).bind(error)
        }
        DeliveryOutcome::GaveUp { error } => crate::sql::query(GIVE_UP).bind(r.event_id.as_str()).bind(error),
    };
    failure.execute(&mut **tx).await?;
    Ok(())
}

/// Marks the delivered events of `records` in one statement.
async fn mark_delivered(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    records: &[DeliveryRecord],
) -> StoreResult<()> {
    let delivered: Vec<&DeliveryRecord> =
        records.iter().filter(|r| matches!(r.outcome, DeliveryOutcome::Delivered)).collect();
    if delivered.is_empty() {
        return Ok(());
    }
    let mut qb = SqlBuilder::new(
        store.backend,
        "UPDATE events SET status = 'delivered', attempts = attempts + 1, locked_until = NULL, last_error = NULL,
         delivered_at = CASE id",
    );
    for r in &delivered {
        qb.push(" WHEN ").push_bind(r.event_id.to_string()).push(" THEN ").push_bind(r.attempt.attempted_at.0);
    }
    qb.push(" END WHERE id IN ").push_row(|row| {
        for r in &delivered {
            row.bind(r.event_id.to_string());
        }
    });
    let (sql, args) = qb.finish();
    crate::sql::query_with(sql, args).execute(&mut **tx).await?;
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
    let mut count = SqlBuilder::new(store.backend, "SELECT COUNT(*) FROM events");
    push_filter(&mut count, app_id, filter);
    let (sql, args) = count.finish();
    let total: i64 = crate::sql::query_scalar_with(sql, args).fetch_one(&store.pool).await?;
    let mut qb = SqlBuilder::new(store.backend, format!("SELECT {COLUMNS} FROM events"));
    push_filter(&mut qb, app_id, filter);
    qb.push(" ORDER BY created_at DESC, id DESC").push_page(&page);
    let (sql, args) = qb.finish();
    let rows: Vec<EventRow> = crate::sql::query_as_with(sql, args).fetch_all(&store.pool).await?;
    let items = rows.into_iter().map(|r| store.event_from_row(r)).collect::<StoreResult<_>>()?;
    Ok(Page { items, total: numbers::count(total) })
}

pub(crate) async fn one(store: &SqlStore, app_id: &str, id: &str) -> StoreResult<Option<EventHistory>> {
    let row: Option<EventRow> = crate::sql::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM events WHERE app_id = $1 AND id = $2"
    )))
    .bind(app_id)
    .bind(id)
    .fetch_optional(&store.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let attempts: Vec<AttemptRow> = crate::sql::query_as(
        "SELECT attempted_at, status_code, latency_ms, error, next_attempt_at, response_excerpt FROM delivery_attempts
         WHERE event_id = $1 ORDER BY attempted_at, id",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    let attempts = attempts
        .into_iter()
        .map(|a| DeliveryAttempt {
            attempted_at: Timestamp(a.attempted_at),
            status_code: a.status_code.and_then(|c| u16::try_from(c).ok()),
            latency_ms: numbers::count(a.latency_ms),
            error: a.error,
            next_attempt_at: a.next_attempt_at.map(Timestamp),
            response_excerpt: a.response_excerpt,
        })
        .collect();
    Ok(Some(EventHistory { event: store.event_from_row(row)?, attempts }))
}

pub(crate) async fn replay(
    store: &SqlStore,
    app_id: &str,
    id: Option<&EventId>,
    filter: &EventFilter,
    now: Timestamp,
    audit: Option<&AuditEntry>,
) -> StoreResult<u64> {
    let mut qb =
        SqlBuilder::new(store.backend, "UPDATE events SET status = 'pending', attempts = 0, next_attempt_at = ");
    qb.push_bind(now.0)
        .push(", locked_until = NULL, last_error = NULL, held = CASE WHEN account_id IS NULL THEN 0 ELSE 1 END");
    push_filter(&mut qb, app_id, filter);
    qb.push(" AND status != 'pending'");
    if let Some(id) = id {
        qb.push(" AND id = ").push_bind(id.to_string());
    }
    let mut tx = store.write().await?;
    // Every counter of the app: no event of it is written or released while queues are rebuilt.
    crate::sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT app_id FROM event_sequences WHERE app_id = $1{}",
        store.for_update()
    )))
    .bind(app_id)
    .fetch_all(&mut *tx)
    .await?;
    let (sql, args) = qb.finish();
    let done = crate::sql::query_with(sql, args).execute(&mut *tx).await?;
    // Replayed events join their account's queue; where no event of an account is free to go,
    // its earliest pending event goes.
    crate::sql::query(
        "UPDATE events SET held = 0, next_attempt_at = $2
         WHERE app_id = $1 AND status = 'pending' AND held = 1
           AND NOT EXISTS (SELECT 1 FROM events p WHERE p.app_id = events.app_id AND p.account_id = events.account_id
                                              AND p.status = 'pending' AND (p.held = 0 OR p.sequence < events.sequence))",
    )
    .bind(app_id)
    .bind(now.0)
    .execute(&mut *tx)
    .await?;
    if let Some(audit) = audit {
        crate::operators::write_audit(&mut tx, audit).await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected())
}

pub(crate) async fn counts(store: &SqlStore) -> StoreResult<Vec<EventCount>> {
    let rows: Vec<(String, i64)> =
        crate::sql::query_as("SELECT status, COUNT(*) FROM events GROUP BY status").fetch_all(&store.pool).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, n)| Some(EventCount { status: EventStatus::parse(&s)?, events: numbers::count(n) }))
        .collect())
}

/// Ends `owner`'s leases of events it will not send (a worker stopping with events it leased
/// ahead of its slots), so that they are due again now rather than when the lease runs out.
pub(crate) async fn release(store: &SqlStore, ids: &[EventId], owner: i64) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut qb = SqlBuilder::new(store.backend, "UPDATE events SET locked_until = NULL WHERE locked_by = ");
    qb.push_bind(owner).push(" AND status = 'pending' AND id IN ").push_row(|row| {
        for id in ids {
            row.bind(id.to_string());
        }
    });
    let (sql, args) = qb.finish();
    crate::sql::query_with(sql, args).execute(&store.pool).await?;
    Ok(())
}

mod postgres_turn;
mod sqlite_turn;

/// The `EventStore` port, on the functions above.
mod port {
    use passbook_domain::Timestamp;
    use passbook_domain::model::{AppId, EventId};
    use passbook_domain::model::{
        AuditEntry, DeliveryRecord, EventCount, EventFilter, EventHistory, NewEvent, Page, PageRequest, PendingEvent,
        QueueClaim, StoredEvent,
    };
    use passbook_domain::store::EventStore;

    crate::port::impl_port! { EventStore {
        retried fn claim_events(claim: &QueueClaim) -> Vec<PendingEvent> = crate::events::claim(claim);
        retried fn record_deliveries(records: &[DeliveryRecord]) -> () = crate::events::record(records);
        retried fn record_and_claim_events(records: &[DeliveryRecord], claim: &QueueClaim) -> Vec<PendingEvent>
            = crate::events::record_and_claim(records, claim);
        retried fn release_events(ids: &[EventId], owner: i64) -> () = crate::events::release(ids, owner);
        retried fn insert_event(event: &NewEvent, audit: Option<&AuditEntry>) -> ()
            = crate::events::insert_alone(event, audit);
        retried fn list_events(app_id: &AppId, filter: &EventFilter, page: PageRequest) -> Page<StoredEvent>
            = crate::events::list(app_id, filter, page.clone());
        retried fn event(app_id: &AppId, id: &EventId) -> Option<EventHistory> = crate::events::one(app_id, id);
        retried fn replay_events(
            app_id: &AppId,
            id: Option<&EventId>,
            filter: &EventFilter,
            now: Timestamp,
            audit: Option<&AuditEntry>,
        ) -> u64
            = crate::events::replay(app_id, id, filter, now, audit);
        retried fn event_counts() -> Vec<EventCount> = crate::events::counts();
    }}
}
