use passbook_domain::Timestamp;
use passbook_domain::model::{Page, PageRequest, Transaction, TransactionFilter, TxKind};
use sqlx::{Any, Transaction as SqlTransaction};

use crate::error::{StoreError, StoreResult};
use crate::sql::SqlBuilder;
use crate::{Backend, SqlStore};

/// Rows per INSERT: 10 parameters each, well under SQLite's limit of 32,766.
const BATCH_ROWS: usize = 500;

/// One transaction as the page query returns it: an element of a JSON array, in column order.
#[derive(serde::Deserialize)]
struct TransactionRow {
    id: String,
    account_id: String,
    date: i64,
    narration: String,
    amount: i64,
    kind: String,
    balance: Option<i64>,
    category: String,
    currency: String,
    fingerprint: String,
}

impl TryFrom<TransactionRow> for Transaction {
    type Error = StoreError;

    fn try_from(r: TransactionRow) -> StoreResult<Self> {
        Ok(Transaction {
            kind: TxKind::parse(&r.kind).ok_or_else(|| StoreError::Corrupt(format!("transaction kind {}", r.kind)))?,
            id: r.id,
            account_id: r.account_id,
            date: Timestamp(r.date),
            narration: r.narration,
            amount: r.amount,
            balance: r.balance,
            category: r.category,
            currency: r.currency,
            fingerprint: r.fingerprint,
        })
    }
}

/// Inserts in multi-row batches inside the caller's transaction; rows whose fingerprint the
/// account already has are skipped. Returns how many were new.
pub(crate) async fn insert_batch(
    store: &SqlStore,
    tx: &mut SqlTransaction<'static, Any>,
    rows: &[Transaction],
) -> StoreResult<u64> {
    let mut inserted = 0;
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut qb = SqlBuilder::new(
            store.backend,
            "INSERT INTO transactions (id, account_id, date, narration, amount, kind, balance, category, currency, fingerprint) VALUES ",
        );
        for (i, t) in chunk.iter().enumerate() {
            if i > 0 {
                qb.push(", ");
            }
            qb.push_row(|row| {
                row.bind(t.id.clone())
                    .bind(t.account_id.clone())
                    .bind(t.date.0)
                    .bind(t.narration.clone())
                    .bind(t.amount)
                    .bind(t.kind.as_str())
                    .bind(t.balance)
                    .bind(t.category.clone())
                    .bind(t.currency.clone())
                    .bind(t.fingerprint.clone());
            });
        }
        qb.push(" ON CONFLICT (account_id, fingerprint) DO NOTHING");
        let (sql, args) = qb.finish();
        inserted += sqlx::query_with(sql, args).execute(&mut **tx).await?.rows_affected();
    }
    Ok(inserted)
}

fn push_filter(qb: &mut SqlBuilder, account_id: &str, filter: &TransactionFilter) {
    qb.push(" WHERE account_id = ").push_bind(account_id.to_string());
    if let Some(start) = filter.start {
        qb.push(" AND date >= ").push_bind(start.0);
    }
    if let Some(end) = filter.end {
        qb.push(" AND date < ").push_bind(end.0);
    }
    if let Some(kind) = filter.kind {
        qb.push(" AND kind = ").push_bind(kind.as_str());
    }
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

/// A page is one range scan of `transactions_account_date` (or `…_kind_date` for a type
/// filter) that stops after the page. Without filters the total is the count kept on the
/// account; with filters it is a COUNT over the same index, which never reads the rows.
pub(crate) async fn page(
    store: &SqlStore,
    account_id: &str,
    filter: &TransactionFilter,
    page: PageRequest,
    total_hint: u64,
) -> StoreResult<Page<Transaction>> {
    // The inner query walks only the index (it is covering for every filter but narration), so
    // skipping to a deep page does not read the rows it skips. The page comes back as one JSON
    // text: one value to hand from the database to the handler instead of a row message (and its
    // conversion through sqlx's `Any` driver) per transaction, which a profile of the page under
    // load showed costing far more than the query itself.
    let (open, close) = match store.backend {
        Backend::Sqlite => (
            "SELECT json_group_array(json_array(id, account_id, date, narration, amount, kind, balance, \
             category, currency, fingerprint)) FROM (",
            ")",
        ),
        Backend::Postgres => (
            "SELECT json_agg(json_build_array(id, account_id, date, narration, amount, kind, balance, \
             category, currency, fingerprint) ORDER BY date DESC, id DESC)::text FROM (",
            ") page",
        ),
    };
    let inline = store.inline.as_ref().filter(|_| bounded_by_index(filter, &page));
    let mut qb = SqlBuilder::new(store.backend, open);
    if inline.is_some() {
        qb = qb.keeping_values();
    }
    qb.push(
        "SELECT id, account_id, date, narration, amount, kind, balance, category, currency, fingerprint \
         FROM transactions WHERE id IN (SELECT id FROM transactions",
    );
    push_filter(&mut qb, account_id, filter);
    if let Some(after) = &page.after {
        qb.push(" AND (date, id) < (").push_bind(after.date.0).push(", ").push_bind(after.id.clone()).push(")");
    }
    qb.push(" ORDER BY date DESC, id DESC LIMIT ")
        .push_bind(page.limit.map_or(i64::MAX, |l| l as i64))
        .push(" OFFSET ")
        .push_bind(page.offset() as i64)
        .push(") ORDER BY date DESC, id DESC")
        .push(close);
    let json: Option<String> = match inline {
        Some(inline) => {
            let (sql, values) = qb.finish_inline();
            inline
                .read(|db| db.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(values), |row| row.get(0)))?
        }
        None => {
            let (sql, args) = qb.finish();
            sqlx::query_scalar_with(sql, args).fetch_one(&store.pool).await?
        }
    };
    let rows: Vec<TransactionRow> = match json {
        Some(json) => {
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("transactions page: {e}")))?
        }
        None => Vec::new(),
    };
    let total = if filter.is_empty() { total_hint } else { count(store, account_id, filter).await? };
    let items = rows.into_iter().map(Transaction::try_from).collect::<StoreResult<_>>()?;
    Ok(Page { items, total })
}

/// A page that reads at most its own rows and the index entries it skips: no narration search
/// (which reads every row), no `paginate=false`, no deep `page=N` jump.
fn bounded_by_index(filter: &TransactionFilter, page: &PageRequest) -> bool {
    filter.narration.is_none() && page.limit.is_some() && page.offset() <= 5_000
}

async fn count(store: &SqlStore, account_id: &str, filter: &TransactionFilter) -> StoreResult<u64> {
    let mut qb = SqlBuilder::new(store.backend, "SELECT COUNT(*) FROM transactions");
    push_filter(&mut qb, account_id, filter);
    let (sql, args) = qb.finish();
    let total: i64 = sqlx::query_scalar_with(sql, args).fetch_one(&store.pool).await?;
    Ok(total as u64)
}

/// The fingerprints among `fingerprints` that the account already has.
pub(crate) async fn known(
    store: &SqlStore,
    account_id: &str,
    fingerprints: &[String],
) -> StoreResult<std::collections::HashSet<String>> {
    let mut known = std::collections::HashSet::new();
    for chunk in fingerprints.chunks(BATCH_ROWS) {
        let mut qb = SqlBuilder::new(store.backend, "SELECT fingerprint FROM transactions WHERE account_id = ");
        qb.push_bind(account_id.to_string()).push(" AND fingerprint IN ");
        qb.push_row(|row| {
            for f in chunk {
                row.bind(f.clone());
            }
        });
        let (sql, args) = qb.finish();
        let rows: Vec<String> = sqlx::query_scalar_with(sql, args).fetch_all(&store.pool).await?;
        known.extend(rows);
    }
    Ok(known)
}
