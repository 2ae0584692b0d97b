//! The dispatcher's turn on PostgreSQL in one round trip. Through sqlx every statement is a
//! round trip of its own, and a turn took seven (begin, the claim's lock, the attempts, the
//! delivered events, the claim, commit, and the app); with four deliveries in flight per app a
//! worker waited on them more than on its deliveries. Here the turn is one simple query: the
//! statements the sqlx path runs (`super`), prepared once per connection under names of their
//! own (`PREPARE`, so that the claim is not planned again on every turn: planning it costs five
//! times running it) and run with `EXECUTE`, in the one transaction PostgreSQL makes of a
//! multi-statement query (all of it, or none of it). A simple query carries no parameters, so the
//! values are written into it as literals ([`Literal`]).
//!
//! Not behind a pooler in transaction mode, where a connection's prepared statements may be on
//! another server connection: the store takes the sqlx path there.
use std::fmt::Write;
use std::sync::LazyLock;

use futures_util::TryStreamExt;
use passbook_domain::ids;
use passbook_domain::model::{DeliveryOutcome, DeliveryRecord, QueueClaim};
use passbook_domain::numbers;
use sqlx::{Either, FromRow};

use super::{
    ClaimedRow, EVENTS, GIVE_UP, INSERT_ATTEMPT, LOCK_ACCOUNT_QUEUE, MARK_DELIVERED, RELEASE_NEXT, RETRY_LATER,
};
use crate::error::StoreResult;
use crate::{Backend, LockName, SqlStore, fair_claim};

/// The turn's statements, by the names they are prepared under.
static STATEMENTS: LazyLock<[(&str, String); 7]> = LazyLock::new(|| {
    [
        ("passbook_insert_attempt", INSERT_ATTEMPT.clone()),
        ("passbook_mark_delivered", MARK_DELIVERED.into()),
        ("passbook_retry_later", RETRY_LATER.into()),
        ("passbook_give_up", GIVE_UP.into()),
        ("passbook_lock_account_queue", LOCK_ACCOUNT_QUEUE.into()),
        ("passbook_release_next", RELEASE_NEXT.into()),
        ("passbook_claim_events", fair_claim::sql(Backend::Postgres, &EVENTS)),
    ]
});

/// Records `records` and claims as `claim` says, in one transaction and one round trip; returns
/// the claimed rows.
pub(super) async fn record_and_claim(
    store: &SqlStore,
    records: &[DeliveryRecord],
    claim: &QueueClaim,
) -> StoreResult<Vec<ClaimedRow>> {
    let script = Script::of(records, claim);
    let mut connection = store.pool.acquire().await?;
    match script.run(&mut connection).await {
        // A connection new since the statements were last prepared (`26000`), or one whose
        // statements a change of the schema made unusable (`0A000`); nothing ran, since a
        // multi-statement query is one transaction.
        Err(err) if matches!(err.sqlstate().as_deref(), Some("26000" | "0A000")) => {
            prepare(&mut connection).await?;
            script.run(&mut connection).await
        }
        other => other,
    }
}

/// The turn as one query, whose last statement is the claim.
struct Script {
    text: String,
    statements: usize,
}

impl Script {
    fn of(records: &[DeliveryRecord], claim: &QueueClaim) -> Self {
        let lock = format!("SELECT pg_advisory_xact_lock({})::text;\n", LockName::EventClaim as i64);
        let mut script = Script { text: lock, statements: 1 };
        for r in records {
            let a = &r.attempt;
            script.execute(
                "passbook_insert_attempt",
                &[
                    ids::object_id(a.attempted_at).as_str().into(),
                    r.event_id.as_str().into(),
                    a.attempted_at.0.into(),
                    a.status_code.map(i64::from).into(),
                    numbers::signed(a.latency_ms).into(),
                    a.error.as_deref().into(),
                    a.next_attempt_at.map(|t| t.0).into(),
                    a.response_excerpt.as_deref().into(),
                ],
            );
            let id = r.event_id.as_str().into();
            match &r.outcome {
                DeliveryOutcome::Delivered => script.execute("passbook_mark_delivered", &[id, a.attempted_at.0.into()]),
                DeliveryOutcome::Retry { at, error } => {
                    script.execute("passbook_retry_later", &[id, at.0.into(), error.as_str().into()])
                }
                DeliveryOutcome::GaveUp { error } => script.execute("passbook_give_up", &[id, error.as_str().into()]),
            }
        }
        for (app_id, account_id) in DeliveryRecord::finished_accounts(records) {
            for name in ["passbook_lock_account_queue", "passbook_release_next"] {
                script.execute(name, &[app_id.into(), account_id.into()]);
            }
        }
        let (limit, allowance, per_app) =
            (i64::from(claim.limit), i64::from(claim.allowance()), i64::from(claim.per_app));
        let (now, until) = (claim.now.0.into(), claim.lease_until.0.into());
        let claim = [now, until, limit.into(), allowance.into(), claim.owner.into(), per_app.into()];
        script.execute("passbook_claim_events", &claim);
        script
    }

    fn execute(&mut self, name: &str, values: &[Literal]) {
        let values: Vec<String> = values.iter().map(Literal::to_string).collect();
        let _ = writeln!(self.text, "EXECUTE {name}({});", values.join(", "));
        self.statements += 1;
    }

    /// Runs the script; the rows of its last statement.
    async fn run(&self, connection: &mut sqlx::AnyConnection) -> StoreResult<Vec<ClaimedRow>> {
        let mut finished = 0;
        let mut rows = Vec::new();
        let mut results = sqlx::raw_sql(sqlx::AssertSqlSafe(self.text.clone())).fetch_many(connection);
        while let Some(result) = results.try_next().await? {
            match result {
                Either::Left(_) => finished += 1,
                Either::Right(row) if finished + 1 == self.statements => rows.push(ClaimedRow::from_row(&row)?),
                Either::Right(_) => {}
            }
        }
        Ok(rows)
    }
}

/// Prepares the turn's statements on this connection, afresh.
async fn prepare(connection: &mut sqlx::AnyConnection) -> StoreResult<()> {
    let prepared: Vec<String> =
        crate::sql::query_scalar("SELECT name::text FROM pg_prepared_statements WHERE name LIKE 'passbook\\_%'")
            .fetch_all(&mut *connection)
            .await?;
    let mut script: String = prepared.iter().map(|name| format!("DEALLOCATE {name};\n")).collect();
    for (name, sql) in STATEMENTS.iter() {
        let _ = writeln!(script, "PREPARE {name} AS {sql};");
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(script)).execute(&mut *connection).await?;
    Ok(())
}

/// A value written into a query as a literal.
enum Literal<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

impl From<i64> for Literal<'_> {
    fn from(n: i64) -> Self {
        Literal::Int(n)
    }
}

impl<'a> From<&'a str> for Literal<'a> {
    fn from(s: &'a str) -> Self {
        Literal::Text(s)
    }
}

impl<'a, T: Into<Literal<'a>>> From<Option<T>> for Literal<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Literal::Null, Into::into)
    }
}

impl std::fmt::Display for Literal<'_> {
    /// Text as an escape string (`E'…'`), as libpq's `PQescapeLiteral` writes it: quotes and
    /// backslashes doubled, which reads the same whatever `standard_conforming_strings` says. A
    /// NUL, which PostgreSQL's text cannot hold, becomes U+FFFD.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Literal::Null => f.write_str("NULL"),
            Literal::Int(n) => write!(f, "{n}"),
            Literal::Text(s) => {
                f.write_str("E'")?;
                for c in s.chars() {
                    match c {
                        '\'' => f.write_str("''")?,
                        '\\' => f.write_str("\\\\")?,
                        '\0' => f.write_char('\u{FFFD}')?,
                        c => f.write_char(c)?,
                    }
                }
                f.write_str("'")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Literal;

    #[test]
    fn text_is_written_as_an_escape_string_that_cannot_end_early() {
        let nasty = "it's \\'; DROP TABLE events; --\n$1 \0 ünï";
        assert_eq!(Literal::Text(nasty).to_string(), "E'it''s \\\\''; DROP TABLE events; --\n$1 \u{FFFD} ünï'");
        assert_eq!(Literal::from(None::<i64>).to_string(), "NULL");
        assert_eq!(Literal::from(Some(-7_i64)).to_string(), "-7");
    }
}
