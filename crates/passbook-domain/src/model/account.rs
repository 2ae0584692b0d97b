use serde::{Deserialize, Serialize};

use super::{AccountId, AppId, CustomerId};
use super::{AuthMethod, Customer, DataKind, DataStatus, DiscoveredAccount};
use crate::Timestamp;

/// An account with the customer it belongs to, as account lists show them.
#[derive(Debug, Clone)]
pub struct AccountWithCustomer {
    pub account: Account,
    pub customer: Customer,
}

/// A linked account. Its id is permanent.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub app_id: AppId,
    pub customer_id: CustomerId,
    pub institution_id: String,
    pub auth_method: AuthMethod,
    pub connector_ref: String,
    pub name: Option<String>,
    pub account_number: String,
    pub currency: String,
    pub kind: Option<String>,
    /// Last four digits only, as Mono returns it.
    pub bvn: Option<String>,
    pub balance: Option<i64>,
    pub data_status: DataStatus,
    pub retrieved_data: Vec<DataKind>,
    pub reference: Option<String>,
    pub transaction_count: u64,
    /// When the user last logged in for this account (link or re-authorisation).
    pub authorised_at: Timestamp,
    /// A refresh found that the bank wants the user to log in again.
    pub needs_reauth: bool,
    pub freshness: Freshness,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// How current an account's data is: Passbook's addition to Mono's account, which Mono clients
/// ignore.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Freshness {
    /// The last fetch that succeeded (the link's first one, or a refresh).
    pub last_refreshed_at: Option<Timestamp>,
    /// The last fetch that failed, and why (a [`FetchFailure`] code).
    pub last_failed_at: Option<Timestamp>,
    pub last_failure: Option<String>,
    /// When the next scheduled refresh is due; none while the bank waits for the user to log in
    /// again, or for an account read from a statement file.
    pub next_refresh_at: Option<Timestamp>,
}

/// Why a fetch failed, as stored and shown (`last_failure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchFailure {
    BankUnavailable,
    /// The bank refused the stored login (locked account, changed password).
    LoginRefused,
    ReauthorisationRequired,
    FetchFailed,
    RetriesExhausted,
    NoConnector,
    StatementUnreadable,
    /// The institution's allowance of requests was used up; the next refresh after it renews
    /// fetches again.
    QuotaExhausted,
}

impl FetchFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BankUnavailable => "bank_unavailable",
            Self::LoginRefused => "login_refused",
            Self::ReauthorisationRequired => "reauthorisation_required",
            Self::FetchFailed => "fetch_failed",
            Self::RetriesExhausted => "retries_exhausted",
            Self::NoConnector => "no_connector",
            Self::StatementUnreadable => "statement_unreadable",
            Self::QuotaExhausted => "quota_exhausted",
        }
    }
}

/// What changes whenever an account's data does (every fetch moves `updated_at`): enough to
/// tell whether an answer about the account is still current without reading or decrypting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountVersion {
    pub id: AccountId,
    pub updated_at: Timestamp,
    pub transaction_count: u64,
    pub data_status: DataStatus,
    /// Moved by writes that leave `updated_at` alone (the refresh schedule, re-authorisation).
    pub freshness: Freshness,
}

impl AccountVersion {
    pub fn of(account: &Account) -> Self {
        Self {
            id: account.id.clone(),
            updated_at: account.updated_at,
            transaction_count: account.transaction_count,
            data_status: account.data_status,
            freshness: account.freshness.clone(),
        }
    }
}

impl Account {
    /// Financial endpoints answer an empty payload unless this kind of data was retrieved
    /// (contract §5.1).
    pub fn has(&self, kind: DataKind) -> bool {
        matches!(self.data_status, DataStatus::Available | DataStatus::Partial) && self.retrieved_data.contains(&kind)
    }
}

/// An account to create (or re-link) when a link completes.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub app_id: AppId,
    pub customer_id: CustomerId,
    pub institution_id: String,
    pub auth_method: AuthMethod,
    pub reference: Option<String>,
    pub discovered: DiscoveredAccount,
    pub created_at: Timestamp,
}

/// Who holds the account, as the bank reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub full_name: String,
    pub bvn: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub gender: Option<String>,
    pub dob: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub state_of_origin: Option<String>,
    pub lga_of_origin: Option<String>,
    pub marital_status: Option<String>,
}

/// The identity record with the times it was retrieved.
#[derive(Debug, Clone)]
pub struct StoredIdentity {
    pub identity: Identity,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
