//! What the operator console reads across apps: searches, link summaries and the raw figures
//! its charts are drawn from.
use super::InstitutionStatus;
use crate::Timestamp;

/// Which accounts to list; every given condition must hold.
#[derive(Debug, Clone, Default)]
pub struct AccountSearch {
    pub app_id: Option<String>,
    /// An account's id or its customer's id.
    pub id: Option<String>,
    pub account_number: Option<String>,
    /// A customer's e-mail, matched exactly (through the blind index).
    pub email: Option<String>,
    /// Only these customers (a search by name, worked out by the domain); `Some(empty)` matches
    /// nothing.
    pub customer_ids: Option<Vec<String>>,
}

/// Where a link stands, for the console's filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    InProgress,
    Linked,
    Failed,
    Expired,
}

impl LinkStatus {
    pub const ALL: [LinkStatus; 4] = [Self::InProgress, Self::Linked, Self::Failed, Self::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Linked => "linked",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Default)]
pub struct LinkFilter {
    pub app_id: Option<String>,
    pub status: Option<LinkStatus>,
    pub failure_reason: Option<String>,
    /// For `in_progress` and `expired`: the time now.
    pub now: Timestamp,
}

/// A link session without its sealed state: what the console lists.
#[derive(Debug, Clone)]
pub struct LinkSummary {
    pub id: String,
    pub app_id: String,
    pub mode: String,
    pub step: String,
    pub institution_id: Option<String>,
    pub failure_reason: Option<String>,
    pub reference: Option<String>,
    pub login_attempts: u32,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

/// One step a link reached, and what the user was told there (never what they typed).
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: Timestamp,
    pub step: String,
    pub note: Option<String>,
}

/// The raw figures of the console's overview and institution health, since some moment.
#[derive(Debug, Clone, Default)]
pub struct ConsoleFigures {
    /// Links started per day (days since the epoch) and the step they are at.
    pub links_by_day: Vec<(i64, String, u64)>,
    /// How many links reached each step.
    pub funnel: Vec<(String, u64)>,
    /// Links that did not (yet) link, by the last step they reached.
    pub dropped_at: Vec<(String, u64)>,
    /// Webhook attempts: latency and whether it was a 2xx.
    pub deliveries: Vec<(u64, bool)>,
    /// Finished data fetches: institution, duration, and whether it succeeded.
    pub fetches: Vec<(String, u64, bool)>,
    pub accounts_by_status: Vec<(String, u64)>,
    /// Links per institution and the step they are at.
    pub links_by_institution: Vec<(String, String, u64)>,
    /// Errors users were shown at login or challenge, per institution and message.
    pub login_errors: Vec<(String, String, u64)>,
    /// Each institution's latest failed fetch: when, and its failure code.
    pub last_failures: Vec<(String, Timestamp, String)>,
}

/// An operator's word on an institution's health.
#[derive(Debug, Clone)]
pub struct InstitutionOverride {
    pub institution_id: String,
    pub status: InstitutionStatus,
    pub updated_at: Timestamp,
}
