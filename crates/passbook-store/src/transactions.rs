use passbook_domain::Timestamp;
use passbook_domain::categorise::categorise;
use passbook_domain::model::{Page, PageRequest, Transaction, TransactionFilter, TxKind};
use passbook_domain::numbers;
use sqlx::{Any, Transaction as SqlTransaction};

use crate::error::{StoreError, StoreResult};
use crate::sql::SqlBuilder;
use crate::{Backend, SqlStore};

/// Rows per INSERT: 9 parameters each, well under SQLite's limit of 32,766.
const BATCH_ROWS: usize = 500;

/// One transaction as the page query returns it: an element of a JSON array, in column order.
#[derive(serde::Deserialize)]
pub(crate) struct TransactionRow {
    pub id: String,
    pub account_id: String,
    pub date: i64,
    pub narration: String,
    pub amount: i64,
    pub kind: i64,
    pub balance: Option<i64>,
    pub currency: String,
    pub fingerprint: String,
}

impl TryFrom<TransactionRow> for Transaction {
    type Error = StoreError;

    fn try_from(r: TransactionRow) -> StoreResult<Self> {
        let kind = kind_of(r.kind).ok_or_else(|| StoreError::Corrupt(format!("transaction kind {}", r.kind)))?;
        Ok(Transaction {
            category: categorise(&r.narration, kind).to_string(),
            kind,
            id: r.id,
            account_id: r.account_id,
            date: Timestamp(r.date),
            narration: r.narration,
            amount: r.amount,
            balance: r.balance,
            currency: r.currency,
            fingerprint: r.fingerprint,
        })
    }
}

/// How a kind is stored: one small integer instead of its name.
pub(crate) fn kind_code(kind: TxKind) -> i64 {
    match kind {
        TxKind::Debit => 0,
        TxKind::Credit => 1,
    }
}

fn kind_of(code: i64) -> Option<TxKind> {
    match code {
        0 => Some(TxKind::Debit),
        1 => Some(TxKind::Credit),
        _ => None,
    }
}

/// An ObjectId as it is stored in `transactions`: its 12 bytes.
pub(crate) fn id_bytes(id: &str) -> StoreResult<Vec<u8>> {
    hex::decode(id)
        .ok()
        .filter(|b| b.len() == 12)
        .ok_or_else(|| StoreError::Corrupt(format!("'{id}' is not an ObjectId")))
}

/// Inserts in multi-row batches inside the caller's transaction; rows whose fingerprint the
/// account already has are skipped. Returns how many were new.
pub(crate) async fn insert_batch(
    store: &SqlStore,
    tx: &mut SqlTransaction<'static, Any>,
    rows: &[Transaction],
) -> StoreResult<u64> {
    // In the order of the table's key: a b-tree that grows at its right edge fills its pages,
    // one that grows anywhere else splits them in halves. A fetch comes newest first, which left
    // PostgreSQL's primary key at 103 bytes per row instead of 59.
    let mut rows: Vec<&Transaction> = rows.iter().collect();
    rows.sort_unstable_by(|a, b| (&a.account_id, a.date, &a.id).cmp(&(&b.account_id, b.date, &b.id)));
    let mut inserted = 0;
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut qb = SqlBuilder::new(
            store.backend,
            "INSERT INTO transactions (account_id, date, id, narration, amount, kind, balance, currency, fingerprint) \
             VALUES ",
        );
        for (i, t) in chunk.iter().enumerate() {
            if i > 0 {
                qb.push(", ");
            }
            let (account, id) = (id_bytes(&t.account_id)?, id_bytes(&t.id)?);
            qb.push_row(|row| {
                row.bind(account)
                    .bind(t.date.0)
                    .bind(id)
                    .bind(t.narration.clone())
                    .bind(t.amount)
                    .bind(kind_code(t.kind))
                    .bind(t.balance)
                    .bind(t.currency.clone())
                    .bind(t.fingerprint.clone());
            });
        }
        qb.push(" ON CONFLICT (account_id, fingerprint) DO NOTHING");
        let (sql, args) = qb.finish();
        inserted += crate::sql::query_with(sql, args).execute(&mut **tx).await?.rows_affected();
    }
    Ok(inserted)
}

fn push_filter(qb: &mut SqlBuilder, account: Vec<u8>, filter: &TransactionFilter) {
    qb.push(" WHERE account_id = ").push_bind(account);
    if let Some(start) = filter.start {
        qb.push(" AND date >= ").push_bind(start.0);
    }
    if let Some(end) = filter.end {
        qb.push(" AND date < ").push_bind(end.0);
    }
    // A literal, not a parameter: each kind has a partial index, which the planner (SQLite's,
    // and PostgreSQL's for a prepared statement) only uses when the query itself implies its
    // condition.
    match filter.kind {
        Some(TxKind::Debit) => qb.push(" AND kind = 0"),
        Some(TxKind::Credit) => qb.push(" AND kind = 1"),
        None => qb,
    };
    if let Some(narration) = &filter.narration {
        qb.push(" AND LOWER(narration) LIKE ").push_bind(like_pattern(narration)).push(" ESCAPE '\\'");
    }
}

fn like_pattern(needle: &str) -> String {
    let escaped: String = needle
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// A page is one range scan of the table, kept in (account, date, id) order (or of
/// the kind's partial index for a type filter) that stops after the page. Without filters the total
/// is the count kept on the account; with filters it is a COUNT over the same range.
pub(crate) async fn page(
    store: &SqlStore,
    account_id: &str,
    filter: &TransactionFilter,
    page: PageRequest,
    total_hint: u64,
) -> StoreResult<Page<Transaction>> {
    let account = id_bytes(account_id)?;
    // The page comes back as one JSON text: one value to hand from the database to the handler
    // instead of a row message (and its conversion through sqlx's `Any` driver) per
    // transaction, which a profile of the page under load showed costing far more than the
    // query itself.
    let (open, close) = match store.backend {
        Backend::Sqlite => (
            "SELECT json_group_array(json_array(lower(hex(id)), lower(hex(account_id)), date, narration, amount, \
             kind, balance, currency, fingerprint)) FROM (",
            ")",
        ),
        Backend::Postgres => (
            "SELECT json_agg(json_build_array(encode(id, 'hex'), encode(account_id, 'hex'), date, narration, amount, \
             kind, balance, currency, fingerprint) ORDER BY date DESC, id DESC)::text FROM (",
            ") page",
        ),
    };
    let inline = store.inline.as_ref().filter(|_| bounded_by_index(filter, &page));
    let mut qb = SqlBuilder::new(store.backend, open);
    if inline.is_some() {
        qb = qb.keeping_values();
    }
    qb.push("SELECT id, account_id, date, narration, amount, kind, balance, currency, fingerprint FROM transactions");
    push_filter(&mut qb, account.clone(), filter);
    if let Some(after) = &page.after {
        qb.push(" AND (date, id) < (").push_bind(after.date.0).push(", ").push_bind(id_bytes(&after.id)?).push(")");
    }
    qb.push(" ORDER BY date DESC, id DESC").push_page(&page).push(close);
    let json: Option<String> = match inline {
        Some(inline) => {
            let (sql, values) = qb.finish_inline();
            inline
                .read(|db| db.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(values), |row| row.get(0)))?
        }
        None => {
            let (sql, args) = qb.finish();
            crate::sql::query_scalar_with(sql, args).fetch_one(&store.pool).await?
        }
    };
    let rows: Vec<TransactionRow> = match json {
        Some(json) => {
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("transactions page: {e}")))?
        }
        None => Vec::new(),
    };
    let total = if filter.is_empty() { total_hint } else { count(store, account, filter).await? };
    let items = rows.into_iter().map(Transaction::try_from).collect::<StoreResult<_>>()?;
    Ok(Page { items, total })
}

/// A page that reads at most its own rows and the index entries it skips: no narration search
/// (which reads every row), no `paginate=false`, no deep `page=N` jump.
fn bounded_by_index(filter: &TransactionFilter, page: &PageRequest) -> bool {
    filter.narration.is_none() && page.limit.is_some() && page.offset() <= 1_000
}

async fn count(store: &SqlStore, account: Vec<u8>, filter: &TransactionFilter) -> StoreResult<u64> {
    let mut qb = SqlBuilder::new(store.backend, "SELECT COUNT(*) FROM transactions");
    push_filter(&mut qb, account, filter);
    let (sql, args) = qb.finish();
    let total: i64 = crate::sql::query_scalar_with(sql, args).fetch_one(&store.pool).await?;
    Ok(numbers::count(total))
}

/// The fingerprints among `fingerprints` that the account already has.
pub(crate) async fn known(
    store: &SqlStore,
    account_id: &str,
    fingerprints: &[String],
) -> StoreResult<std::collections::HashSet<String>> {
    let mut known = std::collections::HashSet::new();
    let account = id_bytes(account_id)?;
    for chunk in fingerprints.chunks(BATCH_ROWS) {
        let mut qb = SqlBuilder::new(store.backend, "SELECT fingerprint FROM transactions WHERE account_id = ");
        qb.push_bind(account.clone()).push(" AND fingerprint IN ");
        qb.push_row(|row| {
            for f in chunk {
                row.bind(f.clone());
            }
        });
        let (sql, args) = qb.finish();
        let rows: Vec<String> = crate::sql::query_scalar_with(sql, args).fetch_all(&store.pool).await?;
        known.extend(rows);
    }
    Ok(known)
}
