//! SQLite reads on the calling thread, and the webhook dispatcher's writes in one hand-off.
//!
//! sqlx runs each SQLite statement on its connection's own thread and hands the rows back through
//! a channel. For the small indexed reads that serve the API (an account by id, a page of
//! transactions) a profile under load showed those hand-offs between threads, not the reads,
//! taking most of the time. These reads use their own connections to the same file (rusqlite
//! over the same SQLite library) and run where they are asked. A reader in WAL mode does not wait
//! for writers (only, rarely, for the recovery of a WAL after a crash), and only reads bounded by an index come here (a page, not `paginate=false` or a
//! narration search, no deep `page=N` jump), so a runtime thread is held for well under a
//! millisecond, often less than the hand-offs would have cost.
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::StoreResult;

/// Idle connections kept for the next read; more are opened when reads overlap.
const KEPT: usize = 8;

pub(crate) struct InlineReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// A read-write connection for [`Self::write`], opened at its first use.
    writer: Mutex<Option<Connection>>,
}

impl InlineReads {
    /// For a SQLite database in a file (`sqlite://path`); `None` for anything else.
    pub fn for_url(url: &str) -> Option<Self> {
        let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next()?;
        if path.is_empty() || path.starts_with(':') || rest.contains("mode=memory") {
            return None;
        }
        Some(Self { path: path.into(), idle: Mutex::default(), writer: Mutex::default() })
    }

    /// Runs `read` on an idle connection (or a new one).
    pub fn read<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let connection = match idle {
            Some(connection) => connection,
            None => self.connect()?,
        };
        let result = read(&connection);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < KEPT {
            idle.push(connection);
        }
        Ok(result?)
    }

    /// Runs `write` in a write transaction (taken at once, as `SqlStore::write` takes it) on this
    /// store's writing connection, and commits it if `write` succeeds. It blocks for as long as
    /// another connection holds the write lock: call it on a blocking thread.
    pub fn write<T>(&self, write: impl FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let connection = match writer.take() {
            Some(connection) => connection,
            None => self.connect_writer()?,
        };
        let connection = writer.insert(connection);
        let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let done = write(&tx)?;
        tx.commit()?;
        Ok(done)
    }

    /// The writing connection, set as the store's pooled ones are (`set_up` in `lib.rs`).
    fn connect_writer(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open(&self.path)?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON")?;
        connection.set_prepared_statement_cache_capacity(32);
        Ok(connection)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// A connection of its own, read-only.
    pub fn connect(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open(&self.path)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.execute_batch("PRAGMA query_only = ON")?;
        connection.set_prepared_statement_cache_capacity(32);
        Ok(connection)
    }
}

impl std::fmt::Debug for InlineReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineReads").field("path", &self.path).finish()
    }
}
