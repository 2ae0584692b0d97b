use crate::Timestamp;

/// A webhook event to write in the same transaction as the change it reports.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub app_id: String,
    pub account_id: Option<String>,
    pub event: String,
    /// The full JSON body to POST.
    pub payload: String,
    pub created_at: Timestamp,
}

/// An event claimed for delivery.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub id: String,
    pub app_id: String,
    pub account_id: Option<String>,
    pub event: String,
    pub payload: String,
    pub attempts: u32,
    pub created_at: Timestamp,
}

/// What happened when an event was sent.
#[derive(Debug, Clone)]
pub enum DeliveryOutcome {
    Delivered,
    Retry { at: Timestamp, error: String },
    GaveUp { error: String },
}

/// Background work, claimed with a lease so that a crashed worker's jobs run again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobKind {
    FetchAccount { account_id: String },
}

impl JobKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::FetchAccount { .. } => "fetch_account",
        }
    }

    pub fn subject(&self) -> &str {
        match self {
            Self::FetchAccount { account_id } => account_id,
        }
    }

    pub fn from_parts(name: &str, subject: String) -> Option<Self> {
        match name {
            "fetch_account" => Some(Self::FetchAccount { account_id: subject }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: String,
    pub kind: JobKind,
    pub run_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    pub attempts: u32,
}
