//! Account, balance, identity and transaction bodies (REST: snake_case, `id`).
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstitutionRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    pub bank_code: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountOut {
    pub id: String,
    pub name: Option<String>,
    pub account_number: String,
    pub currency: String,
    pub balance: Option<i64>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub bvn: Option<String>,
    pub institution: InstitutionRef,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomerRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountMeta {
    pub data_status: String,
    pub auth_method: String,
    pub retrieved_data: Vec<String>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

/// `GET /v2/accounts/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountDetails {
    pub account: AccountOut,
    pub customer: CustomerRef,
    pub meta: AccountMeta,
    /// Passbook's additions, which Mono clients ignore: where the data came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passbook: Option<PassbookAccountMeta>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PassbookAccountMeta {
    pub source: DataSourceOut,
}

/// An account linked from a statement file: the file's format, the period it covers, and
/// whether its numbers reconcile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataSourceOut {
    /// `statement_upload`.
    #[serde(rename = "type")]
    pub kind: String,
    pub format: String,
    pub imported_at: String,
    pub period: Option<PeriodOut>,
    /// False when the file does not state the account number (Passbook made one up).
    pub account_number_stated: bool,
    pub reconciliation: ReconciliationOut,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeriodOut {
    pub start: String,
    pub end: String,
}

/// Opening + credits − debits = closing, every running balance, and the file's own totals.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReconciliationOut {
    /// `balanced`, `unbalanced` or `unverifiable` (no balances to check against).
    pub status: String,
    pub opening_balance: Option<i64>,
    pub closing_balance: Option<i64>,
    pub credits: i64,
    pub debits: i64,
    pub difference: Option<i64>,
    pub broken_rows: Vec<BrokenRowOut>,
    pub mismatched_totals: Vec<String>,
    pub gaps: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BrokenRowOut {
    pub row: usize,
    pub expected_balance: i64,
    pub stated_balance: i64,
}

/// An item of `GET /v2/accounts`; `status` is the data status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountListItem {
    pub id: String,
    pub name: Option<String>,
    pub account_number: String,
    pub currency: String,
    pub balance: Option<i64>,
    pub auth_method: String,
    pub status: String,
    pub bvn: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub institution: InstitutionRef,
    pub customer: CustomerRef,
}

/// `GET /v2/accounts/{id}/balance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BalanceOut {
    pub id: String,
    pub name: Option<String>,
    pub account_number: String,
    pub balance: i64,
    pub currency: String,
}

/// `GET /v2/accounts/{id}/identity`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentityOut {
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
    pub created_at: String,
    pub updated_at: String,
}

/// An item of `GET /v2/accounts/{id}/transactions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransactionOut {
    pub id: String,
    pub narration: String,
    pub amount: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub balance: Option<i64>,
    pub date: String,
    pub category: String,
    pub currency: String,
}

/// The query string of `GET /v2/accounts/{id}/transactions`, as sent; the domain validates it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TransactionsQuery {
    pub page: Option<String>,
    pub limit: Option<String>,
    pub paginate: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub narration: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Where the previous page ended; Passbook puts it in `meta.next` so that following `next`
    /// costs the same on every page.
    pub cursor: Option<String>,
}

/// The query string of `GET /v2/accounts/{id}/statement`, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatementQuery {
    pub period: Option<String>,
    pub output: Option<String>,
}

/// `POST /v2/accounts/{id}/creditworthiness`, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreditworthinessRequest {
    pub bvn: Option<String>,
    pub principal: Option<i64>,
    pub interest_rate: Option<f64>,
    pub term: Option<u32>,
    pub run_credit_check: Option<bool>,
    pub existing_loans: Option<Vec<ExistingLoan>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExistingLoan {
    pub tenor: Option<u32>,
    pub date_opened: Option<String>,
    pub closed_date: Option<String>,
    pub institution: Option<String>,
    pub currency: Option<String>,
    pub repayment_amount: Option<i64>,
    pub opening_balance: Option<i64>,
    #[serde(default)]
    pub repayment_schedule: serde_json::Value,
}
