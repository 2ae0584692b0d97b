//! The transaction change feed and pending records (`transaction_changes`,
//! `pending_transactions`): written with each fetch, read by the sync endpoint.
use passbook_domain::model::Transaction;
use passbook_domain::numbers;
use passbook_domain::sync::{ChangeKind, LoggedChange, SyncState, SyncedTransaction, TransactionChanges};
use sqlx::{Any, Transaction as SqlTransaction};

use crate::error::{StoreError, StoreResult};
use crate::sql::SqlBuilder;
use crate::transactions::{TransactionRow, id_bytes, kind_code};
use crate::{Backend, SqlStore};

/// Rows per INSERT: 6 parameters each.
const BATCH_ROWS: usize = 500;

/// A pending record as the feed keeps it.
#[derive(serde::Serialize, serde::Deserialize)]
struct PendingBody {
    date: i64,
    narration: String,
    amount: i64,
    kind: i64,
    currency: String,
    fingerprint: String,
}

/// id, date, narration, amount, kind, currency, fingerprint
type PendingRow = (Vec<u8>, i64, String, i64, i64, String, String);

pub(crate) async fn state(store: &SqlStore, account_id: &str) -> StoreResult<SyncState> {
    let account = id_bytes(account_id)?;
    let seq: Option<(i64, i64)> = crate::sql::query_as("SELECT change_seq, data_as_of FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&store.pool)
        .await?;
    let (seq, data_as_of) = seq.unwrap_or_default();
    let rows: Vec<PendingRow> = crate::sql::query_as(
        "SELECT id, date, narration, amount, kind, currency, fingerprint FROM pending_transactions WHERE account_id = $1",
    )
    .bind(account)
    .fetch_all(&store.pool)
    .await?;
    let pending = rows
        .into_iter()
        .map(|(id, date, narration, amount, kind, currency, fingerprint)| {
            pending_record(
                hex::encode(id),
                account_id,
                PendingBody { date, narration, amount, kind, currency, fingerprint },
            )
        })
        .collect::<StoreResult<_>>()?;
    Ok(SyncState { change_seq: numbers::count(seq), pending, data_as_of: passbook_domain::Timestamp(data_as_of) })
}

/// Numbers the fetch's changes after the account's last one, unless the account has moved on
/// since the fetch read it, or took newer bank data (false: nothing written). Takes the
/// account's row lock first, as every writer of an account does.
pub(crate) async fn claim_numbers(
    tx: &mut SqlTransaction<'static, Any>,
    account_id: &str,
    changes: &TransactionChanges,
) -> StoreResult<bool> {
    let moved = crate::sql::query(
        "UPDATE accounts SET change_seq = change_seq + $2, data_as_of = COALESCE($4, data_as_of)
         WHERE id = $1 AND change_seq = $3 AND data_as_of <= COALESCE($4, data_as_of)",
    )
    .bind(account_id)
    .bind(numbers::signed(changes.log.len()))
    .bind(numbers::signed(changes.after_seq))
    .bind(changes.as_of.map(|t| t.0))
    .execute(&mut **tx)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Writes the pending records and the change log of a fetch whose numbers were claimed.
pub(crate) async fn write(
    store: &SqlStore,
    tx: &mut SqlTransaction<'static, Any>,
    account_id: &str,
    changes: &TransactionChanges,
) -> StoreResult<()> {
    let account = id_bytes(account_id)?;
    for id in &changes.pending_removed {
        crate::sql::query("DELETE FROM pending_transactions WHERE account_id = $1 AND id = $2")
            .bind(account.clone())
            .bind(id_bytes(id)?)
            .execute(&mut **tx)
            .await?;
    }
    for t in &changes.pending_saved {
        crate::sql::query(
            "INSERT INTO pending_transactions (account_id, id, date, narration, amount, kind, currency, fingerprint)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (account_id, id) DO UPDATE SET date = excluded.date, narration = excluded.narration,
                 amount = excluded.amount, kind = excluded.kind, currency = excluded.currency",
        )
        .bind(account.clone())
        .bind(id_bytes(&t.id)?)
        .bind(t.date.0)
        .bind(&t.narration)
        .bind(t.amount)
        .bind(kind_code(t.kind))
        .bind(&t.currency)
        .bind(&t.fingerprint)
        .execute(&mut **tx)
        .await?;
    }
    let numbered: Vec<_> = changes.log.iter().zip(numbers::signed(changes.after_seq) + 1..).collect();
    for chunk in numbered.chunks(BATCH_ROWS) {
        let mut qb = SqlBuilder::new(
            store.backend,
            "INSERT INTO transaction_changes (account_id, seq, change, date, transaction_id, pending) VALUES ",
        );
        for (i, (change, seq)) in chunk.iter().enumerate() {
            if i > 0 {
                qb.push(", ");
            }
            let body = change.pending.as_ref().map(pending_body);
            let id = id_bytes(&change.transaction_id)?;
            qb.push_row(|row| {
                row.bind(account.clone()).bind(*seq).bind(change.kind.code()).bind(change.date.0).bind(id).bind(body);
            });
        }
        let (sql, args) = qb.finish();
        crate::sql::query_with(sql, args).execute(&mut **tx).await?;
    }
    Ok(())
}

fn pending_record(id: String, account_id: &str, body: PendingBody) -> StoreResult<Transaction> {
    let PendingBody { date, narration, amount, kind, currency, fingerprint } = body;
    let row = TransactionRow {
        id,
        account_id: account_id.to_string(),
        date,
        narration,
        amount,
        kind,
        balance: None,
        currency,
        fingerprint,
    };
    row.try_into()
}

fn pending_body(t: &Transaction) -> String {
    serde_json::to_string(&PendingBody {
        date: t.date.0,
        narration: t.narration.clone(),
        amount: t.amount,
        kind: kind_code(t.kind),
        currency: t.currency.clone(),
        fingerprint: t.fingerprint.clone(),
    })
    .expect("a pending record serialises")
}

/// One logged change with its posted record, as the page query returns it (a JSON array).
#[derive(serde::Deserialize)]
struct ChangeRow(i64, i64, String, Option<String>, Option<TransactionRow>);

/// Up to `limit` changes after `after`: one range scan of the log's key, each posted record
/// found by its own key, returned as one JSON text (as transaction pages are).
pub(crate) async fn changes(
    store: &SqlStore,
    account_id: &str,
    after: u64,
    limit: u32,
) -> StoreResult<Vec<LoggedChange>> {
    let sql = match store.backend {
        Backend::Sqlite => CHANGES_SQLITE,
        Backend::Postgres => CHANGES_POSTGRES,
    };
    let json: Option<String> = crate::sql::query_scalar(sql)
        .bind(id_bytes(account_id)?)
        .bind(numbers::signed(after))
        .bind(limit as i64)
        .fetch_one(&store.pool)
        .await?;
    let rows: Vec<ChangeRow> = match json {
        Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("change log: {e}")))?,
        None => Vec::new(),
    };
    rows.into_iter().map(|row| logged(account_id, row)).collect()
}

/// The page of the log, each change with its posted record (when it names one) as an array in
/// `TransactionRow`'s order.
const CHANGES_SQLITE: &str =
    "SELECT json_group_array(json_array(c.seq, c.change, lower(hex(c.transaction_id)), c.pending,
        CASE WHEN t.id IS NULL THEN NULL ELSE json_array(lower(hex(t.id)), lower(hex(t.account_id)), t.date,
            t.narration, t.amount, t.kind, t.balance, t.currency, t.fingerprint) END) ORDER BY c.seq)
    FROM (SELECT account_id, seq, change, date, transaction_id, pending FROM transaction_changes
          WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT CAST($3 AS BIGINT)) c
    LEFT JOIN transactions t ON c.pending IS NULL AND c.change <> 2
        AND t.account_id = c.account_id AND t.date = c.date AND t.id = c.transaction_id";
const CHANGES_POSTGRES: &str =
    "SELECT json_agg(json_build_array(c.seq, c.change, encode(c.transaction_id, 'hex'), c.pending,
        CASE WHEN t.id IS NULL THEN NULL ELSE json_build_array(encode(t.id, 'hex'), encode(t.account_id, 'hex'), t.date,
            t.narration, t.amount, t.kind, t.balance, t.currency, t.fingerprint) END) ORDER BY c.seq)::text
    FROM (SELECT account_id, seq, change, date, transaction_id, pending FROM transaction_changes
          WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT CAST($3 AS BIGINT)) c
    LEFT JOIN transactions t ON c.pending IS NULL AND c.change <> 2
        AND t.account_id = c.account_id AND t.date = c.date AND t.id = c.transaction_id";

fn logged(account_id: &str, ChangeRow(seq, code, id, pending, posted): ChangeRow) -> StoreResult<LoggedChange> {
    let kind = ChangeKind::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("change kind {code}")))?;
    let transaction = match (pending, posted) {
        (Some(body), _) => {
            let body: PendingBody =
                serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("pending record: {e}")))?;
            Some(SyncedTransaction { transaction: pending_record(id.clone(), account_id, body)?, pending: true })
        }
        (None, Some(row)) => Some(SyncedTransaction { transaction: row.try_into()?, pending: false }),
        (None, None) => None,
    };
    Ok(LoggedChange { seq: numbers::count(seq), kind, transaction_id: id, transaction })
}
