//! Account versions kept in memory on PostgreSQL, so that a read of an account's data whose
//! answer is kept (`ETag`, rendered page) needs no database round trip at all. Every change of an
//! account row announces itself (`NOTIFY passbook_accounts`, from a trigger, so that no write
//! path can forget it) to every process, each of which forgets that account's version. While the
//! listening connection is down, nothing is kept and every read goes to the database; when it is
//! back, what was kept before is dropped (changes announced meanwhile were missed).
//!
//! On SQLite the version is read on the calling thread for a few microseconds; nothing is kept.
//! Behind a pooler in transaction mode `LISTEN` does not work, and nothing is kept either.
use std::collections::HashMap;
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
        let (alive, closed) = watch::channel(());
        let cache = Arc::new(Self {
            kept: Mutex::default(),
            listening: AtomicBool::new(false),
            changes: AtomicU64::new(0),
            _alive: alive,
        });
        tokio::spawn(listen(url, Arc::downgrade(&cache), closed));
        cache
    }

    /// The account's version, when it is kept.
    pub(crate) fn get(&self, app_id: &str, id: &str) -> Option<AccountVersion> {
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
        kept.insert(version.id.clone(), (app_id.to_string(), version.clone()));
    }

    fn forget(&self, id: &str) {
        let mut kept = self.kept.lock().expect("kept versions");
        self.changes.fetch_add(1, Ordering::AcqRel);
        kept.remove(id);
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
