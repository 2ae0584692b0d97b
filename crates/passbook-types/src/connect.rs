//! The Connect widget's page (`/connect`) and code exchange (`POST /v2/accounts/auth`).
use serde::{Deserialize, Serialize};

/// The query string `@mono.co/connect.js` puts on its iframe (contract §4.2), as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExchangeRequest {
    pub code: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExchangeOut {
    pub id: String,
}
