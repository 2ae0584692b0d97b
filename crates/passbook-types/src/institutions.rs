//! `GET /v3/institutions` items.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InstitutionOut {
    #[serde(rename = "_id")]
    pub mongo_id: String,
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub icon: Option<String>,
    pub identifier: String,
    pub bank_code: String,
    pub nip_code: String,
    pub country: String,
    pub primary_color: String,
    pub status: String,
    pub scope: Vec<ScopeOut>,
    pub auth_methods: Vec<AuthMethodOut>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScopeOut {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AuthMethodOut {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub ui: LoginUi,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LoginUi {
    pub title: String,
    pub form: Vec<FormElement>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FormElement {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub hint: String,
    #[serde(rename = "contentType")]
    pub content_type: String,
}

/// The query string of `GET /v3/institutions`, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct InstitutionsQuery {
    /// `financial_data` (the only scope).
    #[schemars(pattern(r"^\s*(financial_data)?\s*$"))]
    pub scope: Option<String>,
    /// A CBN bank code or NIP code.
    #[schemars(pattern(crate::patterns::TEXT))]
    pub bank_code: Option<String>,
    /// Only institutions with this way in.
    #[schemars(pattern(crate::patterns::AUTH_METHOD))]
    pub auth_method: Option<String>,
    /// Part of the name.
    #[schemars(pattern(crate::patterns::TEXT))]
    pub name: Option<String>,
}
