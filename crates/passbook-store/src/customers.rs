use passbook_domain::Timestamp;
use passbook_domain::model::{Customer, CustomerProfile, Page, PageRequest};
use passbook_domain::numbers;
use passbook_domain::store::CustomerDeleted;
use sqlx::{Any, FromRow, Transaction};

use crate::SqlStore;
use crate::error::{StoreError, StoreResult, is_unique_violation};

#[derive(FromRow)]
pub(crate) struct CustomerRow {
    pub id: String,
    pub app_id: String,
    pub name_sealed: Vec<u8>,
    pub email_sealed: Vec<u8>,
    pub profile_sealed: Vec<u8>,
    pub created_at: i64,
}

pub(crate) const COLUMNS: &str = "id, app_id, name_sealed, email_sealed, profile_sealed, created_at";

fn ctx(column: &str, id: &str) -> String {
    format!("customers.{column}:{id}")
}

impl SqlStore {
    pub(crate) fn customer_from_row(&self, row: CustomerRow) -> StoreResult<Customer> {
        let profile = self.vault.open(&row.profile_sealed, &ctx("profile", &row.id))?;
        Ok(Customer {
            name: self.vault.open_str(&row.name_sealed, &ctx("name", &row.id))?,
            email: self.vault.open_str(&row.email_sealed, &ctx("email", &row.id))?,
            profile: serde_json::from_slice::<CustomerProfile>(&profile)
                .map_err(|e| StoreError::Corrupt(format!("customer profile: {e}")))?,
            id: row.id.into(),
            app_id: row.app_id.into(),
            created_at: Timestamp(row.created_at),
        })
    }
}

fn sealed_profile(store: &SqlStore, customer: &Customer) -> Vec<u8> {
    let json = serde_json::to_vec(&customer.profile).expect("profile serialises");
    store.vault.seal(&json, &ctx("profile", &customer.id))
}

async fn insert(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    c: &Customer,
    or_ignore: bool,
) -> sqlx::Result<()> {
    let sql = if or_ignore {
        "INSERT INTO customers (id, app_id, email_index, name_sealed, email_sealed, profile_sealed, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"
    } else {
        "INSERT INTO customers (id, app_id, email_index, name_sealed, email_sealed, profile_sealed, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    };
    crate::sql::query(sql)
        .bind(c.id.as_str())
        .bind(c.app_id.as_str())
        .bind(store.vault.blind_index(&c.email))
        .bind(store.vault.seal_str(&c.name, &ctx("name", &c.id)))
        .bind(store.vault.seal_str(&c.email, &ctx("email", &c.id)))
        .bind(sealed_profile(store, c))
        .bind(c.created_at.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The app's customer with this customer's e-mail, created from it if there is none.
pub(crate) async fn insert_or_find_by_email(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    customer: &Customer,
) -> StoreResult<Customer> {
    insert(store, tx, customer, true).await?;
    let row: CustomerRow = crate::sql::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM customers WHERE app_id = $1 AND email_index = $2"
    )))
    .bind(customer.app_id.as_str())
    .bind(store.vault.blind_index(&customer.email))
    .fetch_one(&mut **tx)
    .await?;
    store.customer_from_row(row)
}

pub(crate) async fn by_email_or_new(store: &SqlStore, customer: &Customer) -> StoreResult<Customer> {
    let mut tx = store.write().await?;
    let stored = insert_or_find_by_email(store, &mut tx, customer).await?;
    tx.commit().await?;
    Ok(stored)
}

/// False when the app has a customer with this e-mail already.
pub(crate) async fn create(store: &SqlStore, customer: &Customer) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    match insert(store, &mut tx, customer, false).await {
        Err(e) if is_unique_violation(&e) => {
            tx.rollback().await?;
            return Ok(false);
        }
        other => other?,
    }
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn get(store: &SqlStore, app_id: &str, id: &str) -> StoreResult<Option<Customer>> {
    let row: Option<CustomerRow> = crate::sql::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM customers WHERE app_id = $1 AND id = $2"
    )))
    .bind(app_id)
    .bind(id)
    .fetch_optional(&store.pool)
    .await?;
    row.map(|r| store.customer_from_row(r)).transpose()
}

pub(crate) async fn update(store: &SqlStore, c: &Customer) -> StoreResult<()> {
    crate::sql::query("UPDATE customers SET name_sealed = $3, profile_sealed = $4 WHERE app_id = $1 AND id = $2")
        .bind(c.app_id.as_str())
        .bind(c.id.as_str())
        .bind(store.vault.seal_str(&c.name, &ctx("name", &c.id)))
        .bind(sealed_profile(store, c))
        .execute(&store.pool)
        .await?;
    Ok(())
}

pub(crate) async fn list(store: &SqlStore, app_id: &str, page: PageRequest) -> StoreResult<Page<Customer>> {
    let total: i64 = crate::sql::query_scalar("SELECT COUNT(*) FROM customers WHERE app_id = $1")
        .bind(app_id)
        .fetch_one(&store.pool)
        .await?;
    let rows: Vec<CustomerRow> = crate::sql::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM customers WHERE app_id = $1 ORDER BY created_at DESC, id DESC LIMIT CAST($2 AS BIGINT) OFFSET $3"
    )))
    .bind(app_id)
    .bind(page.limit.map_or(i64::MAX, numbers::signed))
    .bind(numbers::signed(page.offset()))
    .fetch_all(&store.pool)
    .await?;
    let items = rows.into_iter().map(|r| store.customer_from_row(r)).collect::<StoreResult<_>>()?;
    Ok(Page { items, total: numbers::count(total) })
}

/// The most recent customers of every app.
pub(crate) async fn recent(store: &SqlStore, limit: u32) -> StoreResult<Vec<Customer>> {
    let rows: Vec<CustomerRow> = crate::sql::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM customers ORDER BY created_at DESC, id DESC LIMIT CAST($1 AS BIGINT)"
    )))
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await?;
    rows.into_iter().map(|r| store.customer_from_row(r)).collect()
}

pub(crate) async fn delete(store: &SqlStore, app_id: &str, id: &str) -> StoreResult<CustomerDeleted> {
    let mut tx = store.write().await?;
    let accounts: i64 =
        crate::sql::query_scalar("SELECT COUNT(*) FROM accounts WHERE app_id = $1 AND customer_id = $2")
            .bind(app_id)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if accounts > 0 {
        tx.rollback().await?;
        return Ok(CustomerDeleted::HasAccounts(numbers::count(accounts)));
    }
    for table in ["link_sessions", "simplefin_access"] {
        crate::sql::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE app_id = $1 AND customer_id = $2")))
            .bind(app_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let deleted = crate::sql::query("DELETE FROM customers WHERE app_id = $1 AND id = $2")
        .bind(app_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(if deleted.rows_affected() == 1 { CustomerDeleted::Deleted } else { CustomerDeleted::NotFound })
}

/// The `CustomerStore` port, on the functions above.
mod port {
    use passbook_domain::model::{AppId, CustomerId};
    use passbook_domain::model::{Customer, Page, PageRequest};
    use passbook_domain::store::{CustomerDeleted, CustomerStore};

    crate::port::impl_port! { CustomerStore {
        retried fn customer(app_id: &AppId, id: &CustomerId) -> Option<Customer> = crate::customers::get(app_id, id);
        retried fn insert_customer(customer: &Customer) -> bool = crate::customers::create(customer);
        retried fn customer_by_email_or_new(customer: &Customer) -> Customer
            = crate::customers::by_email_or_new(customer);
        retried fn update_customer(customer: &Customer) -> () = crate::customers::update(customer);
        retried fn list_customers(app_id: &AppId, page: PageRequest) -> Page<Customer>
            = crate::customers::list(app_id, page.clone());
        retried fn delete_customer(app_id: &AppId, id: &CustomerId) -> CustomerDeleted = crate::customers::delete(app_id, id);
    }}
}
