//! Webhook payloads (camelCase and `_id` inside account objects, as Mono sends them).
use serde::{Deserialize, Serialize};

pub const ACCOUNT_CONNECTED: &str = "mono.events.account_connected";
pub const ACCOUNT_UPDATED: &str = "mono.events.account_updated";
pub const WEBHOOK_TEST: &str = "mono.events.webhook_test";
pub const ACCOUNT_UNLINKED: &str = "mono.events.account_unlinked";
pub const ACCOUNT_REAUTHORIZED: &str = "mono.events.account_reauthorized";
pub const JOBS_UPDATE: &str = "mono.accounts.jobs.update";
pub const ACCOUNT_INCOME: &str = "mono.events.account_income";
pub const ACCOUNT_CREDIT_WORTHINESS: &str = "mono.events.account_credit_worthiness";

/// The body POSTed to the app's webhook URL.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookEvent<T> {
    pub event: String,
    pub event_id: String,
    pub timestamp: String,
    pub data: T,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountConnectedData {
    pub id: String,
    pub customer: String,
    pub meta: ConnectedMeta,
    pub app: String,
    pub business: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectedMeta {
    pub data_status: String,
    pub auth_method: String,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountUpdatedData {
    pub account: WebhookAccount,
    pub meta: UpdatedMeta,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookInstitution {
    pub name: String,
    #[serde(rename = "bankCode")]
    pub bank_code: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
