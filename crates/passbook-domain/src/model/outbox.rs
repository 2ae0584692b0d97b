use super::{AccountId, AppId, CustomerId, EventId, JobId, StatementId};
use crate::Timestamp;

/// A webhook event to write in the same transaction as the change it reports.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: EventId,
    pub app_id: AppId,
    pub account_id: Option<AccountId>,
    pub event: String,
    /// The full JSON body to POST.
    pub payload: String,
    pub created_at: Timestamp,
}

/// An event claimed for delivery.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub id: EventId,
    pub app_id: AppId,
    /// The version of the app when the event was claimed: every change of an app moves it on, so
    /// a worker that kept the app at this version need not read it again.
    pub app_version: i64,
    pub account_id: Option<AccountId>,
    /// Position among the account's events (1, 2, …), sent so receivers can order them.
    pub sequence: i64,
    pub event: String,
    pub payload: String,
    /// Attempts made so far in the current schedule (a replay starts a new one).
    pub attempts: u32,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    Pending,
    Delivered,
    Failed,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed].into_iter().find(|x| x.as_str() == s)
    }
}

/// An event as the events API shows it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: EventId,
    pub app_id: AppId,
    pub account_id: Option<AccountId>,
    pub sequence: i64,
    pub event: String,
    pub payload: String,
    pub status: EventStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// One POST of an event to the app's endpoint.
#[derive(Debug, Clone)]
pub struct DeliveryAttempt {
    pub attempted_at: Timestamp,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
    pub next_attempt_at: Option<Timestamp>,
    /// The start of what the endpoint answered.
    pub response_excerpt: Option<String>,
}

/// Filters of the events API, already validated.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub status: Option<EventStatus>,
    pub event: Option<String>,
    pub account: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// An attempt to record, with what follows from it for its event.
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    pub event_id: EventId,
    /// The event's app and account, as claimed: the account's next event is released when this
    /// one is finished.
    pub app_id: AppId,
    pub account_id: Option<AccountId>,
    pub attempt: DeliveryAttempt,
    pub outcome: DeliveryOutcome,
}

impl DeliveryRecord {
    /// The accounts whose next event may go once `records` are recorded: those of events
    /// delivered or given up on, each once, in one order (app, then account), so that two
    /// workers settling at once take the accounts' queues in the same order and never wait on
    /// each other.
    pub fn finished_accounts(records: &[DeliveryRecord]) -> Vec<(&str, &str)> {
        let mut finished: Vec<(&str, &str)> = records
            .iter()
            .filter(|r| !matches!(r.outcome, DeliveryOutcome::Retry { .. }))
            .filter_map(|r| Some((r.app_id.as_str(), r.account_id.as_deref()?)))
            .collect();
        finished.sort_unstable();
        finished.dedup();
        finished
    }
}

/// What a worker asks of a queue (the webhook outbox, the jobs): up to `limit` due rows, leased
/// until `lease_until`, with no app past `per_app` in flight over all workers.
#[derive(Debug, Clone, Copy)]
pub struct QueueClaim {
    pub now: Timestamp,
    pub lease_until: Timestamp,
    pub limit: u32,
    pub per_app: u32,
    /// How many times `per_app` the worker may lease of an app that no other worker holds
    /// leases of (it then sends at most `per_app` of them at once itself); 1 for the jobs.
    pub ahead: u32,
    /// The claiming worker, kept with each lease of the webhook outbox (the jobs ignore it).
    pub owner: i64,
}

impl QueueClaim {
    /// What the worker may lease of an app no other worker holds.
    pub fn allowance(&self) -> u32 {
        self.per_app.saturating_mul(self.ahead.max(1))
    }
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
    /// The first fetch after a link or a re-authorisation.
    FetchAccount { account_id: AccountId },
    /// The scheduled refresh.
    RefreshAccount { account_id: AccountId },
    /// A real-time sync asked for with `x-realtime: true`: of the balance, or of the
    /// transactions (`statement`).
    RealtimeSync { account_id: AccountId, statement: bool },
    /// Building a PDF statement.
    BuildStatement { statement_id: StatementId },
}

impl JobKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::FetchAccount { .. } => "fetch_account",
            Self::RefreshAccount { .. } => "refresh_account",
            Self::RealtimeSync { statement: false, .. } => "sync_balance",
            Self::RealtimeSync { statement: true, .. } => "sync_statement",
            Self::BuildStatement { .. } => "build_statement",
        }
    }

    /// The job's name as Mono reports it.
    pub fn mono_name(&self) -> String {
        format!("jobs.accounts.{}", self.name())
    }

    /// What the job is about: an account id, or a statement id.
    pub fn subject(&self) -> &str {
        match self {
            Self::FetchAccount { account_id }
            | Self::RefreshAccount { account_id }
            | Self::RealtimeSync { account_id, .. } => account_id,
            Self::BuildStatement { statement_id } => statement_id,
        }
    }

    /// The account the job fetches (none for a statement build).
    pub fn account_id(&self) -> Option<&AccountId> {
        match self {
            Self::FetchAccount { account_id }
            | Self::RefreshAccount { account_id }
            | Self::RealtimeSync { account_id, .. } => Some(account_id),
            Self::BuildStatement { .. } => None,
        }
    }

    pub fn from_parts(name: &str, subject: String) -> Option<Self> {
        match name {
            "fetch_account" => Some(Self::FetchAccount { account_id: subject.into() }),
            "refresh_account" => Some(Self::RefreshAccount { account_id: subject.into() }),
            "sync_balance" => Some(Self::RealtimeSync { account_id: subject.into(), statement: false }),
            "sync_statement" => Some(Self::RealtimeSync { account_id: subject.into(), statement: true }),
            "build_statement" => Some(Self::BuildStatement { statement_id: subject.into() }),
            _ => None,
        }
    }
}

/// How a claimed job ends. Written in the same transaction as what the job produced, and only
/// while the claim is still the job's latest (its attempt number): a worker whose lease ran out
/// and whose job was claimed again settles nothing and writes nothing.
#[derive(Debug, Clone)]
pub struct JobSettlement {
    pub job_id: JobId,
    pub attempt: u32,
    pub end: JobEnd,
}

#[derive(Debug, Clone)]
pub enum JobEnd {
    /// Finished; `outcome` (JSON) is what the jobs endpoint shows.
    Done { outcome: Option<String> },
    /// Out of attempts.
    Failed { reason: String },
}

impl JobSettlement {
    pub fn of(job: &Job, end: JobEnd) -> Self {
        Self { job_id: job.id.clone(), attempt: job.attempts, end }
    }
}

/// Whether a write that settles a job happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Yes,
    /// The job had been claimed again by another worker: nothing was written.
    TakenOver,
    /// Another fetch of the same account was saved after this one read the account's change
    /// feed: nothing was written, and the fetch's changes are to be worked out again.
    Raced,
    /// The account was linked again (a newer statement, a new consent) after the fetch read it:
    /// nothing was written, and the account is to be fetched again.
    Relinked,
}

/// A job as `GET /v2/accounts/{id}/jobs/{job_id}` shows it.
#[derive(Debug, Clone)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: JobKind,
    pub status: JobStatus,
    pub has_new_data: Option<bool>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Processing,
    Finished,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Finished => "finished",
            Self::Failed => "failed",
        }
    }
}

/// The outcome of a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    Successful,
    Failed,
    ReauthorisationRequired,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Successful => "SUCCESSFUL",
            Self::Failed => "FAILED",
            Self::ReauthorisationRequired => "REAUTHORISATION_REQUIRED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: JobId,
    /// Whose work it is: jobs are shared fairly between apps.
    pub app_id: AppId,
    pub kind: JobKind,
    pub run_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub attempts: u32,
}

/// A one-time code the widget hands to the app, exchanged for the account id.
#[derive(Debug, Clone)]
pub struct NewAuthCode {
    /// SHA-256 of the code.
    pub code_hash: String,
    pub app_id: AppId,
    pub account_id: AccountId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// An event with every attempt to deliver it.
#[derive(Debug, Clone)]
pub struct EventHistory {
    pub event: StoredEvent,
    pub attempts: Vec<DeliveryAttempt>,
}

/// What an exchange of an authorization code came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeExchange {
    /// The code was this app's, unused and unexpired; now it is used. The account it names.
    Exchanged {
        account_id: String,
    },
    Unknown,
    Expired,
    Used,
}

/// What a pass over the retention forgot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expired {
    /// Built PDF statements whose file was dropped.
    pub pdfs: u64,
    /// Finished jobs deleted.
    pub jobs: u64,
}

/// How many events are in one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCount {
    pub status: EventStatus,
    pub events: u64,
}

/// An earlier upload of the same file: which import, and for which customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierUpload {
    pub import_id: String,
    pub customer_id: CustomerId,
}

/// A PDF statement requested with `output=pdf`.
#[derive(Debug, Clone)]
pub struct StatementJob {
    pub id: StatementId,
    pub app_id: AppId,
    pub account_id: AccountId,
    pub months: u32,
    pub status: StatementStatus,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementStatus {
    Building,
    Built,
    Failed,
    /// Built, and kept past the retention: the file is gone.
    Expired,
}

impl StatementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Building => "BUILDING",
            Self::Built => "BUILT",
            Self::Failed => "FAILED",
            Self::Expired => "EXPIRED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Building, Self::Built, Self::Failed, Self::Expired].into_iter().find(|x| x.as_str() == s)
    }
}

/// A stored income report, for `GET /v2/accounts/{id}/income-records`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IncomeRecord {
    pub id: String,
    pub account_id: String,
    pub period_months: Option<u32>,
    pub report: serde_json::Value,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(app: &str, account: Option<&str>, outcome: DeliveryOutcome) -> DeliveryRecord {
        let attempt = DeliveryAttempt {
            attempted_at: Timestamp(1),
            status_code: None,
            latency_ms: 0,
            error: None,
            next_attempt_at: None,
            response_excerpt: None,
        };
        DeliveryRecord {
            event_id: "e".into(),
            app_id: app.into(),
            account_id: account.map(Into::into),
            attempt,
            outcome,
        }
    }

    #[test]
    fn accounts_of_finished_events_are_released_once_each_in_one_order() {
        let retry = DeliveryOutcome::Retry { at: Timestamp(2), error: "500".into() };
        let gave_up = DeliveryOutcome::GaveUp { error: "410".into() };
        let records = [
            record("app_b", Some("acc_1"), DeliveryOutcome::Delivered),
            record("app_a", Some("acc_2"), retry),
            record("app_a", None, DeliveryOutcome::Delivered),
            record("app_a", Some("acc_3"), gave_up),
            record("app_b", Some("acc_1"), DeliveryOutcome::Delivered),
        ];
        assert_eq!(DeliveryRecord::finished_accounts(&records), [("app_a", "acc_3"), ("app_b", "acc_1")]);
    }
}
