//! Enable Banking's API (<https://enablebanking.com/docs/api/reference/>) as the connector reads it.
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct Aspsps {
    pub aspsps: Vec<Aspsp>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Aspsp {
    pub name: String,
    pub country: String,
    #[serde(default)]
    pub logo: Option<String>,
    /// Seconds; the longest consent the bank gives.
    #[serde(default)]
    pub maximum_consent_validity: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct AuthRequest<'a> {
    pub access: Access,
    pub aspsp: AspspRef<'a>,
    pub state: &'a str,
    pub redirect_url: &'a str,
    pub psu_type: &'a str,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Access {
    pub valid_until: String,
}

#[derive(Debug, Serialize)]
pub struct AspspRef<'a> {
    pub name: &'a str,
    pub country: &'a str,
}

#[derive(Debug, Deserialize)]
pub struct AuthAnswer {
    pub url: String,
    pub authorization_id: String,
}

#[derive(Debug, Deserialize)]
pub struct Session {
    pub session_id: String,
    pub accounts: Vec<SessionAccount>,
    pub access: Access,
}

#[derive(Debug, Deserialize)]
pub struct SessionAccount {
    pub uid: String,
    #[serde(default)]
    pub identification_hash: Option<String>,
    #[serde(default)]
    pub account_id: Option<AccountId>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub cash_account_type: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AccountId {
    #[serde(default)]
    pub iban: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Balances {
    pub balances: Vec<Balance>,
}

#[derive(Debug, Deserialize)]
pub struct Balance {
    pub balance_amount: Amount,
    #[serde(default)]
    pub balance_type: String,
}

#[derive(Debug, Deserialize)]
pub struct Amount {
    pub currency: String,
    pub amount: String,
}

#[derive(Debug, Deserialize)]
pub struct Transactions {
    pub transactions: Vec<Transaction>,
    #[serde(default)]
    pub continuation_key: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Transaction {
    #[serde(default)]
    pub entry_reference: Option<String>,
    pub transaction_amount: Amount,
    /// `CRDT` or `DBIT`.
    pub credit_debit_indicator: String,
    /// `BOOK` (posted) or `PDNG` (pending), among others.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub booking_date: Option<String>,
    #[serde(default)]
    pub value_date: Option<String>,
    #[serde(default)]
    pub transaction_date: Option<String>,
    #[serde(default)]
    pub remittance_information: Vec<String>,
}

/// The error body: `error` names the kind (`EXPIRED_SESSION`, …).
#[derive(Debug, Default, Deserialize)]
pub struct Failure {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}
