//! `POST /v2/accounts/initiate`.
use serde::{Deserialize, Serialize};

/// Every field is optional here so that the domain can name exactly what is missing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InitiateRequest {
    pub customer: Option<CustomerIn>,
    pub meta: Option<RefMeta>,
    pub scope: Option<String>,
    pub redirect_url: Option<String>,
    pub institution: Option<InstitutionChoice>,
    pub account: Option<String>,
    pub check_account_match: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CustomerIn {
    pub id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RefMeta {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InstitutionChoice {
    pub id: Option<String>,
    pub auth_method: Option<String>,
    pub account_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InitiateResponse {
    pub mono_url: String,
    pub customer: String,
    pub meta: RefMeta,
    pub scope: String,
    pub redirect_url: Option<String>,
    /// Re-authorisation only: the account, its institution and auth method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<String>,
    pub created_at: String,
}
