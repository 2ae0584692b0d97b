//! The Partners API (`/v2/connect/*`): linking without the widget (contract §1.17).
use serde::{Deserialize, Serialize};

use crate::linking::CustomerIn;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionRequest {
    pub institution: Option<String>,
    pub auth_method: Option<String>,
    pub scope: Option<String>,
    pub customer: Option<CustomerIn>,
    pub meta: Option<crate::linking::RefMeta>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReauthSessionRequest {
    pub account: Option<String>,
}

/// The Partners API's envelope: `responseCode` sits at the top level.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerAnswer {
    pub status: String,
    pub message: String,
    pub timestamp: String,
    #[serde(rename = "responseCode")]
    pub response_code: u16,
    pub data: serde_json::Value,
}
