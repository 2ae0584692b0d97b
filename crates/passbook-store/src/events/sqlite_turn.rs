//! The dispatcher's turn on a SQLite file: recording finished deliveries and claiming the next
//! events, with rusqlite on a connection of the store's own ([`crate::inline`]), as one task on a
//! blocking thread. Through sqlx each statement is a hand-off to the connection's thread and back;
//! a profile of the worker draining a backlog showed those hand-offs, not SQLite, taking most of
//! its time. The statements are the ones the sqlx path runs (`super`), one row at a time where
//! that path builds one statement for many rows: here a statement costs no round trip.
use std::sync::LazyLock;

use passbook_domain::ids;
use passbook_domain::model::{DeliveryOutcome, DeliveryRecord, QueueClaim};
use rusqlite::{OptionalExtension, ToSql, Transaction};

use super::{ATTEMPT_COLUMNS, EVENTS, EventRow, GIVE_UP, LOCK_ACCOUNT_QUEUE, RELEASE_NEXT, RETRY_LATER};
use crate::error::StoreResult;
use crate::{Backend, fair_claim};

static INSERT_ATTEMPT: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO delivery_attempts ({ATTEMPT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
});

const MARK_DELIVERED: &str = "UPDATE events
     SET status = 'delivered', attempts = attempts + 1, locked_until = NULL, last_error = NULL, delivered_at = $2
     WHERE id = $1 RETURNING app_id, account_id";

static CLAIM: LazyLock<String> = LazyLock::new(|| fair_claim::sql(Backend::Sqlite, &EVENTS));

/// Records `records` and claims as `claim` says, in `tx`; returns the claimed rows.
pub(super) fn record_and_claim(
    tx: &Transaction<'_>,
    records: &[DeliveryRecord],
    claim: &QueueClaim,
) -> StoreResult<Vec<EventRow>> {
    let mut finished = Vec::new();
    for r in records {
        insert_attempt(tx, r)?;
        finished.extend(apply_outcome(tx, r)?);
    }
    // The same order as the sqlx path, so that two settling workers never wait on each other.
    finished.sort();
    for (app_id, account_id) in finished {
        if let Some(account_id) = account_id {
            for sql in [LOCK_ACCOUNT_QUEUE, RELEASE_NEXT] {
                tx.prepare_cached(sql)?.execute(&numbered(&[&app_id, &account_id])[..])?;
            }
        }
    }
    let params = [&claim.now.0 as &dyn ToSql, &claim.lease_until.0, &i64::from(claim.limit), &i64::from(claim.per_app)];
    let mut statement = tx.prepare_cached(&CLAIM)?;
    let rows = statement.query_map(&numbered(&params)[..], EventRow::from_inline)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// `values` bound to `$1`, `$2`, … by name: SQLite numbers `$N` parameters in the order they
/// first appear in the statement, not by their digits (the claim's `$4` comes before its `$2`).
fn numbered<'a>(values: &[&'a dyn ToSql]) -> Vec<(&'static str, &'a dyn ToSql)> {
    const NAMES: [&str; 8] = ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8"];
    assert!(values.len() <= NAMES.len(), "more parameters than names");
    NAMES.into_iter().zip(values.iter().copied()).collect()
}

fn insert_attempt(tx: &Transaction<'_>, r: &DeliveryRecord) -> StoreResult<()> {
    let a = &r.attempt;
    let values: [&dyn ToSql; 8] = [
        &ids::object_id(a.attempted_at),
        &r.event_id,
        &a.attempted_at.0,
        &a.status_code.map(i64::from),
        &(a.latency_ms as i64),
        &a.error,
        &a.next_attempt_at.map(|t| t.0),
        &a.response_excerpt,
    ];
    tx.prepare_cached(&INSERT_ATTEMPT)?.execute(&numbered(&values)[..])?;
    Ok(())
}

/// The event after the attempt; its app and account when it is finished (delivered or given
/// up), for the account's next event to be released.
fn apply_outcome(tx: &Transaction<'_>, r: &DeliveryRecord) -> StoreResult<Option<(String, Option<String>)>> {
    let finished = |row: &rusqlite::Row<'_>| Ok((row.get(0)?, row.get(1)?));
    Ok(match &r.outcome {
        DeliveryOutcome::Delivered => tx
            .prepare_cached(MARK_DELIVERED)?
            .query_row(&numbered(&[&r.event_id, &r.attempt.attempted_at.0])[..], finished)
            .optional()?,
        DeliveryOutcome::Retry { at, error } => {
            tx.prepare_cached(RETRY_LATER)?.execute(&numbered(&[&r.event_id, &at.0, error])[..])?;
            None
        }
        DeliveryOutcome::GaveUp { error } => {
            tx.prepare_cached(GIVE_UP)?.query_row(&numbered(&[&r.event_id, error])[..], finished).optional()?
        }
    })
}
