//! Webhook payloads (camelCase and `_id` inside account objects, as Mono sends them).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const ACCOUNT_CONNECTED: &str = "mono.events.account_connected";
pub const ACCOUNT_UPDATED: &str = "mono.events.account_updated";
pub const WEBHOOK_TEST: &str = "mono.events.webhook_test";
pub const ACCOUNT_UNLINKED: &str = "mono.events.account_unlinked";
pub const ACCOUNT_REAUTHORIZED: &str = "mono.events.account_reauthorized";
pub const JOBS_UPDATE: &str = "mono.accounts.jobs.update";
pub const ACCOUNT_INCOME: &str = "mono.events.account_income";
pub const ACCOUNT_CREDIT_WORTHINESS: &str = "mono.events.account_credit_worthiness";
/// Passbook's own: an account's transaction change feed has new changes to sync.
pub const SYNC_UPDATES_AVAILABLE: &str = "passbook.events.sync_updates_available";
/// Passbook's own: an account was linked from a statement file that shows signs of editing.
pub const STATEMENT_FLAGGED: &str = "passbook.events.statement_flagged";

/// The body POSTed to the app's webhook URL.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Event_{T}")]
pub struct WebhookEvent<T> {
    pub event: String,
    pub event_id: String,
    pub timestamp: String,
    pub data: T,
    /// The event's place among its account's events (1, 2, …), or the app's for events about
    /// no account; added as the event is delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AccountConnectedData {
    pub id: String,
    pub customer: String,
    pub meta: ConnectedMeta,
    pub app: String,
    pub business: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ConnectedMeta {
    pub data_status: String,
    pub auth_method: String,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AccountUpdatedData {
    pub account: WebhookAccount,
    pub meta: UpdatedMeta,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WebhookAccount {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: Option<String>,
    #[serde(rename = "accountNumber")]
    pub account_number: String,
    pub currency: String,
    pub balance: Option<i64>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub bvn: Option<String>,
    #[serde(rename = "authMethod")]
    pub auth_method: String,
    pub institution: WebhookInstitution,
    pub customer: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WebhookInstitution {
    pub name: String,
    #[serde(rename = "bankCode")]
    pub bank_code: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UpdatedMeta {
    pub data_status: String,
    pub auth_method: String,
    pub retrieved_data: Vec<String>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// After a refresh: `SUCCESSFUL`, `FAILED` or `REAUTHORISATION_REQUIRED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_status: Option<String>,
    /// After a real-time job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_new_data: Option<bool>,
}

/// `mono.events.webhook_test`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WebhookTestData {
    pub app: String,
    pub message: String,
}

/// `mono.events.account_income` (contract §3.2).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AccountIncomeData {
    pub account: String,
    pub app: String,
    pub business: String,
    #[serde(rename = "accountName")]
    pub account_name: Option<String>,
    #[serde(rename = "accountNumber")]
    pub account_number: String,
    pub income_summary: IncomeSummary,
    pub income_streams: Vec<IncomeStream>,
    pub annual_income: i64,
    pub monthly_income: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IncomeSummary {
    pub total_income: i64,
    pub employer: String,
}

/// One source of income: a salary, a regular transfer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct IncomeStream {
    /// `SALARY` or `OTHER`.
    pub income_type: String,
    /// `MONTHLY`, `WEEKLY`, `BIWEEKLY` or `VARIABLE`.
    pub frequency: String,
    pub aggregated_monthly_average: i64,
    pub average_income_amount: i64,
    pub stability: f64,
    pub first_income_date: String,
    pub last_income_date: String,
    pub last_income_amount: i64,
    pub last_income_description: String,
    pub periods_with_income: usize,
    pub number_of_incomes: usize,
    pub number_of_months: usize,
    pub currency: String,
}

/// `mono.events.account_credit_worthiness` (contract §3.2): the account and the assessment's
/// fields beside it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CreditWorthinessData {
    pub account: String,
    pub app: String,
    pub business: String,
    #[serde(flatten)]
    pub assessment: serde_json::Map<String, serde_json::Value>,
}

/// `mono.events.account_unlinked`: the account as both `id` and `_id` (Mono's docs show both).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AccountUnlinkedData {
    pub account: UnlinkedAccount,
    pub customer: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UnlinkedAccount {
    pub id: String,
    #[serde(rename = "_id")]
    pub mongo_id: String,
}

/// `mono.accounts.jobs.update`: a real-time job's state.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct JobsUpdateData {
    pub account: String,
    pub business: String,
    pub app: String,
    pub id: String,
    pub name: String,
    /// `processing`, `finished` or `failed`.
    pub status: String,
}

/// `mono.events.account_reauthorized`: the user logged in again.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AccountReauthorizedData {
    pub account: AccountRef,
    pub app: String,
    pub business: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AccountRef {
    #[serde(rename = "_id")]
    pub id: String,
}

/// `passbook.events.sync_updates_available`: a refresh changed the account's transactions;
/// `GET /passbook/v1/accounts/{id}/transactions/sync` from the cursor you stored gives the changes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SyncUpdatesAvailableData {
    pub account: String,
    /// Records new to the account (posted or pending).
    pub added: u64,
    /// Pending records that posted or changed.
    pub modified: u64,
    /// Pending records reversed.
    pub removed: u64,
}

/// `passbook.events.statement_flagged`: the statement file an account was linked from is
/// `altered` or `suspicious`; the signals say why (as on `passbook.source.integrity`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StatementFlaggedData {
    pub account: String,
    pub verdict: String,
    pub signals: Vec<crate::integrity::IntegritySignalOut>,
}
