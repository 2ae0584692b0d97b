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
mod budgets;
mod connector_settings;
mod console;
mod customers;
mod error;
mod events;
mod fair_claim;
mod idempotency;
mod imports;
mod income;
mod inline;
mod jobs;
mod link_state;
mod links;
mod operators;
#[cfg(test)]
mod own_writes_tests;
mod port;
mod rekey;
mod shares;
mod sql;
mod statements;
mod sync;
mod transactions;
mod versions;

use std::sync::Arc;
use std::time::Duration;

use passbook_domain::Vault;
use passbook_domain::numbers;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};

pub use error::StoreError;

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

/// `url` with `parameter` added to its query string.
fn with_query(url: &str, parameter: &str) -> String {
    format!("{url}{}{parameter}", if url.contains('?') { '&' } else { '?' })
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
    LoginAttempts = 0x7062_0003,
}

/// Connection settings an operator tunes.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    /// PostgreSQL only: statements running longer are cancelled.
    pub statement_timeout: Duration,
    /// How long a request waits for a connection before it is answered 503: with the database
    /// gone, requests fail fast instead of queueing.
    pub acquire_timeout: Duration,
    /// PostgreSQL only: prepare statements once per connection and reuse them (fastest). Off
    /// behind a pooler in transaction mode (pgbouncer before 1.21), where a connection's
    /// prepared statements may be on another server connection.
    pub prepared_statements: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            statement_timeout: Duration::from_secs(30),
            acquire_timeout: Duration::from_secs(3),
            prepared_statements: true,
        }
    }
}

/// Connections made before the store last met a stale one (a standby behind the proxy, a
/// server that went away) are closed rather than used again: after a failover the whole pool
/// moves to the new primary, not only the connection that failed.
#[derive(Debug)]
struct Staleness {
    epoch: std::time::Instant,
    /// Milliseconds after `epoch` of the last stale connection met (0: none).
    marked_at: std::sync::atomic::AtomicU64,
}

impl Staleness {
    fn new() -> Self {
        Self { epoch: std::time::Instant::now(), marked_at: Default::default() }
    }

    fn mark(&self) {
        let now = numbers::millis_u64(self.epoch.elapsed()) + 1;
        self.marked_at.fetch_max(now, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a connection of this age was made before the last mark.
    fn is_stale(&self, age: Duration) -> bool {
        let marked = self.marked_at.load(std::sync::atomic::Ordering::Relaxed);
        let made = numbers::millis_u64(self.epoch.elapsed().saturating_sub(age));
        marked > 0 && made < marked
    }
}

/// A connection idle this long has its server's role checked before it is used again (a
/// switchover may have happened meanwhile).
const ROLE_CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Storage on SQLite or PostgreSQL.
#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    vault: Vault,
    /// The API's hottest reads on a SQLite file, run on the calling thread.
    inline: Option<Arc<inline::InlineReads>>,
    staleness: Arc<Staleness>,
    /// Behind a pooler in transaction mode: no statement is prepared, and each transaction is
    /// begun and ended where the pooler can see it.
    pooler: bool,
    /// Account versions kept, forgotten as changes are announced (PostgreSQL) or seen in the
    /// WAL-index (SQLite).
    versions: Option<Arc<versions::VersionCache>>,
}

/// Whether a pooled connection may be handed out: not from before a failover, not (after a
/// while idle) one that leads to a standby; behind a pooler, it gets its transaction here.
async fn fit_for_use(
    conn: &mut sqlx::AnyConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
    stale: Arc<Staleness>,
    backend: Backend,
    pooler: bool,
) -> sqlx::Result<bool> {
    if stale.is_stale(meta.age) {
        return Ok(false);
    }
    if pooler {
        conn.execute("BEGIN").await?;
    }
    if backend == Backend::Postgres && meta.idle_for >= ROLE_CHECK_AFTER_IDLE {
        let standby: bool = crate::sql::query_scalar("SELECT pg_is_in_recovery()").fetch_one(conn).await?;
        if standby {
            tracing::warn!("a pooled connection leads to a standby; the pool reconnects");
            stale.mark();
            return Ok(false);
        }
    }
    Ok(true)
}

/// Each new pooled connection's settings.
async fn set_up(conn: &mut sqlx::AnyConnection, backend: Backend, timeout_ms: u128, pooler: bool) -> sqlx::Result<()> {
    match backend {
        Backend::Sqlite => {
            // The busy timeout first: setting the journal mode may wait for another process's
            // write (the CLI beside a server), and before the timeout is set SQLite would refuse
            // at once ("database is locked").
            conn.execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .await?;
        }
        Backend::Postgres => {
            // JIT compiling costs more than these short OLTP statements take.
            let settings = format!("SET statement_timeout = {timeout_ms}; SET jit = off");
            conn.execute(sqlx::AssertSqlSafe(settings)).await?;
            if pooler {
                conn.execute("BEGIN").await?;
            }
        }
    }
    Ok(())
}

impl SqlStore {
    /// Connects to `url` (`sqlite://passbook.db`, created if missing, or `postgres://…`).
    pub async fn connect(url: &str, vault: Vault, options: &DbOptions) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            StoreError::Setup(format!("unsupported database URL '{url}': use sqlite://… or postgres://…"))
        })?;
        let mut inline = None;
        if backend == Backend::Sqlite {
            create_private_sqlite_file(url)?;
            inline = inline::InlineReads::for_url(url).map(Arc::new);
        }
        let (url, timeout_ms) = match backend {
            Backend::Sqlite if !url.contains("mode=") => (with_query(url, "mode=rwc"), 0),
            _ => (url.to_string(), options.statement_timeout.as_millis()),
        };
        // Behind a pooler in transaction mode, a server connection is a client's only inside a
        // transaction, and sqlx parses a statement and runs it in two exchanges: each use of a
        // pooled connection runs in a transaction of its own (opened when it is handed out,
        // committed when it comes back; the store's own transactions nest in it harmlessly),
        // with unnamed statements.
        let pooler = backend == Backend::Postgres && !options.prepared_statements;
        if pooler {
            sql::set_prepared_statements(false);
        }
        let staleness = Arc::new(Staleness::new());
        let stale = staleness.clone();
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .before_acquire(move |conn, meta| Box::pin(fit_for_use(conn, meta, stale.clone(), backend, pooler)))
            .after_release(move |conn, _| {
                Box::pin(async move {
                    // COMMIT also ends a transaction that a failed statement aborted.
                    Ok(!pooler || conn.execute("COMMIT").await.is_ok())
                })
            })
            .after_connect(move |conn, _| Box::pin(set_up(conn, backend, timeout_ms, pooler)))
            .connect(&url)
            .await?;
        let versions = versions::VersionCache::for_store(backend, pooler, url, inline.as_deref());
        Ok(Self { pool, backend, vault, inline, staleness, pooler, versions })
    }

    /// Whether the database takes writes: PostgreSQL not in recovery (SQLite always does).
    pub async fn accepts_writes(&self) -> Result<bool, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(true),
            Backend::Postgres => {
                let standby: bool =
                    crate::sql::query_scalar("SELECT pg_is_in_recovery()").fetch_one(&self.pool).await?;
                if standby {
                    self.staleness.mark();
                }
                Ok(!standby)
            }
        }
    }

    /// Applies the migrations that have not run yet. With `lock`, PostgreSQL's advisory lock
    /// makes processes that start together apply them once; on engines without advisory locks
    /// (some distributed ones) run `passbook migrate --no-lock` from one process instead.
    pub async fn migrate(&self, lock: bool) -> Result<(), StoreError> {
        let mut migrator = self.migrator();
        migrator.set_locking(lock);
        migrator.run(&self.pool).await?;
        Ok(())
    }

    fn migrator(&self) -> sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        }
    }

    /// The versions of this build's migrations that the database has not applied; an error
    /// when the database does not answer.
    pub async fn pending_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let migrator = self.migrator();
        let applied: Vec<i64> = crate::sql::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
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
        match self.backend {
            Backend::Sqlite => {
                // Another process on the file (the CLI beside a server) can make SQLite answer
                // "database is locked" at once, without waiting out busy_timeout (a WAL
                // checkpoint in progress); such a refusal is retried, for about as long as
                // busy_timeout would have waited.
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                loop {
                    match self.pool.begin_with("BEGIN IMMEDIATE").await {
                        Err(sqlx::Error::Database(e))
                            if e.message().contains("locked") && std::time::Instant::now() < deadline =>
                        {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                        other => return Ok(other?),
                    }
                }
            }
            Backend::Postgres => Ok(self.pool.begin().await?),
        }
    }

    /// ` FOR UPDATE` where the backend has row locks (SQLite's write lock covers the database).
    fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Waits in `tx` for the turn named `lock`, which is this transaction's until it ends. On
    /// SQLite a write transaction's lock is every turn already.
    async fn take_turn(&self, tx: &mut Transaction<'static, Any>, lock: LockName) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            crate::sql::query("SELECT pg_advisory_xact_lock($1)::text").bind(lock as i64).fetch_one(&mut **tx).await?;
        }
        Ok(())
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
                self.take_turn(&mut tx, lock).await?;
                let rows = query.fetch_all(&mut *tx).await?;
                tx.commit().await?;
                Ok(rows)
            }
        }
    }

    /// After this process committed changes to these accounts: their kept versions go at once.
    /// The announcement of the change reaches this process too, but the writer's next read may
    /// come before it and must not answer what it has just changed.
    fn forget_versions<'a>(&self, account_ids: impl IntoIterator<Item = &'a str>) {
        if let Some(versions) = &self.versions {
            account_ids.into_iter().for_each(|id| versions.forget(id));
        }
    }

    /// [`Self::forget_versions`] for every account of the app.
    fn forget_app_versions(&self, app_id: &str) {
        if let Some(versions) = &self.versions {
            versions.forget_app(app_id);
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

#[cfg(test)]
mod staleness_tests {
    use super::*;

    #[test]
    fn connections_made_before_a_stale_one_was_met_are_not_used_again() {
        let staleness = Staleness::new();
        std::thread::sleep(Duration::from_millis(5));
        assert!(!staleness.is_stale(Duration::from_millis(4)), "nothing marked");
        staleness.mark();
        assert!(staleness.is_stale(Duration::from_millis(4)), "made before the mark");
        std::thread::sleep(Duration::from_millis(5));
        assert!(!staleness.is_stale(Duration::from_millis(1)), "made after the mark");
    }
}
