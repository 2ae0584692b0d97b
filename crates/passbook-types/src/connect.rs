//! The Connect widget's page (`/connect`) and code exchange (`POST /v2/accounts/auth`).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The query string `@mono.co/connect.js` puts on its iframe (contract §4.2), as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct WidgetQuery {
    pub key: Option<String>,
    pub scope: Option<String>,
    /// JSON: `{"customer": {"id"} | {"name", "email"}}`.
    pub data: Option<String>,
    pub reference: Option<String>,
    /// JSON: `{"id", "auth_method"}`.
    #[serde(rename = "selectedInstitution")]
    pub selected_institution: Option<String>,
    pub version: Option<String>,
    /// The parent page's URL; its origin receives the widget's messages.
    pub referrer: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ExchangeRequest {
    #[schemars(required, length(min = 1))]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ExchangeOut {
    pub id: String,
}

/// `POST /v2/accounts/auth`: Mono's clients read `data.id`; some read a top-level `id`, so both
/// are sent.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ExchangeAnswer {
    #[serde(flatten)]
    pub envelope: crate::Success<ExchangeOut>,
    pub id: String,
}

/// `GET /v2/connect/sandbox`: the sandbox's logins and the answers its challenges take.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SandboxOut {
    pub credentials: Vec<SandboxLogin>,
    pub inputs: Vec<SandboxInput>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SandboxLogin {
    #[serde(rename = "hasMultipleAccounts")]
    pub has_multiple_accounts: bool,
    pub description: String,
    pub values: SandboxValues,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SandboxValues {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SandboxInput {
    pub name: String,
    pub value: String,
}
