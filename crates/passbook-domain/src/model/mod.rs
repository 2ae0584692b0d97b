//! The things Passbook keeps, as the domain sees them (plaintext; encryption is storage's job).
mod account;
mod app;
mod console;
mod id;
mod institution;
mod link;
mod operator;
mod transaction;

pub use account::*;
pub use app::*;
pub use console::*;
pub use id::*;
pub use institution::*;
pub use link::*;
pub use operator::*;
pub use transaction::*;

use serde::{Deserialize, Serialize};

/// How the user reaches their account at the institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    InternetBanking,
    MobileBanking,
    /// The user's own statement file, read by the `StatementReader` (every institution).
    StatementUpload,
    /// Open banking: the user approves access at the bank, which sends them back.
    OpenBanking,
}

/// The three ways real institutions are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WayIn {
    /// A login form, then the bank's questions, then the accounts (`Connector::login`).
    Credentials,
    /// A statement file the user uploads (`StatementReader`).
    File,
    /// Open banking: the user approves access on the bank's own page and comes back with its
    /// answer (`Connector::start_consent`, `Connector::finish_consent`); the consent expires.
    ConsentRedirect,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] =
        [AuthMethod::InternetBanking, AuthMethod::MobileBanking, AuthMethod::StatementUpload, AuthMethod::OpenBanking];

    pub fn way_in(self) -> WayIn {
        match self {
            Self::InternetBanking | Self::MobileBanking => WayIn::Credentials,
            Self::StatementUpload => WayIn::File,
            Self::OpenBanking => WayIn::ConsentRedirect,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InternetBanking => "internet_banking",
            Self::MobileBanking => "mobile_banking",
            Self::StatementUpload => "statement_upload",
            Self::OpenBanking => "open_banking",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::InternetBanking => "Internet Banking",
            Self::MobileBanking => "Mobile Banking",
            Self::StatementUpload => "Upload a statement",
            Self::OpenBanking => "Open banking",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Mono's `data_status` (contract §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DataStatus {
    Processing,
    Available,
    Partial,
    Unavailable,
    Failed,
}

impl DataStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "PROCESSING",
            Self::Available => "AVAILABLE",
            Self::Partial => "PARTIAL",
            Self::Unavailable => "UNAVAILABLE",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Processing, Self::Available, Self::Partial, Self::Unavailable, Self::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// What a data fetch managed to retrieve: Mono's `meta.retrieved_data` items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    Identity,
    Balance,
    Transactions,
}

impl DataKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Balance => "balance",
            Self::Transactions => "transactions",
        }
    }
}

mod outbox;
pub use outbox::*;
