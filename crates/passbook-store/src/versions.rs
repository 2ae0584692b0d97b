//! Account versions kept in memory on PostgreSQL, so that a read of an account's data whose
//! answer is kept (`ETag`, rendered page) needs no database round trip at all. Every change of an
//! account row announces itself (`NOTIFY passbook_accounts`, from a trigger, so that no write
//! path can forget it) to every process, each of which forgets that account's version. While the
//! listening connection is down, nothing is kept and every read goes to the database; when it is
//! back, what was kept before is dropped (changes announced meanwhile were missed).
//!
//! On SQLite every commit, from this process or another, changes the WAL-index header in the
//! database's `-shm` file (the moment the commit becomes visible to readers; the layout is
//! SQLite's documented file format, <https://sqlite.org/walformat.html>). Each lookup reads that
//! header (one `pread`) and forgets every kept version when it changed: a version read after the
//! header was is at least as new as the header says, so nothing stale is ever answered, and a read
//! costs no read transaction (a profile under `wrk` found that transaction, its file locks and
//! SQLite's mutexes at 18% of the time of an account read).
//!
//! Behind a pooler in transaction mode `LISTEN` does not work, and nothing is kept.
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use passbook_domain::model::AccountVersion;
use tokio::sync::watch;

/// The channel the `accounts` trigger announces changes on (migration 0010_upload_history).
const CHANNEL: &str = "passbook_accounts";
/// Beyond this many accounts, the kept versions are dropped and kept again as they are read.
const MAX_KEPT: usize = 100_000;

pub(crate) struct VersionCache {
    /// Account id → (its app, its version).
    kept: Mutex<HashMap<String, (String, AccountVersion)>>,
    /// On SQLite, where changes are seen: the header the kept versions were read under.
    wal: Option<(WalIndex, Mutex<Option<WalHeader>>)>,
    /// Whether changes are being heard: only then is anything kept or answered from memory.
    listening: AtomicBool,
    /// Bumped by every change heard, so that a version read before a change is not kept after it.
    changes: AtomicU64,
    /// Dropped with the cache, which stops the listener.
    _alive: watch::Sender<()>,
}

impl VersionCache {
    /// Starts listening on `url` (a connection of its own, outside the pool).
    pub(crate) fn start(url: String) -> Arc<Self> {
        let (cache, closed) = Self::new(None, false);
        tokio::spawn(listen(url, Arc::downgrade(&cache), closed));
        cache
    }

    /// An empty cache, and what its listener watches to learn that the cache is gone.
    fn new(wal: Option<(WalIndex, Mutex<Option<WalHeader>>)>, listening: bool) -> (Arc<Self>, watch::Receiver<()>) {
        let (alive, closed) = watch::channel(());
        let cache = Self {
            kept: Mutex::default(),
            wal,
            listening: AtomicBool::new(listening),
            changes: AtomicU64::new(0),
            _alive: alive,
        };
        (Arc::new(cache), closed)
    }

    /// The cache a store keeps: on PostgreSQL unless behind a pooler (no `LISTEN` there), on a
    /// SQLite file in WAL mode; `None` otherwise (nothing kept, every version read).
    pub(crate) fn for_store(
        backend: crate::Backend,
        pooler: bool,
        url: String,
        inline: Option<&crate::inline::InlineReads>,
    ) -> Option<Arc<Self>> {
        match (backend, inline) {
            (crate::Backend::Postgres, _) if !pooler => Some(Self::start(url)),
            (crate::Backend::Sqlite, Some(inline)) => {
                inline.connect().ok().and_then(|keeper| Self::follow_wal(inline.path(), keeper))
            }
            _ => None,
        }
    }

    /// A cache that hears no announcement and sees no commit of another process: what this
    /// process's own writes forget is all that is ever forgotten (tests of exactly that).
    #[cfg(test)]
    pub(crate) fn deaf() -> Arc<Self> {
        Self::new(None, true).0
    }

    /// On the SQLite database at `path` (in WAL mode, its `-shm` file there): `None` when the
    /// header cannot be read. `keeper` is a connection held open for as long as the cache lives,
    /// so that the `-shm` file is never deleted or started anew under it.
    pub(crate) fn follow_wal(path: &Path, keeper: rusqlite::Connection) -> Option<Arc<Self>> {
        let wal = WalIndex::open(path, keeper)?;
        let seen = wal.header();
        Some(Self::new(Some((wal, Mutex::new(seen))), true).0)
    }

    /// The account's version, when it is kept.
    pub(crate) fn get(&self, app_id: &str, id: &str) -> Option<AccountVersion> {
        self.catch_up_with_wal();
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        let kept = self.kept.lock().expect("kept versions");
        kept.get(id).filter(|(app, _)| app == app_id).map(|(_, version)| version.clone())
    }

    /// A mark to take before reading a version from the database, for [`Self::keep`].
    pub(crate) fn mark(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Keeps a version read from the database after `mark`, unless a change was heard since
    /// (the version read may then be the one before it).
    pub(crate) fn keep(&self, mark: u64, app_id: &str, version: &AccountVersion) {
        if !self.listening.load(Ordering::Acquire) {
            return;
        }
        let mut kept = self.kept.lock().expect("kept versions");
        if self.changes.load(Ordering::Acquire) != mark {
            return;
        }
        if kept.len() >= MAX_KEPT {
            kept.clear();
        }
        kept.insert(version.id.to_string(), (app_id.to_string(), version.clone()));
    }

    /// On SQLite: forgets what was kept when a commit was made since it was read (or the header
    /// is being written right now, or cannot be read).
    fn catch_up_with_wal(&self) {
        let Some((wal, seen)) = &self.wal else { return };
        let header = wal.header();
        let mut seen = seen.lock().expect("WAL header seen");
        if header.is_none() || *seen != header {
            self.set_listening(header.is_some());
            *seen = header;
        }
    }

    /// Forgets one account's version: announced by `NOTIFY`, or at once after this process's own
    /// commit (the announcement reaches this process too, but a read may come first).
    pub(crate) fn forget(&self, id: &str) {
        let mut kept = self.kept.lock().expect("kept versions");
        self.changes.fetch_add(1, Ordering::AcqRel);
        kept.remove(id);
    }

    /// Forgets the versions of every account of one app (a commit that changed them all).
    pub(crate) fn forget_app(&self, app_id: &str) {
        let mut kept = self.kept.lock().expect("kept versions");
        self.changes.fetch_add(1, Ordering::AcqRel);
        kept.retain(|_, (app, _)| app != app_id);
    }

    fn set_listening(&self, listening: bool) {
        let mut kept = self.kept.lock().expect("kept versions");
        self.changes.fetch_add(1, Ordering::AcqRel);
        kept.clear();
        self.listening.store(listening, Ordering::Release);
    }
}

async fn listen(url: String, cache: Weak<VersionCache>, mut closed: watch::Receiver<()>) {
    loop {
        tokio::select! {
            _ = closed.changed() => return,
            () = hear_changes(&url, &cache) => {}
        }
        if let Some(cache) = cache.upgrade() {
            cache.set_listening(false);
        }
        tokio::select! {
            _ = closed.changed() => return,
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// Listens until the connection fails.
async fn hear_changes(url: &str, cache: &Weak<VersionCache>) {
    let mut listener = match sqlx::postgres::PgListener::connect(url).await {
        Ok(listener) => listener,
        Err(err) => return tracing::debug!(error = %err, "could not listen for account changes"),
    };
    if let Err(err) = listener.listen(CHANNEL).await {
        return tracing::debug!(error = %err, "could not listen for account changes");
    }
    match cache.upgrade() {
        Some(cache) => cache.set_listening(true),
        None => return,
    }
    // `Ok(None)`: the connection was lost (and changes may have been missed).
    while let Ok(Some(change)) = listener.try_recv().await {
        match cache.upgrade() {
            Some(cache) => cache.forget(change.payload()),
            None => return,
        }
    }
}

/// The first 48 bytes of SQLite's WAL-index header; a commit changes them (`iChange`, `mxFrame`,
/// the checksums, and the salts when the WAL starts over).
type WalHeader = [u8; 48];

struct WalIndex {
    shm: std::fs::File,
    _keeper: Mutex<rusqlite::Connection>,
}

impl WalIndex {
    fn open(path: &Path, keeper: rusqlite::Connection) -> Option<Self> {
        // A read maps the `-shm` file (and creates it, in WAL mode).
        let mode: String = keeper.query_row("PRAGMA journal_mode", [], |row| row.get(0)).ok()?;
        if !mode.eq_ignore_ascii_case("wal") {
            return None;
        }
        let mut shm_path = path.as_os_str().to_owned();
        shm_path.push("-shm");
        let index = Self { shm: std::fs::File::open(shm_path).ok()?, _keeper: Mutex::new(keeper) };
        index.header().map(|_| index)
    }

    /// The header, when its two copies agree (SQLite writes the second, then the first; a read
    /// between the two sees them differ) and it is initialised.
    fn header(&self) -> Option<WalHeader> {
        use std::os::unix::fs::FileExt;
        let mut both = [0u8; 96];
        self.shm.read_exact_at(&mut both, 0).ok()?;
        let (first, second) = both.split_at(48);
        let is_init = first[12] == 1;
        (first == second && is_init).then(|| first.try_into().expect("48 bytes"))
    }
}

#[cfg(test)]
mod tests {
    use passbook_domain::Timestamp;
    use passbook_domain::model::{DataStatus, Freshness};
    use rusqlite::Connection;

    use super::*;

    fn version(id: &str) -> AccountVersion {
        AccountVersion {
            id: id.into(),
            updated_at: Timestamp(1),
            transaction_count: 2,
            data_status: DataStatus::Available,
            freshness: Freshness::default(),
        }
    }

    #[test]
    fn a_commit_from_any_connection_forgets_what_was_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let writer = Connection::open(&path).unwrap();
        writer.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x)").unwrap();
        let cache = VersionCache::follow_wal(&path, Connection::open(&path).unwrap()).expect("a WAL database");

        assert_eq!(cache.get("app", "acc"), None);
        cache.keep(cache.mark(), "app", &version("acc"));
        assert_eq!(cache.get("app", "acc"), Some(version("acc")), "kept");
        assert_eq!(cache.get("other app", "acc"), None, "for its own app only");

        writer.execute("INSERT INTO t VALUES (1)", []).unwrap();
        assert_eq!(cache.get("app", "acc"), None, "forgotten: another connection committed");

        // A version read before a commit and kept after it is forgotten at the next lookup.
        let mark = cache.mark();
        writer.execute("INSERT INTO t VALUES (2)", []).unwrap();
        cache.keep(mark, "app", &version("acc"));
        assert_eq!(cache.get("app", "acc"), None);

        // A rolled-back write changes nothing visible, and what was kept stays.
        cache.keep(cache.mark(), "app", &version("acc"));
        writer.execute_batch("BEGIN; INSERT INTO t VALUES (3); ROLLBACK").unwrap();
        assert_eq!(cache.get("app", "acc"), Some(version("acc")));
    }

    #[test]
    fn a_database_not_in_wal_mode_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollback.db");
        Connection::open(&path).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
        assert!(VersionCache::follow_wal(&path, Connection::open(&path).unwrap()).is_none());
    }
}
