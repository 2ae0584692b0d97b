//! `/v2/customers` (contract §1.15).
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdentityIn {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub number: Option<String>,
}

/// `POST /v2/customers` and `PATCH /v2/customers/{id}`, as sent. Older clients send camelCase
/// names, which are accepted too.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CustomerIn {
    pub email: Option<String>,
    #[serde(alias = "firstName")]
    pub first_name: Option<String>,
    #[serde(alias = "lastName")]
    pub last_name: Option<String>,
    #[serde(alias = "businessName")]
    pub business_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub identity: Option<IdentityIn>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomerOut {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_name: Option<String>,
    pub email: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub identification_no: Option<String>,
    pub identification_type: Option<String>,
    pub bvn: Option<String>,
    pub created_at: String,
}
