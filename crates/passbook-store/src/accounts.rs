use passbook_domain::Timestamp;
use passbook_domain::model::AccountId;
use passbook_domain::model::{
    Account, AccountSearch, AccountVersion, AccountWithCustomer, AuthMethod, DataKind, DataStatus, FetchFailure,
    Freshness, Identity, JobSettlement, NewAccount, NewEvent, Page, PageRequest, Settled, StoredIdentity,
};
use passbook_domain::numbers;
use passbook_domain::store::FetchUpdate;
use passbook_domain::sync::TransactionChanges;
use sqlx::{Any, FromRow, Transaction as SqlTransaction};

use crate::customers::CustomerRow;
use crate::error::{StoreError, StoreResult};
use crate::sql::SqlBuilder;
use crate::{SqlStore, events, jobs, transactions};

#[derive(FromRow)]
pub(crate) struct AccountRow {
    id: String,
    app_id: String,
    customer_id: String,
    institution_id: String,
    auth_method: String,
    connector_ref_sealed: Vec<u8>,
    name_sealed: Option<Vec<u8>>,
    account_number: String,
    currency: String,
    kind: Option<String>,
    bvn_sealed: Option<Vec<u8>>,
    balance: Option<i64>,
    data_status: String,
    retrieved_data: String,
    reference: Option<String>,
    transaction_count: i64,
    authorised_at: i64,
    needs_reauth: i64,
    created_at: i64,
    updated_at: i64,
    last_refreshed_at: Option<i64>,
    last_failed_at: Option<i64>,
    last_failure: Option<String>,
    next_refresh_at: i64,
}

const COLUMNS: &str = "a.id, a.app_id, a.customer_id, a.institution_id, a.auth_method, a.connector_ref_sealed, a.name_sealed, \
    a.account_number, a.currency, a.kind, a.bvn_sealed, a.balance, a.data_status, a.retrieved_data, a.reference, \
    a.transaction_count, a.authorised_at, a.needs_reauth, a.created_at, a.updated_at, \
    a.last_refreshed_at, a.last_failed_at, a.last_failure, a.next_refresh_at";

impl AccountRow {
    /// The row of [`COLUMNS`], read on the calling thread ([`crate::inline`]).
    fn from_inline(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            app_id: row.get(1)?,
            customer_id: row.get(2)?,
            institution_id: row.get(3)?,
            auth_method: row.get(4)?,
            connector_ref_sealed: row.get(5)?,
            name_sealed: row.get(6)?,
            account_number: row.get(7)?,
            currency: row.get(8)?,
            kind: row.get(9)?,
            bvn_sealed: row.get(10)?,
            balance: row.get(11)?,
            data_status: row.get(12)?,
            retrieved_data: row.get(13)?,
            reference: row.get(14)?,
            transaction_count: row.get(15)?,
            authorised_at: row.get(16)?,
            needs_reauth: row.get(17)?,
            created_at: row.get(18)?,
            updated_at: row.get(19)?,
            last_refreshed_at: row.get(20)?,
            last_failed_at: row.get(21)?,
            last_failure: row.get(22)?,
            next_refresh_at: row.get(23)?,
        })
    }
}

#[derive(FromRow)]
struct AccountWithCustomerRow {
    #[sqlx(flatten)]
    account: AccountRow,
    c_id: String,
    c_app_id: String,
    c_name_sealed: Vec<u8>,
    c_email_sealed: Vec<u8>,
    c_profile_sealed: Vec<u8>,
    c_created_at: i64,
}

fn ctx(column: &str, id: &str) -> String {
    format!("accounts.{column}:{id}")
}

impl SqlStore {
    fn account_from_row(&self, row: AccountRow) -> StoreResult<Account> {
        let open_opt = |sealed: Option<Vec<u8>>, column: &str| -> StoreResult<Option<String>> {
            sealed.map(|s| self.vault.open_str(&s, &ctx(column, &row.id))).transpose().map_err(Into::into)
        };
        let corrupt = |what: &str| StoreError::Corrupt(format!("account {}: {what}", row.id));
        Ok(Account {
            connector_ref: self.vault.open_str(&row.connector_ref_sealed, &ctx("connector_ref", &row.id))?,
            name: open_opt(row.name_sealed.clone(), "name")?,
            bvn: open_opt(row.bvn_sealed.clone(), "bvn")?,
            auth_method: AuthMethod::parse(&row.auth_method).ok_or_else(|| corrupt("auth_method"))?,
            data_status: DataStatus::parse(&row.data_status).ok_or_else(|| corrupt("data_status"))?,
            retrieved_data: parse_retrieved(&row.retrieved_data),
            id: row.id.into(),
            app_id: row.app_id.into(),
            customer_id: row.customer_id.into(),
            institution_id: row.institution_id,
            account_number: row.account_number,
            currency: row.currency,
            kind: row.kind,
            balance: row.balance,
            reference: row.reference,
            transaction_count: numbers::count(row.transaction_count),
            authorised_at: Timestamp(row.authorised_at),
            needs_reauth: row.needs_reauth != 0,
            freshness: FreshnessRow {
                auth_method: row.auth_method.clone(),
                needs_reauth: row.needs_reauth,
                last_refreshed_at: row.last_refreshed_at,
                last_failed_at: row.last_failed_at,
                last_failure: row.last_failure,
                next_refresh_at: row.next_refresh_at,
            }
            .freshness(),
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }
}

fn parse_retrieved(text: &str) -> Vec<DataKind> {
    text.split(',')
        .filter_map(|k| match k {
            "identity" => Some(DataKind::Identity),
            "balance" => Some(DataKind::Balance),
            "transactions" => Some(DataKind::Transactions),
            _ => None,
        })
        .collect()
}

fn format_retrieved(kinds: &[DataKind]) -> String {
    kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",")
}

pub(crate) async fn upsert_linked(
    store: &SqlStore,
    tx: &mut SqlTransaction<'static, Any>,
    new: &NewAccount,
) -> StoreResult<()> {
    crate::sql::query(
        "INSERT INTO accounts (id, app_id, customer_id, institution_id, auth_method, connector_ref_sealed, name_sealed,
                               account_number, currency, kind, data_status, retrieved_data, reference, created_at, updated_at,
                               authorised_at, next_refresh_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'PROCESSING', '', $11, $12, $12, $12,
                 $12 + (SELECT refresh_interval_hours FROM apps WHERE id = $2) * 3600000)
         ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, auth_method = excluded.auth_method,
             connector_ref_sealed = excluded.connector_ref_sealed, name_sealed = excluded.name_sealed,
             data_status = 'PROCESSING', reference = excluded.reference, updated_at = excluded.updated_at,
             authorised_at = excluded.authorised_at, needs_reauth = 0, next_refresh_at = excluded.next_refresh_at",
    )
    .bind(new.id.as_str())
    .bind(new.app_id.as_str())
    .bind(new.customer_id.as_str())
    .bind(&new.institution_id)
    .bind(new.auth_method.as_str())
    .bind(store.vault.seal_str(&new.discovered.connector_ref, &ctx("connector_ref", &new.id)))
    .bind(store.vault.seal_str(&new.discovered.name, &ctx("name", &new.id)))
    .bind(&new.discovered.account_number)
    .bind(&new.discovered.currency)
    .bind(&new.discovered.kind)
    .bind(&new.reference)
    .bind(new.created_at.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn scoped(store: &SqlStore, app_id: &str, id: &str) -> StoreResult<Option<Account>> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("SELECT {COLUMNS} FROM accounts a WHERE a.id = $1 AND a.app_id = $2"));
    let row: Option<AccountRow> = match &store.inline {
        Some(inline) => inline.read(|db| {
            use rusqlite::OptionalExtension;
            db.prepare_cached(&SQL)?.query_row((id, app_id), AccountRow::from_inline).optional()
        })?,
        None => {
            crate::sql::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
                .bind(id)
                .bind(app_id)
                .fetch_optional(&store.pool)
                .await?
        }
    };
    row.map(|r| store.account_from_row(r)).transpose()
}

/// The columns of an account's freshness, read by [`AccountRow`] and [`version`].
#[derive(FromRow)]
struct FreshnessRow {
    auth_method: String,
    needs_reauth: i64,
    last_refreshed_at: Option<i64>,
    last_failed_at: Option<i64>,
    last_failure: Option<String>,
    next_refresh_at: i64,
}

impl FreshnessRow {
    fn freshness(self) -> Freshness {
        let scheduled = self.needs_reauth == 0 && self.auth_method != AuthMethod::StatementUpload.as_str();
        Freshness {
            last_refreshed_at: self.last_refreshed_at.map(Timestamp),
            last_failed_at: self.last_failed_at.map(Timestamp),
            last_failure: self.last_failure,
            next_refresh_at: scheduled.then_some(Timestamp(self.next_refresh_at)),
        }
    }
}

#[derive(FromRow)]
struct VersionRow {
    id: String,
    updated_at: i64,
    transaction_count: i64,
    data_status: String,
    #[sqlx(flatten)]
    freshness: FreshnessRow,
}

pub(crate) async fn version(store: &SqlStore, app_id: &str, id: &str) -> StoreResult<Option<AccountVersion>> {
    const SQL: &str = "SELECT id, updated_at, transaction_count, data_status, auth_method, needs_reauth, \
        last_refreshed_at, last_failed_at, last_failure, next_refresh_at FROM accounts WHERE id = $1 AND app_id = $2";
    if let Some(kept) = store.versions.as_ref().and_then(|versions| versions.get(app_id, id)) {
        return Ok(Some(kept));
    }
    let mark = store.versions.as_ref().map(|versions| versions.mark());
    let row: Option<VersionRow> = match &store.inline {
        Some(inline) => inline.read(|db| {
            use rusqlite::OptionalExtension;
            db.prepare_cached(SQL)?
                .query_row((id, app_id), |r| {
                    Ok(VersionRow {
                        id: r.get(0)?,
                        updated_at: r.get(1)?,
                        transaction_count: r.get(2)?,
                        data_status: r.get(3)?,
                        freshness: FreshnessRow {
                            auth_method: r.get(4)?,
                            needs_reauth: r.get(5)?,
                            last_refreshed_at: r.get(6)?,
                            last_failed_at: r.get(7)?,
                            last_failure: r.get(8)?,
                            next_refresh_at: r.get(9)?,
                        },
                    })
                })
                .optional()
        })?,
        None => crate::sql::query_as(SQL).bind(id).bind(app_id).fetch_optional(&store.pool).await?,
    };
    let version: Option<AccountVersion> = row
        .map(|row| -> StoreResult<AccountVersion> {
            let data_status = DataStatus::parse(&row.data_status)
                .ok_or_else(|| StoreError::Corrupt(format!("account {}: data_status", row.id)))?;
            Ok(AccountVersion {
                id: row.id.into(),
                updated_at: Timestamp(row.updated_at),
                transaction_count: numbers::count(row.transaction_count),
                data_status,
                freshness: row.freshness.freshness(),
            })
        })
        .transpose()?;
    if let (Some(versions), Some(mark), Some(version)) = (&store.versions, mark, &version) {
        versions.keep(mark, app_id, version);
    }
    Ok(version)
}

pub(crate) async fn by_id(store: &SqlStore, id: &str) -> StoreResult<Option<Account>> {
    let row: Option<AccountRow> =
        crate::sql::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM accounts a WHERE a.id = $1")))
            .bind(id)
            .fetch_optional(&store.pool)
            .await?;
    row.map(|r| store.account_from_row(r)).transpose()
}

/// The app's accounts with this number (at most `limit`, newest first).
pub(crate) async fn with_number(
    store: &SqlStore,
    app_id: &str,
    account_number: &str,
    limit: u32,
) -> StoreResult<Vec<Account>> {
    let rows: Vec<AccountRow> = crate::sql::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts a WHERE a.app_id = $1 AND a.account_number = $2 ORDER BY a.created_at DESC LIMIT CAST($3 AS BIGINT)"
    )))
    .bind(app_id)
    .bind(account_number)
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await?;
    rows.into_iter().map(|r| store.account_from_row(r)).collect()
}

pub(crate) async fn find_id(
    store: &SqlStore,
    app_id: &str,
    customer_id: &str,
    institution_id: &str,
    account_number: &str,
) -> StoreResult<Option<AccountId>> {
    let id: Option<String> = crate::sql::query_scalar(
        "SELECT id FROM accounts WHERE app_id = $1 AND customer_id = $2 AND institution_id = $3 AND account_number = $4",
    )
    .bind(app_id)
    .bind(customer_id)
    .bind(institution_id)
    .bind(account_number)
    .fetch_optional(&store.pool)
    .await?;
    Ok(id.map(AccountId::from))
}

pub(crate) async fn list(store: &SqlStore, app_id: &str, page: PageRequest) -> StoreResult<Page<AccountWithCustomer>> {
    search(store, &AccountSearch { app_id: Some(app_id.into()), ..AccountSearch::default() }, page).await
}

/// Accounts with their customers, newest first, matching every condition of `search`.
pub(crate) async fn search(
    store: &SqlStore,
    search: &AccountSearch,
    page: PageRequest,
) -> StoreResult<Page<AccountWithCustomer>> {
    if search.customer_ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Page { items: Vec::new(), total: 0 });
    }
    let filtered = |select: &str| {
        let mut qb = SqlBuilder::new(
            store.backend,
            format!("SELECT {select} FROM accounts a JOIN customers c ON c.id = a.customer_id WHERE 1 = 1"),
        );
        if let Some(app_id) = &search.app_id {
            qb.push(" AND a.app_id = ").push_bind(app_id.to_string());
        }
        if let Some(id) = &search.id {
            qb.push(" AND (a.id = ").push_bind(id.clone()).push(" OR a.customer_id = ").push_bind(id.clone()).push(")");
        }
        if let Some(number) = &search.account_number {
            qb.push(" AND a.account_number = ").push_bind(number.clone());
        }
        if let Some(email) = &search.email {
            qb.push(" AND c.email_index = ").push_bind(store.vault.blind_index(email));
        }
        if let Some(ids) = &search.customer_ids {
            qb.push(" AND a.customer_id IN ").push_row(|row| {
                for id in ids {
                    row.bind(id.to_string());
                }
            });
        }
        qb
    };
    let (sql, args) = filtered("COUNT(*)").finish();
    let total: i64 = crate::sql::query_scalar_with(sql, args).fetch_one(&store.pool).await?;
    let mut qb = filtered(&format!(
        "{COLUMNS}, c.id AS c_id, c.app_id AS c_app_id, c.name_sealed AS c_name_sealed,
         c.email_sealed AS c_email_sealed, c.profile_sealed AS c_profile_sealed, c.created_at AS c_created_at"
    ));
    qb.push(" ORDER BY a.created_at DESC, a.id DESC").push_page(&page);
    let (sql, args) = qb.finish();
    let rows: Vec<AccountWithCustomerRow> = crate::sql::query_as_with(sql, args).fetch_all(&store.pool).await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let customer = store.customer_from_row(CustomerRow {
                id: row.c_id,
                app_id: row.c_app_id,
                name_sealed: row.c_name_sealed,
                email_sealed: row.c_email_sealed,
                profile_sealed: row.c_profile_sealed,
                created_at: row.c_created_at,
            })?;
            Ok(AccountWithCustomer { account: store.account_from_row(row.account)?, customer })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page { items, total: numbers::count(total) })
}

pub(crate) async fn identity(store: &SqlStore, account_id: &str) -> StoreResult<Option<StoredIdentity>> {
    let row: Option<(Vec<u8>, i64, i64)> =
        crate::sql::query_as("SELECT identity_sealed, created_at, updated_at FROM identities WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&store.pool)
            .await?;
    let Some((sealed, created_at, updated_at)) = row else {
        return Ok(None);
    };
    let json = store.vault.open(&sealed, &format!("identities.identity:{account_id}"))?;
    let identity = serde_json::from_slice(&json).map_err(|e| StoreError::Corrupt(format!("identity: {e}")))?;
    Ok(Some(StoredIdentity { identity, created_at: Timestamp(created_at), updated_at: Timestamp(updated_at) }))
}

/// Applies a data fetch and writes its event, in one transaction.
pub(crate) async fn save_fetch(
    store: &SqlStore,
    update: &FetchUpdate,
    changes: &TransactionChanges,
    new_events: &[NewEvent],
    settles: Option<&JobSettlement>,
) -> StoreResult<Settled> {
    let mut tx = store.write().await?;
    let id = &update.account_id;
    if !crate::sync::claim_numbers(&mut tx, id, changes).await? {
        tx.rollback().await?;
        return Ok(Settled::Raced);
    }
    if let Some(identity) = &update.identity {
        save_identity(store, &mut tx, id, identity, update.updated_at).await?;
    }
    let inserted = transactions::insert_batch(store, &mut tx, &changes.posted).await?;
    if inserted != changes.posted.len() as u64 {
        // Two new rows under one identity: saving would drop one without a word.
        return Err(StoreError::Corrupt(format!(
            "only {inserted} of {} new transactions could be stored (rows sharing an identity); nothing was saved",
            changes.posted.len()
        )));
    }
    crate::sync::write(store, &mut tx, id, changes).await?;
    if !apply_update(store, &mut tx, update, inserted).await? {
        tx.rollback().await?;
        return Ok(Settled::Relinked);
    }
    for event in new_events {
        events::insert(store, &mut tx, event).await?;
    }
    // Last, in the order every writer takes its locks (account, then the account's event
    // counter, then jobs); a worker whose job was taken over rolls all of it back.
    if let Some(settlement) = settles
        && jobs::settle(&mut tx, settlement, update.updated_at).await? == Settled::TakenOver
    {
        tx.rollback().await?;
        return Ok(Settled::TakenOver);
    }
    tx.commit().await?;
    store.forget_versions([id.as_str()]);
    tracing::debug!(account = %id, new_transactions = inserted, "fetch saved");
    Ok(Settled::Yes)
}

/// The account holder's identity, sealed, in place of the one before.
async fn save_identity(
    store: &SqlStore,
    tx: &mut SqlTransaction<'static, Any>,
    id: &str,
    identity: &Identity,
    at: Timestamp,
) -> StoreResult<()> {
    let json = serde_json::to_vec(identity).expect("identity serialises");
    crate::sql::query(
        "INSERT INTO identities (account_id, identity_sealed, created_at, updated_at) VALUES ($1, $2, $3, $3)
         ON CONFLICT (account_id) DO UPDATE SET identity_sealed = excluded.identity_sealed, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(store.vault.seal(&json, &format!("identities.identity:{id}")))
    .bind(at.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The fetch's outcome on the account row; false when the account was linked again meanwhile
/// (what the fetch read is the old link's).
async fn apply_update(
    store: &SqlStore,
    tx: &mut SqlTransaction<'static, Any>,
    update: &FetchUpdate,
    inserted: u64,
) -> StoreResult<bool> {
    let id = &update.account_id;
    let saved = crate::sql::query(
        "UPDATE accounts SET balance = COALESCE($2, balance), kind = COALESCE($3, kind), bvn_sealed = COALESCE($4, bvn_sealed),
             data_status = $5, retrieved_data = $6, transaction_count = transaction_count + $7,
             updated_at = CASE WHEN $8 > updated_at THEN $8 ELSE updated_at + 1 END,
             needs_reauth = $9, last_refreshed_at = COALESCE($10, last_refreshed_at),
             last_failed_at = COALESCE($11, last_failed_at), last_failure = COALESCE($12, last_failure),
             connector_ref_sealed = COALESCE($13, connector_ref_sealed)
         WHERE id = $1 AND authorised_at = $14",
    )
    .bind(id.as_str())
    .bind(update.balance)
    .bind(&update.kind)
    .bind(update.bvn.as_ref().map(|b| store.vault.seal_str(b, &ctx("bvn", id))))
    .bind(update.data_status.as_str())
    .bind(format_retrieved(&update.retrieved_data))
    .bind(numbers::signed(inserted))
    .bind(update.updated_at.0)
    .bind(update.needs_reauth as i64)
    .bind(update.failure.is_none().then_some(update.updated_at.0))
    .bind(update.failure.map(|_| update.updated_at.0))
    .bind(update.failure.map(FetchFailure::as_str))
    .bind(update.connector_ref.as_ref().map(|r| store.vault.seal_str(r, &ctx("connector_ref", id))))
    .bind(update.linked_at.0)
    .execute(&mut **tx)
    .await?;
    Ok(saved.rows_affected() == 1)
}

/// Everything about the account goes except the new event and an audit line. The event is
/// written last, so that no earlier event holds it back; its sequence number carries on.
pub(crate) async fn unlink(store: &SqlStore, account: &Account, event: &NewEvent, actor: &str) -> StoreResult<()> {
    let mut tx = store.write().await?;
    let id = &account.id;
    // On PostgreSQL, locks in the order every writer takes them: the account first (a fetch
    // being saved finishes before), then its events (a delivery being recorded adds an attempt
    // row under one of them: it finishes before, so its row goes too). SQLite's write lock
    // already orders everything.
    for sql in ["SELECT id FROM accounts WHERE id = $1", "SELECT id FROM events WHERE account_id = $1"] {
        crate::sql::query(sqlx::AssertSqlSafe(format!("{sql}{}", store.for_update())))
            .bind(id.as_str())
            .fetch_all(&mut *tx)
            .await?;
    }
    for table in ["transactions", "pending_transactions", "transaction_changes"] {
        crate::sql::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE account_id = $1")))
            .bind(crate::transactions::id_bytes(id)?)
            .execute(&mut *tx)
            .await?;
    }
    for sql in [
        "DELETE FROM identities WHERE account_id = $1",
        "DELETE FROM auth_codes WHERE account_id = $1",
        "DELETE FROM jobs WHERE subject = $1 OR subject IN (SELECT id FROM statements WHERE account_id = $1)",
        "DELETE FROM statements WHERE account_id = $1",
        "DELETE FROM income_records WHERE account_id = $1",
        "DELETE FROM accounts WHERE id = $1",
        "DELETE FROM delivery_attempts WHERE event_id IN (SELECT id FROM events WHERE account_id = $1)",
        "DELETE FROM events WHERE account_id = $1",
    ] {
        crate::sql::query(sql).bind(id.as_str()).execute(&mut *tx).await?;
    }
    // Written after the earlier events are gone, so nothing holds it back; its sequence number
    // carries on from theirs.
    events::insert(store, &mut tx, event).await?;
    crate::sql::query(
        "INSERT INTO audit_log (app_id, action, subject, at, actor) VALUES ($1, 'account_unlinked', $2, $3, $4)",
    )
    .bind(account.app_id.as_str())
    .bind(id.as_str())
    .bind(event.created_at.0)
    .bind(actor)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    store.forget_versions([id.as_str()]);
    Ok(())
}

/// The `AccountStore` port, on the functions above.
mod port {
    use passbook_domain::model::{
        Account, AccountVersion, AccountWithCustomer, JobSettlement, NewEvent, Page, PageRequest, Settled,
        StoredIdentity, Transaction, TransactionFilter,
    };
    use passbook_domain::model::{AccountId, AppId, CustomerId, InstitutionId};
    use passbook_domain::store::{AccountStore, FetchUpdate};
    use passbook_domain::sync::{LoggedChange, SyncState, TransactionChanges};

    crate::port::impl_port! { AccountStore {
        retried fn account(app_id: &AppId, id: &AccountId) -> Option<Account> = crate::accounts::scoped(app_id, id);
        retried fn account_version(app_id: &AppId, id: &AccountId) -> Option<AccountVersion>
            = crate::accounts::version(app_id, id);
        once fn accounts_with_number(app_id: &AppId, number: &str, limit: u32) -> Vec<Account>
            = super::with_number(app_id, number, limit);
        retried fn account_by_id(id: &AccountId) -> Option<Account> = crate::accounts::by_id(id);
        retried fn find_account_id(
            app_id: &AppId,
            customer_id: &CustomerId,
            institution_id: &InstitutionId,
            account_number: &str,
        ) -> Option<AccountId>
            = crate::accounts::find_id(app_id, customer_id, institution_id, account_number);
        retried fn list_accounts(app_id: &AppId, page: PageRequest) -> Page<AccountWithCustomer>
            = crate::accounts::list(app_id, page.clone());
        retried fn unlink_account(account: &Account, event: &NewEvent, actor: &str) -> ()
            = crate::accounts::unlink(account, event, actor);
        retried fn identity(account_id: &AccountId) -> Option<StoredIdentity> = crate::accounts::identity(account_id);
        retried fn transactions(
            account_id: &AccountId,
            filter: &TransactionFilter,
            page: PageRequest,
            total_hint: u64,
        ) -> Page<Transaction>
            = crate::transactions::page(account_id, filter, page.clone(), total_hint);
        retried fn save_fetch(
            update: &FetchUpdate,
            changes: &TransactionChanges,
            events: &[NewEvent],
            settles: Option<&JobSettlement>,
        ) -> Settled
            = crate::accounts::save_fetch(update, changes, events, settles);
        retried fn sync_state(account_id: &AccountId) -> SyncState = crate::sync::state(account_id);
        retried fn transaction_changes(account_id: &AccountId, after: u64, limit: u32) -> Vec<LoggedChange>
            = crate::sync::changes(account_id, after, limit);
        retried fn known_fingerprints(account_id: &AccountId, fingerprints: &[String]) -> std::collections::HashSet<String>
            = crate::transactions::known(account_id, fingerprints);
    }}
}
