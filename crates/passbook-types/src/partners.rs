//! The Partners API (`/v2/connect/*`): linking without the widget (contract §1.17).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::linking::CustomerIn;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct SessionRequest {
    #[schemars(required, pattern(crate::patterns::OBJECT_ID))]
    pub institution: Option<String>,
    #[schemars(pattern(crate::patterns::AUTH_METHOD))]
    pub auth_method: Option<String>,
    #[schemars(pattern(r"^(financial_data)?$"))]
    pub scope: Option<String>,
    #[schemars(required)]
    pub customer: Option<CustomerIn>,
    pub meta: Option<crate::linking::RefMeta>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ReauthSessionRequest {
    #[schemars(required, pattern(crate::patterns::OBJECT_ID))]
    pub account: Option<String>,
}

/// The Partners API's envelope: `responseCode` sits at the top level.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PartnerAnswer {
    pub status: String,
    pub message: String,
    pub timestamp: String,
    #[serde(rename = "responseCode")]
    pub response_code: u16,
    pub data: serde_json::Value,
}

/// `data` of `POST /v2/connect/session` and `/v2/connect/reauth/session`: a session to log in
/// with, or (re-authorisation the bank renewed without the user) the code at once.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SessionAnswer {
    Created(SessionCreated),
    Renewed(SessionRenewed),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SessionCreated {
    pub session: SessionOut,
    pub ui: SessionUi,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SessionOut {
    /// Send it back as `x-session-id`.
    pub id: String,
    pub scope: String,
    /// Unix milliseconds.
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
    pub institution: Option<SessionInstitution>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SessionInstitution {
    pub id: String,
    pub name: String,
    pub identifier: String,
}

/// The login form to fill in and send to `POST /v2/connect/login`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SessionUi {
    pub title: Option<String>,
    pub form: Vec<crate::institutions::FormElement>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SessionRenewed {
    /// Always 99: linked.
    #[serde(rename = "responseCode")]
    pub response_code: u16,
    /// Exchange it at `POST /v2/accounts/auth`.
    pub code: String,
}
