//! The one claim both queues use (jobs, and the webhook outbox): a lease on due rows, fairly
//! over apps. Each app's first due rows are read (at most `per_app`, from an index, however many
//! wait), ranked within the app after the rows it already has in flight over all workers, and
//! the best `limit` of those within the app's allowance are leased. Parameters: `$1` now, `$2`
//! the lease's end, `$3` the rows wanted, `$4` the app's allowance, and for a queue whose workers
//! lease ahead ([`Queue::exclusive`]) `$5` the claiming worker and `$6` the app's limit. It runs
//! under `fetch_serialised` ([`claim`]) or in a transaction that took the claim's turn
//! ([`claim_in`]), so claims take turns across processes and the per-app limit holds over all of
//! them.
use passbook_domain::model::QueueClaim;
use sqlx::{Any, Transaction};

use crate::error::StoreResult;
use crate::{Backend, LockName, SqlStore};

/// What differs between the queues.
pub(crate) struct Queue {
    pub table: &'static str,
    /// A row still to be done (finished rows are never claimed nor counted in flight).
    pub open: &'static str,
    /// An open row that is due at `$1`, besides its lease having ended.
    pub due: &'static str,
    /// The order within an app, as column names.
    pub order: &'static [&'static str],
    /// The order over apps of the rows ranked within their allowance (`turn` is the row's
    /// place in its app's queue, counting what it has in flight).
    pub pick: &'static str,
    /// What a claim sets besides `locked_until = $2`.
    pub also_set: &'static str,
    pub returning: &'static str,
    /// Whether workers lease ahead ([`QueueClaim::ahead`]): the allowance `$4` beyond the app's
    /// limit `$6` is only for a worker that no other worker shares the app with (`locked_by`).
    /// Then whoever holds the app's leases sends at most its limit at once; shared, the app's
    /// leases over all workers stay within its limit.
    pub exclusive: bool,
}

/// Leases due rows of the queue as `claim` says; returns the claimed rows' `returning` columns.
pub(crate) async fn claim<R>(
    store: &SqlStore,
    (queue, lock): (&Queue, LockName),
    claim: &QueueClaim,
) -> StoreResult<Vec<R>>
where
    R: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    store.fetch_serialised(lock, query(store.backend, queue, claim)).await
}

/// [`claim`] inside a write transaction that holds the claim's turn (`SqlStore::take_turn`).
pub(crate) async fn claim_in<R>(
    tx: &mut Transaction<'static, Any>,
    (backend, queue): (Backend, &Queue),
    claim: &QueueClaim,
) -> StoreResult<Vec<R>>
where
    R: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    Ok(query(backend, queue, claim).fetch_all(&mut **tx).await?)
}

fn query<R>(
    backend: Backend,
    queue: &Queue,
    claim: &QueueClaim,
) -> sqlx::query::QueryAs<'static, Any, R, sqlx::any::AnyArguments>
where
    R: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    let query = crate::sql::query_as(sqlx::AssertSqlSafe(sql(backend, queue)))
        .bind(claim.now.0)
        .bind(claim.lease_until.0)
        .bind(i64::from(claim.limit))
        .bind(i64::from(claim.allowance()));
    if queue.exclusive { query.bind(claim.owner).bind(i64::from(claim.per_app)) } else { query }
}

pub(crate) fn sql(backend: Backend, q: &Queue) -> String {
    let Queue { table, open, pick, also_set, returning, .. } = q;
    // Every `LIMIT` through `CAST`: SQLite prepares a statement with a bare `LIMIT` parameter
    // again on every run (`SqlBuilder::push_page`).
    format!(
        "{}
         UPDATE {table} SET locked_until = $2{also_set}
         WHERE id IN (SELECT id FROM ranked WHERE turn <= $4 ORDER BY {pick} LIMIT CAST($3 AS BIGINT))
           AND {open} AND (locked_until IS NULL OR locked_until < $1)
         RETURNING {returning}",
        ranked(backend, q)
    )
}

/// The due rows of each app ranked within the app's allowance, as `WITH … ranked`. What an app
/// has in flight is counted only for apps with due rows, and only up to the allowance (more
/// changes nothing), each with a scan of its own that stops there: one bitmap scan over every
/// lease, as the planner made of a count over all apps, read the row of every lease taken since
/// the last vacuum (a bitmap scan never marks an index entry dead), 79 pages a claim.
fn ranked(backend: Backend, q: &Queue) -> String {
    let Queue { table, open, due, order, exclusive, .. } = q;
    // The order's columns, as a table alias names them.
    let of = |alias: &str| order.iter().map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ");
    let (in_app, x_order, d_order) = (of("r"), of("x"), of("d"));
    let due_of_each_app = match backend {
        Backend::Postgres => format!(
            "FROM apps a CROSS JOIN LATERAL (
                 SELECT r.id, r.app_id, {in_app} FROM {table} r
                 WHERE r.app_id = a.id AND {due} AND (r.locked_until IS NULL OR r.locked_until < $1)
                 ORDER BY {in_app} LIMIT CAST($4 AS BIGINT)) x"
        ),
        // SQLite has no LATERAL; an IN over the correlated subquery is its equivalent.
        Backend::Sqlite => format!(
            "FROM apps a JOIN {table} x ON x.id IN (
                 SELECT r.id FROM {table} r
                 WHERE r.app_id = a.id AND {due} AND (r.locked_until IS NULL OR r.locked_until < $1)
                 ORDER BY {in_app} LIMIT CAST($4 AS BIGINT))"
        ),
    };
    let live = format!("l.app_id = d.app_id AND {open} AND l.locked_until IS NOT NULL AND l.locked_until >= $1");
    // An app another worker holds leases of is allowed its limit, not the allowance.
    let others = match exclusive {
        true => format!(
            " + CASE WHEN EXISTS (SELECT 1 FROM {table} l WHERE {live} AND (l.locked_by IS NULL OR l.locked_by <> $5)) \
             THEN CAST($4 AS BIGINT) - CAST($6 AS BIGINT) ELSE 0 END"
        ),
        false => String::new(),
    };
    format!(
        "WITH due AS (SELECT x.id, x.app_id, {x_order} {due_of_each_app}),
         in_flight AS (
             SELECT d.app_id, (SELECT COUNT(*) FROM (
                        SELECT 1 FROM {table} l WHERE {live} LIMIT CAST($4 AS BIGINT)) s){others} AS n
             FROM (SELECT DISTINCT app_id FROM due) d),
         ranked AS (
             SELECT d.id, {d_order},
                    ROW_NUMBER() OVER (PARTITION BY d.app_id ORDER BY {d_order}) + COALESCE(f.n, 0) AS turn
             FROM due d LEFT JOIN in_flight f ON f.app_id = d.app_id)"
    )
}
