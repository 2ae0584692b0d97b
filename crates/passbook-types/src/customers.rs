//! `/v2/customers` (contract §1.15).
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct IdentityIn {
    #[serde(rename = "type")]
    #[schemars(required, pattern(r"^bvn$"))]
    pub kind: Option<String>,
    #[schemars(required, pattern(crate::patterns::BVN))]
    pub number: Option<String>,
}

/// `POST /v2/customers` and `PATCH /v2/customers/{id}`, as sent. Older clients send camelCase
/// names, which are accepted too.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("anyOf" = [{"properties": {"type": {"pattern": "^\\s*business\\s*$"}}, "required": ["type", "business_name"]}, {"properties": {"type": {"pattern": "^\\s*(individual)?\\s*$"}}, "required": ["first_name", "last_name"]}]))]
pub struct CustomerIn {
    #[schemars(required, length(max = 254), pattern(crate::patterns::EMAIL))]
    pub email: Option<String>,
    #[serde(alias = "firstName")]
    #[schemars(length(max = 200), pattern(crate::patterns::TEXT))]
    pub first_name: Option<String>,
    #[serde(alias = "lastName")]
    #[schemars(length(max = 200), pattern(crate::patterns::TEXT))]
    pub last_name: Option<String>,
    #[serde(alias = "businessName")]
    #[schemars(length(max = 200), pattern(crate::patterns::TEXT))]
    pub business_name: Option<String>,
    #[schemars(length(max = 100), pattern(crate::patterns::TEXT))]
    pub address: Option<String>,
    #[schemars(pattern(crate::patterns::PHONE))]
    pub phone: Option<String>,
    pub identity: Option<IdentityIn>,
    #[serde(rename = "type")]
    #[schemars(pattern(crate::patterns::CUSTOMER_TYPE))]
    pub kind: Option<String>,
}

/// `PATCH /v2/customers/{id}`, as sent: at least one field. The e-mail address cannot change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("minProperties" = 1))]
pub struct CustomerChanges {
    /// Read only to refuse it by name.
    #[schemars(skip)]
    pub email: Option<String>,
    #[serde(alias = "firstName")]
    #[schemars(length(max = 200), pattern(crate::patterns::TEXT))]
    pub first_name: Option<String>,
    #[serde(alias = "lastName")]
    #[schemars(length(max = 200), pattern(crate::patterns::TEXT))]
    pub last_name: Option<String>,
    #[serde(alias = "businessName")]
    #[schemars(length(max = 200), pattern(crate::patterns::TEXT))]
    pub business_name: Option<String>,
    #[schemars(length(max = 100), pattern(crate::patterns::TEXT))]
    pub address: Option<String>,
    #[schemars(pattern(crate::patterns::PHONE))]
    pub phone: Option<String>,
    pub identity: Option<IdentityIn>,
    #[serde(rename = "type")]
    #[schemars(pattern(crate::patterns::CUSTOMER_TYPE))]
    pub kind: Option<String>,
}

impl From<CustomerChanges> for CustomerIn {
    fn from(c: CustomerChanges) -> Self {
        Self {
            email: c.email,
            first_name: c.first_name,
            last_name: c.last_name,
            business_name: c.business_name,
            address: c.address,
            phone: c.phone,
            identity: c.identity,
            kind: c.kind,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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
