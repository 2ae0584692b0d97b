//! Passbook's storage: the domain's [`Store`](passbook_domain::Store) port on SQLite.
//!
//! SQL is written in the subset SQLite and PostgreSQL share (`$N` placeholders,
//! `ON CONFLICT`, `RETURNING`), so that a PostgreSQL backend can run the same statements.
//! Personal data and secrets are sealed with the [`Vault`] before they reach a row.
mod accounts;
mod apps;
mod customers;
mod error;
mod events;
mod income;
mod jobs;
mod links;
mod rekey;
mod statements;
mod transactions;

use std::str::FromStr;
use std::time::Duration;

use passbook_domain::Vault;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub use error::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Storage on one SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    vault: Vault,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url`, e.g. `sqlite://passbook.db`.
    pub async fn connect(url: &str, vault: Vault) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        Ok(Self { pool, vault })
    }

    /// Applies the migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        SQLITE_MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction that takes the write lock at once, so that two writers never
    /// deadlock upgrading from a read lock.
    async fn write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

mod port {
    use async_trait::async_trait;
    use passbook_domain::model::*;
    use passbook_domain::store::FetchUpdate;
    use passbook_domain::{Result, Store, Timestamp};

    use super::{SqliteStore, accounts, apps, customers, events, income, jobs, links, statements, transactions};

    #[async_trait]
    impl Store for SqliteStore {
        async fn insert_app(&self, app: &App) -> Result<()> {
            Ok(apps::insert(self, app).await?)
        }

        async fn list_apps(&self) -> Result<Vec<App>> {
            Ok(apps::list(self).await?)
        }

        async fn app(&self, id: &str) -> Result<Option<App>> {
            Ok(apps::by_column(self, "id", id).await?)
        }

        async fn app_by_secret_hash(&self, hash: &str) -> Result<Option<App>> {
            Ok(apps::by_column(self, "secret_key_hash", hash).await?)
        }

        async fn set_webhook_url(&self, app_id: &str, url: Option<&str>) -> Result<bool> {
            Ok(apps::set_webhook_url(self, app_id, url).await?)
        }

        async fn rotate_webhook_secret(&self, app_id: &str, secret: &str, overlap_until: Timestamp) -> Result<bool> {
            Ok(apps::rotate_secret(self, app_id, secret, overlap_until).await?)
        }

        async fn customer(&self, app_id: &str, id: &str) -> Result<Option<Customer>> {
            Ok(customers::get(self, app_id, id).await?)
        }

        async fn insert_customer(&self, customer: &Customer) -> Result<()> {
            customers::create(self, customer).await
        }

        async fn update_customer(&self, customer: &Customer) -> Result<()> {
            Ok(customers::update(self, customer).await?)
        }

        async fn list_customers(&self, app_id: &str, page: PageRequest) -> Result<Page<Customer>> {
            Ok(customers::list(self, app_id, page).await?)
        }

        async fn delete_customer(&self, app_id: &str, id: &str) -> Result<bool> {
            customers::delete(self, app_id, id).await
        }

        async fn create_link_session(&self, customer: &Customer, session: &LinkSession) -> Result<Customer> {
            links::create_session(self, customer, session).await
        }

        async fn link_session(&self, id: &str) -> Result<Option<LinkSession>> {
            Ok(links::session(self, id).await?)
        }

        async fn save_link_session(&self, session: &LinkSession) -> Result<()> {
            links::save_session(self, session).await
        }

        async fn complete_link_session(
            &self,
            session: &LinkSession,
            accounts: &[NewAccount],
            events: &[NewEvent],
            jobs: &[NewJob],
            code: Option<&NewAuthCode>,
        ) -> Result<()> {
            links::complete_session(self, session, accounts, events, jobs, code).await
        }

        async fn save_link_flow(&self, session: &LinkSession) -> Result<()> {
            Ok(links::save_flow(self, session).await?)
        }

        async fn exchange_auth_code(
            &self,
            app_id: &str,
            code_hash: &str,
            now: Timestamp,
        ) -> Result<std::result::Result<String, CodeRefusal>> {
            Ok(links::exchange_code(self, app_id, code_hash, now).await?)
        }

        async fn app_by_public_key(&self, key: &str) -> Result<Option<App>> {
            Ok(apps::by_column(self, "public_key", key).await?)
        }

        async fn account(&self, app_id: &str, id: &str) -> Result<Option<Account>> {
            Ok(accounts::scoped(self, app_id, id).await?)
        }

        async fn account_by_id(&self, id: &str) -> Result<Option<Account>> {
            Ok(accounts::by_id(self, id).await?)
        }

        async fn find_account_id(
            &self,
            app_id: &str,
            customer_id: &str,
            institution_id: &str,
            account_number: &str,
        ) -> Result<Option<String>> {
            Ok(accounts::find_id(self, app_id, customer_id, institution_id, account_number).await?)
        }

        async fn list_accounts(&self, app_id: &str, page: PageRequest) -> Result<Page<(Account, Customer)>> {
            Ok(accounts::list(self, app_id, page).await?)
        }

        async fn unlink_account(&self, account: &Account, event: &NewEvent) -> Result<()> {
            Ok(accounts::unlink(self, account, event).await?)
        }

        async fn identity(&self, account_id: &str) -> Result<Option<StoredIdentity>> {
            Ok(accounts::identity(self, account_id).await?)
        }

        async fn transactions(
            &self,
            account_id: &str,
            filter: &TransactionFilter,
            page: PageRequest,
            total_hint: u64,
        ) -> Result<Page<Transaction>> {
            Ok(transactions::page(self, account_id, filter, page, total_hint).await?)
        }

        async fn save_fetch(
            &self,
            update: &FetchUpdate,
            transactions: &[Transaction],
            events: &[NewEvent],
        ) -> Result<u64> {
            Ok(accounts::save_fetch(self, update, transactions, events).await?)
        }

        async fn known_fingerprints(
            &self,
            account_id: &str,
            fingerprints: &[String],
        ) -> Result<std::collections::HashSet<String>> {
            Ok(transactions::known(self, account_id, fingerprints).await?)
        }

        async fn claim_jobs(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> Result<Vec<Job>> {
            Ok(jobs::claim(self, now, lease_until, limit).await?)
        }

        async fn finish_job(&self, id: &str, at: Timestamp, outcome: Option<&str>) -> Result<()> {
            Ok(jobs::finish(self, id, at, outcome).await?)
        }

        async fn insert_job(&self, job: &NewJob) -> Result<()> {
            Ok(jobs::insert_alone(self, job).await?)
        }

        async fn job(&self, account_id: &str, id: &str) -> Result<Option<JobRecord>> {
            Ok(jobs::one(self, account_id, id).await?)
        }

        async fn latest_realtime_job(&self, account_id: &str, since: Timestamp) -> Result<Option<JobRecord>> {
            Ok(jobs::latest_realtime(self, account_id, since).await?)
        }

        async fn schedule_refreshes(&self, now: Timestamp, limit: u32) -> Result<u64> {
            Ok(jobs::schedule_refreshes(self, now, limit).await?)
        }

        async fn insert_income_record(
            &self,
            app_id: &str,
            record: &passbook_domain::services::IncomeRecord,
            event: &NewEvent,
        ) -> Result<()> {
            Ok(income::insert(self, app_id, record, event).await?)
        }

        async fn income_records(
            &self,
            app_id: &str,
            account_id: &str,
            page: PageRequest,
        ) -> Result<Page<passbook_domain::services::IncomeRecord>> {
            Ok(income::list(self, app_id, account_id, page).await?)
        }

        async fn insert_statement(&self, statement: &StatementJob, job: &NewJob) -> Result<()> {
            Ok(statements::insert(self, statement, job).await?)
        }

        async fn statement(&self, app_id: &str, account_id: &str, id: &str) -> Result<Option<StatementJob>> {
            Ok(statements::get(self, app_id, account_id, id).await?)
        }

        async fn statement_by_id(&self, id: &str) -> Result<Option<StatementJob>> {
            Ok(statements::by_id(self, id).await?)
        }

        async fn finish_statement(&self, id: &str, pdf: Option<&[u8]>, at: Timestamp) -> Result<()> {
            Ok(statements::finish(self, id, pdf, at).await?)
        }

        async fn statement_pdf(&self, id: &str) -> Result<Option<Vec<u8>>> {
            Ok(statements::pdf(self, id).await?)
        }

        async fn set_refresh_interval(&self, app_id: &str, hours: u32) -> Result<bool> {
            Ok(apps::set_refresh_interval(self, app_id, hours).await?)
        }

        async fn retry_job(&self, id: &str, at: Timestamp, error: &str) -> Result<()> {
            Ok(jobs::retry(self, id, at, error).await?)
        }

        async fn fail_job(&self, id: &str, at: Timestamp, error: &str) -> Result<()> {
            Ok(jobs::fail(self, id, at, error).await?)
        }

        async fn claim_events(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> Result<Vec<PendingEvent>> {
            Ok(events::claim(self, now, lease_until, limit).await?)
        }

        async fn record_delivery(
            &self,
            event_id: &str,
            attempt: &DeliveryAttempt,
            outcome: &DeliveryOutcome,
        ) -> Result<()> {
            Ok(events::record(self, event_id, attempt, outcome).await?)
        }

        async fn insert_event(&self, event: &NewEvent) -> Result<()> {
            Ok(events::insert_alone(self, event).await?)
        }

        async fn list_events(
            &self,
            app_id: &str,
            filter: &EventFilter,
            page: PageRequest,
        ) -> Result<Page<StoredEvent>> {
            Ok(events::list(self, app_id, filter, page).await?)
        }

        async fn event(&self, app_id: &str, id: &str) -> Result<Option<(StoredEvent, Vec<DeliveryAttempt>)>> {
            Ok(events::one(self, app_id, id).await?)
        }

        async fn replay_events(
            &self,
            app_id: &str,
            id: Option<&str>,
            filter: &EventFilter,
            now: Timestamp,
        ) -> Result<u64> {
            Ok(events::replay(self, app_id, id, filter, now).await?)
        }

        async fn event_counts(&self) -> Result<Vec<(EventStatus, u64)>> {
            Ok(events::counts(self).await?)
        }
    }
}
