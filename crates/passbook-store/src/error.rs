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
    /// The database URL names something that cannot be used.
    #[error("{0}")]
    Setup(String),
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
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

pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub(crate) type StoreResult<T> = Result<T, StoreError>;
