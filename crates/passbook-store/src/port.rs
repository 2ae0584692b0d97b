//! The domain's storage port on [`SqlStore`]: every operation is a function beside its SQL, and
//! [`impl_port!`] wires each trait method to its function in one line, with the retries every
//! operation shares.
use std::time::Duration;

use crate::{SqlStore, StoreError};

/// How often an operation refused for a transaction conflict runs in all.
const CONFLICT_TRIES: u32 = 6;

/// Implements a port trait on `SqlStore`, one line per method:
/// `retried fn method(params) -> T = function(args);` calls `function(store, args)`, again as
/// [`Retries`] allows; `once fn` lines run once (the readiness probe, which must report a
/// failure as it found it, and reads that make their own way around a busy database).
macro_rules! impl_port {
    ($trait:path {
        $($mode:ident fn $method:ident($($param:ident: $ty:ty),* $(,)?) -> $ret:ty
            = $($function:ident)::+ ($($arg:expr),* $(,)?);)*
    }) => {
        #[async_trait::async_trait]
        impl $trait for $crate::SqlStore {
            $(
                async fn $method(&self, $($param: $ty),*) -> passbook_domain::Result<$ret> {
                    $crate::port::impl_port!(@$mode self, $($function)::+ ($($arg),*))
                }
            )*
        }
    };
    (@retried $store:ident, $($function:ident)::+ ($($arg:expr),*)) => {{
        let mut retries = $crate::port::Retries::new($store);
        loop {
            match $($function)::+($store, $($arg),*).await {
                Err(err) if retries.again(&err).await => {}
                other => return Ok(other?),
            }
        }
    }};
    (@once $store:ident, $($function:ident)::+ ($($arg:expr),*)) => {
        Ok($($function)::+($store, $($arg),*).await?)
    };
}
pub(crate) use impl_port;

/// Whether a failed store operation runs again.
///
/// It runs again when the database gave it up for a conflict with another transaction: a
/// serialization failure (`40001`, which distributed engines that speak PostgreSQL, such as
/// YugabyteDB and CockroachDB, answer for read restarts and write conflicts) or a deadlock
/// (`40P01`). Every store operation is its own transaction, or a single statement, so a refused
/// one left nothing behind and can simply run again.
///
/// An operation that met a stale connection (a standby, a server gone) closes every older
/// connection; it runs once more, on a fresh one, when it failed before any statement ran (a
/// write refused as read-only). Otherwise the outcome may be unknown (a commit cut off) and is
/// left to the caller: the API answers 503 and idempotency keys make retries safe.
pub(crate) struct Retries<'a> {
    store: &'a SqlStore,
    tries: u32,
    moved: bool,
}

impl<'a> Retries<'a> {
    pub(crate) fn new(store: &'a SqlStore) -> Self {
        Self { store, tries: 1, moved: false }
    }

    /// Whether the operation that failed with `err` runs again (after a pause, taken here).
    pub(crate) async fn again(&mut self, err: &StoreError) -> bool {
        if err.is_conflict() {
            return self.after_conflict(err).await;
        }
        if !err.is_stale_connection() {
            return false;
        }
        self.store.staleness.mark();
        if self.moved || !err.never_ran() {
            return false;
        }
        tracing::info!(error = %err, "the connection led to a standby or a server gone; running again");
        self.moved = true;
        true
    }

    async fn after_conflict(&mut self, err: &StoreError) -> bool {
        use std::hash::{BuildHasher, RandomState};
        if self.tries >= CONFLICT_TRIES {
            return false;
        }
        tracing::debug!(error = %err, tries = self.tries, "retrying after a transaction conflict");
        // Retries of transactions that collided are spread, so that they do not collide again.
        let jitter = RandomState::new().hash_one(std::time::Instant::now()) % (5 << self.tries);
        tokio::time::sleep(Duration::from_millis(jitter)).await;
        self.tries += 1;
        true
    }
}
