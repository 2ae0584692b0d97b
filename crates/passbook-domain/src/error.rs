use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a domain operation can refuse or fail with. The HTTP layer maps each variant to
/// one status code and the failed envelope, in one place.
#[derive(Debug, Error)]
pub enum Error {
    /// Bad input; the message names the field.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// Missing or unknown credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Known, but not allowed to do this (an operator's role).
    #[error("{0}")]
    Forbidden(String),
    /// The resource does not exist, or belongs to another app.
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with existing state (a reused reference, a finished link).
    #[error("{0}")]
    Conflict(String),
    /// A link session that has expired.
    #[error("{0}")]
    Gone(String),
    /// Too many attempts.
    #[error("{0}")]
    TooManyAttempts(String),
    /// Not able to serve now (the database is down, migrations are missing).
    #[error("{0}")]
    Unavailable(String),
    /// The storage layer failed.
    #[error("storage failure: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.to_string(), message: message.into() }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    pub fn store(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Store(Box::new(err))
    }
}
