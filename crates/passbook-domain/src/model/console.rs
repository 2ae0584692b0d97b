//! What the operator console reads across apps: searches, link summaries and the raw figures
//! its charts are drawn from.
use super::InstitutionStatus;
use super::{AppId, CustomerId, SessionId};
use crate::Timestamp;

/// Which accounts to list; every given condition must hold.
#[derive(Debug, Clone, Default)]
pub struct AccountSearch {
    pub app_id: Option<AppId>,
    /// An account's id or its customer's id.
    pub id: Option<String>,
    pub account_number: Option<String>,
    /// A customer's e-mail, matched exactly (through the blind index).
    pub email: Option<String>,
    /// Only these customers (a search by name, worked out by the domain); `Some(empty)` matches
    /// nothing.
    pub customer_ids: Option<Vec<CustomerId>>,
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
    pub app_id: Option<AppId>,
    pub status: Option<LinkStatus>,
    pub failure_reason: Option<String>,
    /// For `in_progress` and `expired`: the time now.
    pub now: Timestamp,
}

/// A link session without its sealed state: what the console lists.
#[derive(Debug, Clone)]
pub struct LinkSummary {
    pub id: SessionId,
    pub app_id: AppId,
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

/// The steps a link's timeline names, in the order a user meets them: `intro` (not yet agreed)
/// before the link machine's steps. A session keeps the steps it reached as a bit set
/// (`reached`), bit `i` for step `i` of this list.
pub const TIMELINE_STEPS: [&str; 12] = [
    "intro",
    "choose_institution",
    "choose_auth_method",
    "login",
    "challenge",
    "upload_statement",
    "review_statement",
    "consent",
    "awaiting_consent",
    "select_accounts",
    "linked",
    "failed",
];

/// The bit of a timeline step in a session's `reached` set.
pub fn timeline_bit(step: &str) -> i64 {
    TIMELINE_STEPS.iter().position(|s| *s == step).map_or(0, |i| 1 << i)
}

/// The raw figures of the console's overview, since some moment.
#[derive(Debug, Clone, Default)]
pub struct OverviewFigures {
    /// Links counted by the day they started and where they went.
    pub links: Vec<LinkGroup>,
    /// Webhook attempts: latency and whether it was a 2xx.
    pub deliveries: Vec<Sample>,
    /// Finished data fetches, by institution.
    pub fetches: Vec<(String, Sample)>,
    pub accounts_by_status: Vec<(String, u64)>,
}

/// Timings that took the same milliseconds and ended the same way, counted once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sample {
    pub ms: u64,
    pub ok: bool,
    pub count: u64,
}

/// How many links started on one day are at one step, reached the same steps, and last stood at
/// the same step before failing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkGroup {
    /// Days since the epoch.
    pub day: i64,
    pub step: String,
    /// The [`TIMELINE_STEPS`] reached, as bits.
    pub reached: i64,
    pub last_step: Option<String>,
    pub count: u64,
}

/// The raw figures of each institution's health, since some moment.
#[derive(Debug, Clone, Default)]
pub struct HealthFigures {
    /// Links per institution and the step they are at.
    pub links_by_institution: Vec<(String, String, u64)>,
    /// Errors users were shown at login or challenge, per institution and message.
    pub login_errors: Vec<(String, String, u64)>,
    /// Finished data fetches, by institution.
    pub fetches: Vec<(String, Sample)>,
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
