//! The dispatcher's turn on a SQLite file: recording finished deliveries and claiming the next
//! events, with rusqlite on a connection of the store's own ([`crate::inline`]), as one task on a
//! blocking thread. Through sqlx each statement is a hand-off to the connection's thread and back;
//! a profile of the worker draining a backlog showed those hand-offs, not SQLite, taking most of
//! its time. The statements are the ones the sqlx path runs (`super`), one row at a time where
//! that path builds one statement for many rows: here a statement costs no round trip.
use std::sync::LazyLock;

use passbook_domain::ids;
use passbook_domain::model::{DeliveryOutcome, DeliveryRecord, QueueClaim};
use passbook_domain::numbers;
use rusqlite::{ToSql, Transaction};

use super::{
    ClaimedRow, EVENTS, GIVE_UP, INSERT_ATTEMPT, LOCK_ACCOUNT_QUEUE, MARK_DELIVERED, RELEASE_NEXT, RETRY_LATER,
};
use crate::error::StoreResult;
use crate::{Backend, fair_claim};

static CLAIM: LazyLock<String> = LazyLock::new(|| fair_claim::sql(Backend::Sqlite, &EVENTS));

/// Records `records` and claims as `claim` says, in `tx`; returns the claimed rows.
pub(super) fn record_and_claim(
    tx: &Transaction<'_>,
    records: &[DeliveryRecord],
    claim: &QueueClaim,
) -> StoreResult<Vec<ClaimedRow>> {
    for r in records {
        insert_attempt(tx, r)?;
        apply_outcome(tx, r)?;
    }
    for (app_id, account_id) in DeliveryRecord::finished_accounts(records) {
        for sql in [LOCK_ACCOUNT_QUEUE, RELEASE_NEXT] {
            tx.prepare_cached(sql)?.execute(&numbered(&[&app_id, &account_id])[..])?;
        }
    }
    let (limit, allowance, per_app) = (i64::from(claim.limit), i64::from(claim.allowance()), i64::from(claim.per_app));
    let params = [&claim.now.0 as &dyn ToSql, &claim.lease_until.0, &limit, &allowance, &claim.owner, &per_app];
    let mut statement = tx.prepare_cached(&CLAIM)?;
    let rows = statement.query_map(&numbered(&params)[..], ClaimedRow::from_inline)?.collect::<Result<_, _>>()?;
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
        &r.event_id.as_str(),
        &a.attempted_at.0,
        &a.status_code.map(i64::from),
        &numbers::signed(a.latency_ms),
        &a.error,
        &a.next_attempt_at.map(|t| t.0),
        &a.response_excerpt,
    ];
    tx.prepare_cached(&INSERT_ATTEMPT)?.execute(&numbered(&values)[..])?;
    Ok(())
}

/// The event after the attempt: delivered, to be retried, or given up on.
fn apply_outcome(tx: &Transaction<'_>, r: &DeliveryRecord) -> StoreResult<()> {
    let id = &r.event_id.as_str();
    let done = match &r.outcome {
        DeliveryOutcome::Delivered => {
            tx.prepare_cached(MARK_DELIVERED)?.execute(&numbered(&[id, &r.attempt.attempted_at.0])[..])
        }
        DeliveryOutcome::Retry { at, error } => {
            tx.prepare_cached(RETRY_LATER)?.execute(&numbered(&[id, &at.0, error])[..])
        }
        DeliveryOutcome::GaveUp { error } => tx.prepare_cached(GIVE_UP)?.execute(&numbered(&[id, error])[..]),
    };
    done?;
    Ok(())
}
