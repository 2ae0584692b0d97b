//! `POST /v2/accounts/initiate`.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Every field is optional here so that the domain can name exactly what is missing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("anyOf" = [{"properties": {"scope": {"pattern": "^\\s*auth\\s*$"}}, "required": ["customer"]}, {"properties": {"scope": {"pattern": "^\\s*reauth\\s*$"}}, "required": ["account"]}]))]
pub struct InitiateRequest {
    pub customer: Option<CustomerIn>,
    pub meta: Option<RefMeta>,
    #[schemars(required, pattern(r"^\s*(auth|reauth)\s*$"))]
    pub scope: Option<String>,
    #[schemars(pattern(crate::patterns::HTTP_URL))]
    pub redirect_url: Option<String>,
    pub institution: Option<InstitutionChoice>,
    #[schemars(pattern(crate::patterns::OBJECT_ID))]
    pub account: Option<String>,
    pub check_account_match: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "LinkCustomer")]
#[schemars(extend("anyOf" = [{"required": ["id"]}, {"required": ["name", "email"]}]))]
pub struct CustomerIn {
    #[schemars(pattern(crate::patterns::OBJECT_ID))]
    pub id: Option<String>,
    #[schemars(length(max = 200), pattern(crate::patterns::TEXT))]
    pub name: Option<String>,
    #[schemars(length(max = 254), pattern(crate::patterns::EMAIL))]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct RefMeta {
    #[serde(rename = "ref")]
    #[schemars(length(max = 100), pattern(crate::patterns::TEXT))]
    pub reference: Option<String>,
}

/// `meta` of the answer: the reference given, or null.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ReferenceOut {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("required" = ["id"]))]
pub struct InstitutionChoice {
    #[schemars(pattern(crate::patterns::OBJECT_ID))]
    pub id: Option<String>,
    #[schemars(pattern(crate::patterns::AUTH_METHOD))]
    pub auth_method: Option<String>,
    pub account_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InitiateResponse {
    pub mono_url: String,
    pub customer: String,
    pub meta: ReferenceOut,
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
