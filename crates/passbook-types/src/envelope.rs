use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `{"status":"successful","message":…,"timestamp":…,"data":…,"meta"?:…}`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Success_{T}")]
pub struct Success<T, M = serde_json::Value> {
    pub status: String,
    pub message: String,
    pub timestamp: String,
    pub data: T,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<M>,
}

impl<T, M> Success<T, M> {
    pub fn new(message: impl Into<String>, timestamp: String, data: T) -> Self {
        Self { status: "successful".into(), message: message.into(), timestamp, data, meta: None }
    }

    pub fn with_meta(mut self, meta: M) -> Self {
        self.meta = Some(meta);
        self
    }
}

/// `{"status":"failed","message":…,"timestamp":…,"data":null}`; validation errors carry
/// `[{"field":…,"message":…}]` in `data`, as Mono does.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Failure {
    pub status: String,
    pub message: String,
    pub timestamp: String,
    pub data: Option<Vec<FieldError>>,
}

impl Failure {
    pub fn new(message: impl Into<String>, timestamp: String) -> Self {
        Self { status: "failed".into(), message: message.into(), timestamp, data: None }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// `meta` of `GET /v2/accounts/{id}/transactions`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PageMeta {
    pub total: u64,
    pub page: u64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// `meta` of list endpoints such as `GET /v2/accounts`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ListMeta {
    pub total: u64,
    pub pages: u64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// The query string of list endpoints (`GET /v2/accounts`, `GET /v2/customers`), as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct PageQuery {
    /// The page, from 1.
    #[schemars(pattern(crate::patterns::PAGE))]
    pub page: Option<String>,
}
