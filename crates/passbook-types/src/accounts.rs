//! Account, balance, identity and transaction bodies (REST: snake_case, `id`).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InstitutionRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    pub bank_code: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CustomerRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AccountMeta {
    pub data_status: String,
    pub auth_method: String,
    pub retrieved_data: Vec<String>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

/// `GET /v2/accounts/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AccountDetails {
    pub account: AccountOut,
    pub customer: CustomerRef,
    pub meta: AccountMeta,
    /// Passbook's additions, which Mono clients ignore: how fresh the data is, and where it
    /// came from. (Absent when the API is Mono's.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passbook: Option<PassbookAccountMeta>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PassbookAccountMeta {
    pub freshness: FreshnessOut,
    /// For an account read from a statement file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<DataSourceOut>,
}

/// How current the account's data is.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FreshnessOut {
    /// The last fetch that succeeded (the link's first one, or a refresh).
    pub last_refreshed_at: Option<String>,
    /// The last fetch that failed.
    pub last_failed_at: Option<String>,
    /// Why it failed: `bank_unavailable`, `login_refused`, `reauthorisation_required`,
    /// `fetch_failed`, `retries_exhausted`, `no_connector`, `statement_unreadable` or
    /// `quota_exhausted` (the institution's allowance of requests is used up until it renews).
    pub last_failure: Option<String>,
    /// When the next scheduled refresh is due; null while the bank waits for the user to log in
    /// again (re-authorise), and for accounts read from a statement file.
    pub next_refresh_at: Option<String>,
}

/// An account linked from a statement file: the file's format, the period it covers, and
/// whether its numbers reconcile.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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
    /// The transactions read from the file.
    pub rows_read: usize,
    /// Lines of the file the reader passed over (the import report lists them).
    pub lines_skipped: usize,
    /// Whether the file was changed after it was made, with the evidence.
    pub integrity: crate::integrity::IntegrityOut,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PeriodOut {
    pub start: String,
    pub end: String,
}

/// Opening + credits − debits = closing, every running balance, and the file's own totals.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BrokenRowOut {
    pub row: usize,
    pub expected_balance: i64,
    pub stated_balance: i64,
}

/// An item of `GET /v2/accounts`; `status` is the data status.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BalanceOut {
    pub id: String,
    pub name: Option<String>,
    pub account_number: String,
    pub balance: i64,
    pub currency: String,
}

/// `GET /v2/accounts/{id}/identity`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct TransactionsQuery {
    /// The page, from 1.
    #[schemars(pattern(crate::patterns::PAGE))]
    pub page: Option<String>,
    /// Transactions per page: 1 to 500 (50 when absent).
    #[schemars(pattern(crate::patterns::TRANSACTIONS_LIMIT))]
    pub limit: Option<String>,
    /// `false`: every match in one answer.
    #[schemars(pattern(r"^(true|false)?$"))]
    pub paginate: Option<String>,
    /// The first day, `DD-MM-YYYY` or `YYYY-MM-DD`.
    #[schemars(pattern(crate::patterns::DATE))]
    pub start: Option<String>,
    /// The last day (included), `DD-MM-YYYY` or `YYYY-MM-DD`.
    #[schemars(pattern(crate::patterns::DATE))]
    pub end: Option<String>,
    /// Only transactions whose narration contains this text.
    #[schemars(pattern(crate::patterns::TEXT))]
    pub narration: Option<String>,
    /// `debit` or `credit`.
    #[serde(rename = "type")]
    #[schemars(pattern(r"^(|[dD][eE][bB][iI][tT]|[cC][rR][eE][dD][iI][tT])$"))]
    pub kind: Option<String>,
    /// Where the previous page ended; Passbook puts it in `meta.next` so that following `next`
    /// costs the same on every page.
    pub cursor: Option<String>,
}

/// The query string of `GET /v2/accounts/{id}/statement`, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct StatementQuery {
    /// `last1months` to `last12months`.
    #[schemars(required, pattern(r"^last([1-9]|1[0-2])months?$"))]
    pub period: Option<String>,
    /// `json` (the default) or `pdf` (a job to poll).
    #[schemars(pattern(r"^(json|pdf)?$"))]
    pub output: Option<String>,
}

/// The query string of `GET /passbook/v1/accounts/{id}/statement`, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct SignedStatementQuery {
    /// `last1months` to `last12months`.
    #[schemars(required, pattern(r"^last([1-9]|1[0-2])months?$"))]
    pub period: Option<String>,
}

fn require_loan_terms(schema: &mut schemars::Schema) {
    crate::whole::require(schema, &["principal", "term"]);
}

/// `POST /v2/accounts/{id}/creditworthiness`, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = require_loan_terms)]
pub struct CreditworthinessRequest {
    #[schemars(required, pattern(crate::patterns::BVN))]
    pub bvn: Option<String>,
    #[schemars(required, range(min = 1, max = 1_000_000_000_000_000i64))]
    #[serde(default, deserialize_with = "crate::whole::option")]
    pub principal: Option<i64>,
    #[schemars(required, range(min = 0.0, max = 100.0))]
    pub interest_rate: Option<f64>,
    #[schemars(required, range(min = 1, max = 360))]
    #[serde(default, deserialize_with = "crate::whole::option")]
    pub term: Option<u32>,
    pub run_credit_check: Option<bool>,
    #[schemars(length(max = 100))]
    pub existing_loans: Option<Vec<ExistingLoan>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ExistingLoan {
    #[serde(default, deserialize_with = "crate::whole::option")]
    #[schemars(range(max = 4_294_967_295u32))]
    pub tenor: Option<u32>,
    pub date_opened: Option<String>,
    pub closed_date: Option<String>,
    pub institution: Option<String>,
    pub currency: Option<String>,
    #[schemars(range(min = 0, max = 1_000_000_000_000_000i64))]
    #[serde(default, deserialize_with = "crate::whole::option")]
    pub repayment_amount: Option<i64>,
    #[schemars(range(min = 0, max = 1_000_000_000_000_000i64))]
    #[serde(default, deserialize_with = "crate::whole::option")]
    pub opening_balance: Option<i64>,
    #[serde(default)]
    pub repayment_schedule: serde_json::Value,
}

/// `GET /v2/accounts/{id}/jobs/{job_id}`: a real-time refresh asked with `x-realtime`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct JobOut {
    pub id: String,
    /// `processing`, `finished` or `failed`.
    pub status: String,
    pub name: String,
    pub account: String,
    pub business: String,
    pub app: String,
    pub has_new_data: Option<bool>,
    pub created_at: String,
}

/// `GET /v2/accounts/{id}/statement?output=json`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StatementOut {
    pub count: usize,
    /// Days asked for (`period=last{n}months`).
    pub requested_length: i64,
    /// Days the account's history actually covers.
    pub available_length: i64,
    pub statement: Vec<TransactionOut>,
}

/// A PDF statement being built (`output=pdf`) and `GET /v2/accounts/{id}/statement/jobs/{job_id}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StatementJobOut {
    pub id: String,
    /// `BUILDING`, `BUILT`, `FAILED`, or `EXPIRED` once the PDF is past the server's retention
    /// (`--retention-hours`; then ask for a new one).
    pub status: String,
    /// Where the PDF can be fetched, once built.
    pub path: Option<String>,
    pub period: String,
    pub created_at: String,
}

/// An item of `GET /v2/accounts/{id}/earnings`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EarningOut {
    pub id: String,
    pub amount: i64,
    pub narration: String,
    pub date: String,
    pub asset: EarningAsset,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EarningAsset {
    pub symbol: Option<String>,
    pub name: String,
    pub sale_price: Option<i64>,
    pub quantity_sold: Option<f64>,
}

/// `GET /v2/accounts/{id}/assets`: `balances` keys are snake-cased currency codes (`_n_g_n`), as
/// Mono's serializer writes them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AssetsOut {
    pub id: String,
    pub balances: std::collections::BTreeMap<String, i64>,
    pub assets: Vec<AssetOut>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AssetOut {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub cost: i64,
    #[serde(rename = "return")]
    pub gain: i64,
    pub quantity: Option<f64>,
    pub currency: String,
    pub details: AssetDetails,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AssetDetails {
    pub symbol: Option<String>,
    pub price: Option<i64>,
    pub current_balance: i64,
}

/// An item of `GET /v2/accounts/{id}/income-records`: a stored income report.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IncomeRecordOut {
    pub id: String,
    pub account_id: String,
    pub period_months: Option<u32>,
    /// The report as `mono.events.account_income` carried it.
    pub report: serde_json::Value,
    pub created_at: String,
}

/// The query string of `GET /v2/accounts/{id}/income`, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct IncomeQuery {
    /// Months of history to analyse (all of it when absent).
    #[schemars(pattern(crate::patterns::PAGE))]
    pub period: Option<String>,
}

/// `data` of `GET /v2/accounts/{id}/statement`: the rows (`output=json`) or the PDF job
/// (`output=pdf`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StatementAnswer {
    Rows(StatementOut),
    Pdf(StatementJobOut),
}
