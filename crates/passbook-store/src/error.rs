use passbook_domain::Error;

/// What can go wrong below the domain: the database, or data that no longer decrypts.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A read on the calling thread ([`crate::inline`]).
    #[error(transparent)]
    Inline(#[from] rusqlite::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Crypto(#[from] passbook_domain::crypto::CryptoError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Work handed to a blocking thread (the dispatcher's turn on SQLite) that panicked or was
    /// cancelled; what it did is rolled back with its transaction.
    #[error("the store's blocking task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The database URL names something that cannot be used.
    #[error("{0}")]
    Setup(String),
}

impl From<StoreError> for Error {
    /// An outage becomes `Unavailable` (503 with `Retry-After`): the request may succeed once
    /// the database is back or has failed over. Its detail is logged, not sent.
    fn from(err: StoreError) -> Self {
        if err.is_outage() {
            tracing::warn!(error = %err, "the database is unavailable");
            return Error::Unavailable("The database is unavailable; try again in a few seconds".into());
        }
        Error::store(err)
    }
}

impl StoreError {
    /// The database gave the transaction up for a conflict with another one (SQLSTATE `40001`
    /// serialization failure, `40P01` deadlock); running it again may succeed.
    pub(crate) fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db))
            if matches!(db.code().as_deref(), Some("40001" | "40P01")))
    }
}

impl StoreError {
    /// Whether a domain error is stored data that does not decrypt (another master key).
    pub fn is_key_mismatch(err: &Error) -> bool {
        matches!(err, Error::Store(source)
            if matches!(source.downcast_ref::<StoreError>(), Some(StoreError::Crypto(_))))
    }

    pub(crate) fn sqlstate(&self) -> Option<String> {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => db.code().map(|c| c.into_owned()),
            _ => None,
        }
    }

    /// The connection this failed on should not be used again: the server is a standby now
    /// (`25006` read-only transaction), went away (`57P01`–`57P03`, class `08`), or the
    /// connection broke (I/O, a protocol read cut short at EOF).
    pub(crate) fn is_stale_connection(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_)) => true,
            _ => self
                .sqlstate()
                .is_some_and(|c| c == "25006" || c == "57P01" || c == "57P02" || c == "57P03" || c.starts_with("08")),
        }
    }

    /// Failed before any statement ran, so running the operation again on another connection
    /// cannot do anything twice: a write refused by a standby (`25006`), a server not yet
    /// accepting connections (`57P03`), a connection that could not be made (`08001`, `08004`).
    pub(crate) fn never_ran(&self) -> bool {
        self.sqlstate().is_some_and(|c| matches!(c.as_str(), "25006" | "57P03" | "08001" | "08004"))
    }

    /// The database cannot serve now (unreachable, restarting, failing over, out of
    /// connections), as opposed to refusing this request.
    pub(crate) fn is_outage(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed))
            || self.is_stale_connection()
            || self.sqlstate().is_some_and(|c| c == "53300")
    }
}

pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub(crate) type StoreResult<T> = Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_gone_is_an_outage_and_its_connection_is_not_used_again() {
        let eof = StoreError::Database(sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::UnexpectedEof)));
        assert!(eof.is_outage() && eof.is_stale_connection());
        assert!(!eof.never_ran(), "a connection cut mid-way leaves the outcome unknown");
        let waited = StoreError::Database(sqlx::Error::PoolTimedOut);
        assert!(waited.is_outage() && !waited.is_stale_connection());
        assert!(matches!(Error::from(waited), Error::Unavailable(_)));
        let corrupt = StoreError::Corrupt("x".into());
        assert!(!corrupt.is_outage());
        assert!(matches!(Error::from(corrupt), Error::Store(_)));
    }
}
