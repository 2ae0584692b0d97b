//! Passbook's storage: the domain's [`Store`](passbook_domain::Store) port on SQLite (the
//! embedded default) or PostgreSQL, chosen by the database URL.
//!
//! One SQL text serves both: statements use the subset the two share (`$N` placeholders,
//! `ON CONFLICT`, `RETURNING`, window functions, row comparisons) and the schema uses only
//! integers, text and bytes, so they run through sqlx's `Any` driver unchanged. The few places
//! where the dialects differ ask [`Backend`]. Each backend has its own migrations, kept in step
//! by a test. Personal data and secrets are sealed with the [`Vault`] before they reach a row.
//!
//! Statements with `RETURNING` are always read with `fetch_all`: SQLite holds the write lock
//! until such a statement has stepped to its end, which `fetch_optional` does not do.
mod accounts;
mod apps;
mod customers;
mod error;
mod events;
mod idempotency;
mod income;
mod jobs;
mod links;
mod rekey;
mod sql;
mod statements;
mod transactions;

use std::time::Duration;

use passbook_domain::Vault;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};

pub use error::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Creates a new SQLite database file readable by its owner only, before SQLite creates it
/// with the process's umask (its `-wal` and `-shm` files take the same permissions). The file
/// holds bank data.
fn create_private_sqlite_file(url: &str) -> Result<(), StoreError> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or_default();
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') || std::path::Path::new(path).exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Setup(format!("cannot create the database file {path}: {e}"))),
    }
}

/// Work that runs one transaction at a time over all processes (PostgreSQL advisory locks).
#[derive(Debug, Clone, Copy)]
enum LockName {
    EventClaim = 0x7062_0001,
    JobClaim = 0x7062_0002,
}

/// Connection settings an operator tunes.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    /// PostgreSQL only: statements running longer are cancelled.
    pub statement_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self { max_connections: 8, statement_timeout: Duration::from_secs(30) }
    }
}

/// Storage on SQLite or PostgreSQL.
#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    vault: Vault,
}

impl SqlStore {
    /// Connects to `url` (`sqlite://passbook.db`, created if missing, or `postgres://…`).
    pub async fn connect(url: &str, vault: Vault, options: &DbOptions) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            StoreError::Setup(format!("unsupported database URL '{url}': use sqlite://… or postgres://…"))
        })?;
        if backend == Backend::Sqlite {
            create_private_sqlite_file(url)?;
        }
        let (url, timeout_ms) = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                (format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' }), 0)
            }
            _ => (url.to_string(), options.statement_timeout.as_millis()),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                        }
                        Backend::Postgres => {
                            // JIT compiling costs more than these short OLTP statements take.
                            let settings = format!("SET statement_timeout = {timeout_ms}; SET jit = off");
                            conn.execute(sqlx::AssertSqlSafe(settings)).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Self { pool, backend, vault })
    }

    /// Applies the migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// The versions of this build's migrations that the database has not applied; an error
    /// when the database does not answer.
    pub async fn pending_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&self.pool)
            .await
            .or_else(|e| match &e {
                // No migrations table yet: nothing applied.
                sqlx::Error::Database(_) => Ok(Vec::new()),
                _ => Err(e),
            })?;
        Ok(migrator.iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A write transaction. On SQLite it takes the write lock at once, so that two writers
    /// never deadlock upgrading from a read lock.
    async fn write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// ` FOR UPDATE` where the backend has row locks (SQLite's write lock covers the database).
    fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Runs a claiming statement so that claims of the same `lock` take turns across processes:
    /// on PostgreSQL inside a transaction that holds an advisory lock; on SQLite one statement
    /// already holds the database's write lock, and nothing is held across an `await`.
    async fn fetch_serialised<'q, R>(
        &self,
        lock: LockName,
        query: sqlx::query::QueryAs<'q, Any, R, sqlx::any::AnyArguments>,
    ) -> Result<Vec<R>, StoreError>
    where
        R: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        match self.backend {
            Backend::Sqlite => Ok(query.fetch_all(&self.pool).await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)::text").bind(lock as i64).fetch_one(&mut *tx).await?;
                let rows = query.fetch_all(&mut *tx).await?;
                tx.commit().await?;
                Ok(rows)
            }
        }
    }

    /// `FOR UPDATE SKIP LOCKED` where the backend has it: concurrent claimers pass over rows
    /// another transaction is claiming instead of waiting for them.
    fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

mod port {
    use async_trait::async_trait;
    use passbook_domain::model::*;
    use passbook_domain::store::{
        CustomerDeleted, FetchUpdate, IdempotencyClaim, SessionCreated, SessionSaved, StoredAnswer,
    };
    use passbook_domain::{Result, Store, Timestamp};

    use super::{
        SqlStore, accounts, apps, customers, events, idempotency, income, jobs, links, statements, transactions,
    };

    #[async_trait]
    impl Store for SqlStore {
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

        async fn insert_customer(&self, customer: &Customer) -> Result<bool> {
            Ok(customers::create(self, customer).await?)
        }

        async fn update_customer(&self, customer: &Customer) -> Result<()> {
            Ok(customers::update(self, customer).await?)
        }

        async fn list_customers(&self, app_id: &str, page: PageRequest) -> Result<Page<Customer>> {
            Ok(customers::list(self, app_id, page).await?)
        }

        async fn delete_customer(&self, app_id: &str, id: &str) -> Result<CustomerDeleted> {
            Ok(customers::delete(self, app_id, id).await?)
        }

        async fn create_link_session(
            &self,
            customer: &Customer,
            session: &LinkSession,
            join_by_email: bool,
        ) -> Result<SessionCreated> {
            Ok(links::create_session(self, customer, session, join_by_email).await?)
        }

        async fn link_session(&self, id: &str) -> Result<Option<LinkSession>> {
            Ok(links::session(self, id).await?)
        }

        async fn save_link_session(&self, session: &mut LinkSession) -> Result<SessionSaved> {
            Ok(links::save_session(self, session).await?)
        }

        async fn complete_link_session(
            &self,
            session: &mut LinkSession,
            accounts: &[NewAccount],
            events: &[NewEvent],
            jobs: &[NewJob],
            code: Option<&NewAuthCode>,
        ) -> Result<SessionSaved> {
            Ok(links::complete_session(self, session, accounts, events, jobs, code).await?)
        }

        async fn take_widget_messages(&self, session_id: &str) -> Result<Vec<WidgetEvent>> {
            Ok(links::take_messages(self, session_id).await?)
        }

        async fn count_link_attempt(&self, session_id: &str, kind: AttemptKind, max: u32) -> Result<Option<u32>> {
            Ok(links::count_attempt(self, session_id, kind, max).await?)
        }

        async fn refund_link_attempt(&self, session_id: &str, kind: AttemptKind) -> Result<()> {
            Ok(links::refund_attempt(self, session_id, kind).await?)
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
            settles: Option<&JobSettlement>,
        ) -> Result<Settled> {
            Ok(accounts::save_fetch(self, update, transactions, events, settles).await?)
        }

        async fn known_fingerprints(
            &self,
            account_id: &str,
            fingerprints: &[String],
        ) -> Result<std::collections::HashSet<String>> {
            Ok(transactions::known(self, account_id, fingerprints).await?)
        }

        async fn claim_jobs(
            &self,
            now: Timestamp,
            lease_until: Timestamp,
            limit: u32,
            per_app: u32,
        ) -> Result<Vec<Job>> {
            Ok(jobs::claim(self, now, lease_until, limit, per_app).await?)
        }

        async fn extend_job_lease(&self, id: &str, attempt: u32, until: Timestamp) -> Result<bool> {
            Ok(jobs::extend_lease(self, id, attempt, until).await?)
        }

        async fn pending_jobs(&self, app_id: &str) -> Result<u64> {
            Ok(jobs::pending_count(self, app_id).await?)
        }

        async fn settle_job(&self, settlement: &JobSettlement, at: Timestamp) -> Result<Settled> {
            Ok(jobs::settle_alone(self, settlement, at).await?)
        }

        async fn insert_job(&self, job: &NewJob) -> Result<String> {
            Ok(jobs::insert_alone(self, job).await?)
        }

        async fn job(&self, account_id: &str, id: &str) -> Result<Option<JobRecord>> {
            Ok(jobs::one(self, account_id, id).await?)
        }

        async fn insert_realtime_job(&self, job: &NewJob, since: Timestamp) -> Result<String> {
            Ok(jobs::insert_realtime(self, job, since).await?)
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

        async fn insert_statement(&self, statement: &StatementJob, job: &NewJob) -> Result<StatementJob> {
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

        async fn retry_job(&self, id: &str, attempt: u32, at: Timestamp, error: &str) -> Result<Settled> {
            Ok(jobs::retry(self, id, attempt, at, error).await?)
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

        async fn begin_idempotent(
            &self,
            app_id: &str,
            key: &str,
            request_hash: &str,
            now: Timestamp,
            lock_until: Timestamp,
            expired_before: Timestamp,
        ) -> Result<IdempotencyClaim> {
            Ok(idempotency::begin(self, app_id, key, request_hash, now, lock_until, expired_before).await?)
        }

        async fn finish_idempotent(&self, app_id: &str, key: &str, answer: Option<&StoredAnswer>) -> Result<()> {
            Ok(idempotency::finish(self, app_id, key, answer).await?)
        }

        async fn pending_migrations(&self) -> Result<Vec<i64>> {
            Ok(SqlStore::pending_migrations(self).await?)
        }

        async fn event_counts(&self) -> Result<Vec<(EventStatus, u64)>> {
            Ok(events::counts(self).await?)
        }
    }
}
