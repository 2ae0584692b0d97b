//! The storage port. Each method is one unit of work: where a change and the webhook event
//! that reports it must land together, one method writes both in one transaction.
use async_trait::async_trait;

use crate::Result;
use crate::Timestamp;
use crate::model::{
    Account, AccountId, AccountSearch, AccountVersion, AccountWithCustomer, App, AppId, AttemptKind, AuditEntry,
    CodeExchange, Customer, CustomerId, DataKind, DataStatus, DeliveryRecord, EarlierUpload, EventCount, EventFilter,
    EventHistory, EventId, Expired, FetchFailure, GrantId, HealthFigures, Identity, ImportId, IncomeRecord,
    InstitutionId, InstitutionOverride, InstitutionStatus, Invite, Job, JobId, JobRecord, JobSettlement, LinkFilter,
    LinkSession, LinkSummary, LiveSession, NewAccount, NewAuthCode, NewEvent, NewJob, Operator, OperatorId,
    OperatorRecord, OperatorSession, OverviewFigures, Page, PageRequest, PendingEvent, QueueClaim, Role, SessionId,
    Settled, StatementId, StatementJob, StoredEvent, StoredIdentity, TimelineEntry, Transaction, TransactionFilter,
};

/// Changes a data fetch makes to an account.
#[derive(Debug, Clone)]
pub struct FetchUpdate {
    pub account_id: AccountId,
    pub balance: Option<i64>,
    pub identity: Option<Identity>,
    pub kind: Option<String>,
    pub bvn: Option<String>,
    pub data_status: DataStatus,
    pub retrieved_data: Vec<DataKind>,
    pub needs_reauth: bool,
    /// `None`: the fetch succeeded.
    pub failure: Option<FetchFailure>,
    /// The connector's new handle for the account (a refreshed token), kept with the data.
    pub connector_ref: Option<String>,
    /// The account's `authorised_at` when the fetch read it: linked again since, the save is
    /// refused (`Settled::Relinked`), since what the fetch read is the old link's.
    pub linked_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What creating a link session came to. The store reports it; the domain words the refusals.
#[derive(Debug)]
pub enum SessionCreated {
    /// Created, for this customer (found by e-mail, or new), or for none yet (a customer the
    /// widget only named).
    Created(Option<Box<Customer>>),
    /// The app used this reference for another hosted link.
    ReferenceTaken,
}

/// A sandbox clock move: `by_ms` ahead, at most `max_ms` ahead in all; refreshes every
/// `step_ms` of the days crossed, `now` being the time the move is made.
#[derive(Debug, Clone, Copy)]
pub struct SandboxMove {
    pub by_ms: i64,
    pub max_ms: i64,
    pub step_ms: i64,
    pub now: Timestamp,
}

/// The refreshes a sandbox clock still owes: the next at sandbox time `at`, the last no later
/// than `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatchUp {
    pub at: Timestamp,
    pub until: Timestamp,
}

/// What saving a link session came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSaved {
    Saved,
    /// It was completed (linked or failed) meanwhile.
    AlreadyEnded,
    /// Another request of the link saved it since it was read.
    Changed,
}

/// What deleting a customer came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerDeleted {
    Deleted,
    NotFound,
    /// It still has this many linked accounts; nothing was deleted.
    HasAccounts(u64),
}

/// An answer kept for replay under an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// What an `Idempotency-Key` says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The first request with the key: run it (and keep its answer).
    Started,
    /// The same request again: here is the first answer.
    Replay(StoredAnswer),
    /// The first request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// The apps: keys, webhook settings, refresh interval.
#[async_trait]
pub trait AppStore: Send + Sync {
    /// Inserts the app with its audit line.
    async fn insert_app(&self, app: &App, audit: &AuditEntry) -> Result<()>;
    async fn list_apps(&self) -> Result<Vec<App>>;
    async fn app(&self, id: &AppId) -> Result<Option<App>>;
    /// The app whose secret key, or previous key still in its overlap at `now`, has this hash.
    async fn app_by_secret_hash(&self, hash: &str, now: Timestamp) -> Result<Option<App>>;
    async fn rename_app(&self, app_id: &AppId, name: &str, audit: &AuditEntry) -> Result<bool>;
    /// Makes `hash` the app's secret key; the current key keeps working until `overlap_until`.
    async fn rotate_secret_key(
        &self,
        app_id: &AppId,
        hash: &str,
        hint: &str,
        overlap_until: Timestamp,
        audit: &AuditEntry,
    ) -> Result<bool>;
    async fn app_by_public_key(&self, key: &str) -> Result<Option<App>>;
    /// Sets or clears the app's webhook URL; false if there is no such app. Changes that carry an
    /// audit line write it in their transaction.
    async fn set_webhook_url(&self, app_id: &AppId, url: Option<&str>, audit: &AuditEntry) -> Result<bool>;
    /// Makes `secret` the app's webhook secret; the old one keeps signing until `overlap_until`.
    async fn rotate_webhook_secret(
        &self,
        app_id: &AppId,
        secret: &str,
        overlap_until: Timestamp,
        audit: &AuditEntry,
    ) -> Result<bool>;
    async fn set_refresh_interval(&self, app_id: &AppId, hours: u32, audit: Option<&AuditEntry>) -> Result<bool>;
    /// How far the app's sandbox clock is ahead of the time now, in milliseconds.
    async fn sandbox_offset(&self, app_id: &AppId) -> Result<i64>;
    /// Moves the app's sandbox clock ahead, unless that takes it past the bound (`None`), and
    /// extends its catch-up to the new time; the new offset.
    async fn advance_sandbox_clock(&self, app_id: &AppId, by: &SandboxMove, audit: &AuditEntry) -> Result<Option<i64>>;
    /// The refreshes the app's clock moves still owe, if any.
    async fn sandbox_catch_up(&self, app_id: &AppId) -> Result<Option<CatchUp>>;
    /// Records the step at `at` done (the next at `next`, or none past the catch-up's end),
    /// unless another process recorded it first (false).
    async fn sandbox_step_done(&self, app_id: &AppId, at: Timestamp, next: Timestamp, now: Timestamp) -> Result<bool>;
    /// Apps whose catch-up nobody has moved on since `before`, each claimed for this process.
    async fn claim_stalled_catch_ups(&self, before: Timestamp, now: Timestamp) -> Result<Vec<AppId>>;
}

/// An app's customers.
#[async_trait]
pub trait CustomerStore: Send + Sync {
    async fn customer(&self, app_id: &AppId, id: &CustomerId) -> Result<Option<Customer>>;
    /// False (and nothing written) when the app already has a customer with this e-mail.
    async fn insert_customer(&self, customer: &Customer) -> Result<bool>;
    /// The app's customer with this customer's e-mail, created from it if there is none.
    async fn customer_by_email_or_new(&self, customer: &Customer) -> Result<Customer>;
    async fn update_customer(&self, customer: &Customer) -> Result<()>;
    async fn list_customers(&self, app_id: &AppId, page: PageRequest) -> Result<Page<Customer>>;
    /// Deletes the customer and its link sessions, unless it has linked accounts.
    async fn delete_customer(&self, app_id: &AppId, id: &CustomerId) -> Result<CustomerDeleted>;
}

/// Link sessions, their attempts and widget messages, and the codes the widget hands out.
#[async_trait]
pub trait LinkStore: Send + Sync {
    /// Inserts the session for `customer`, in one transaction with the customer: the app's
    /// customer with this e-mail (created from `customer` if there is none). Without a customer,
    /// the session's context names one for later.
    async fn create_link_session(&self, customer: Option<&Customer>, session: &LinkSession) -> Result<SessionCreated>;
    async fn link_session(&self, id: &SessionId) -> Result<Option<LinkSession>>;
    /// Saves the session's progress over the version it was read at (and bumps the version),
    /// unless it was completed or saved by another request meanwhile.
    async fn save_link_session(&self, session: &mut LinkSession) -> Result<SessionSaved>;
    /// Takes the widget messages the session's actions queued (they are written with each
    /// save), oldest first; a second call gets only what was queued since.
    /// Counts one more attempt of `kind` unless `max` were made; returns the new count, or
    /// `None` at the cap (or once the session is finished). One statement: parallel requests
    /// each get their own number.
    async fn count_link_attempt(&self, session_id: &SessionId, kind: AttemptKind, max: u32) -> Result<Option<u32>>;
    /// Gives back an attempt the bank never judged.
    async fn refund_link_attempt(&self, session_id: &SessionId, kind: AttemptKind) -> Result<()>;
    /// Marks the session finished and, in the same transaction, creates or re-links its
    /// accounts and writes their events and jobs; nothing when the save is refused.
    async fn complete_link_session(
        &self,
        session: &mut LinkSession,
        accounts: &[NewAccount],
        events: &[NewEvent],
        jobs: &[NewJob],
        code: Option<&NewAuthCode>,
    ) -> Result<SessionSaved>;
    /// Marks the app's code used and returns its account id, once; or why not.
    async fn exchange_auth_code(&self, app_id: &AppId, code_hash: &str, now: Timestamp) -> Result<CodeExchange>;
}

/// Linked accounts, their identities and transactions.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// An account of this app; another app's account is `None`.
    async fn account(&self, app_id: &AppId, id: &AccountId) -> Result<Option<Account>>;
    /// The version of an account of this app, without the rest of it.
    async fn account_version(&self, app_id: &AppId, id: &AccountId) -> Result<Option<AccountVersion>>;
    async fn account_by_id(&self, id: &AccountId) -> Result<Option<Account>>;
    /// The app's accounts with this number (at most `limit`, newest first).
    async fn accounts_with_number(&self, app_id: &AppId, number: &str, limit: u32) -> Result<Vec<Account>>;
    /// The id of the customer's account with this number at this institution, if linked before.
    async fn find_account_id(
        &self,
        app_id: &AppId,
        customer_id: &CustomerId,
        institution_id: &InstitutionId,
        account_number: &str,
    ) -> Result<Option<AccountId>>;
    async fn list_accounts(&self, app_id: &AppId, page: PageRequest) -> Result<Page<AccountWithCustomer>>;
    async fn identity(&self, account_id: &AccountId) -> Result<Option<StoredIdentity>>;
    /// Deletes the account with its transactions, identity, jobs, codes and earlier events,
    /// writes `event` and an audit line naming `actor`, in one transaction.
    async fn unlink_account(&self, account: &Account, event: &NewEvent, actor: &str) -> Result<()>;
    async fn transactions(
        &self,
        account_id: &AccountId,
        filter: &TransactionFilter,
        page: PageRequest,
        total_hint: u64,
    ) -> Result<Page<Transaction>>;
    /// Applies a fetch: the account's new state, the changes to its transactions (posted
    /// and pending records, and the change log), the events that report it and, when given, the
    /// end of the job that fetched it, all in one transaction. Nothing at all is written when
    /// the job was taken over, or when the account's change log has moved past
    /// `changes.after_seq` (`Settled::Raced`).
    async fn save_fetch(
        &self,
        update: &FetchUpdate,
        changes: &crate::sync::TransactionChanges,
        events: &[NewEvent],
        settles: Option<&JobSettlement>,
    ) -> Result<Settled>;
    /// The account's change log position and pending records.
    async fn sync_state(&self, account_id: &AccountId) -> Result<crate::sync::SyncState>;
    /// Up to `limit` changes of the account's log after number `after`, in order.
    async fn transaction_changes(
        &self,
        account_id: &AccountId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<crate::sync::LoggedChange>>;
    /// Which of these fingerprints the account already has.
    async fn known_fingerprints(
        &self,
        account_id: &AccountId,
        fingerprints: &[String],
    ) -> Result<std::collections::HashSet<String>>;
}

/// Background jobs, claimed with leases.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Claims due jobs fairly over apps; no app holds more than `per_app` at once.
    async fn claim_jobs(&self, claim: &QueueClaim) -> Result<Vec<Job>>;
    /// Keeps the lease of a running job (claimed as `attempt`); false when it is no longer ours.
    async fn extend_job_lease(&self, id: &JobId, attempt: u32, until: Timestamp) -> Result<bool>;
    /// How many of the app's jobs are waiting or running.
    async fn pending_jobs(&self, app_id: &AppId) -> Result<u64>;
    /// Ends a job that wrote nothing else (or whose writes were their own transactions).
    async fn settle_job(&self, settlement: &JobSettlement, at: Timestamp) -> Result<Settled>;
    /// Queues the job, unless one of its kind about its subject is pending: returns the id of
    /// the job that will do the work. The audit line, if any, is written with it.
    async fn insert_job(&self, job: &NewJob, audit: Option<&AuditEntry>) -> Result<JobId>;
    async fn job(&self, account_id: &AccountId, id: &JobId) -> Result<Option<JobRecord>>;
    /// Queues a real-time sync of the job's account unless one was started at or after `since`;
    /// returns the id of the job that answers. Parallel requests for one account queue one job.
    async fn insert_realtime_job(&self, job: &NewJob, since: Timestamp) -> Result<JobId>;
    /// Moves each account whose refresh is due to its next slot and queues a refresh job for
    /// it, in one transaction; returns how many.
    async fn schedule_refreshes(&self, now: Timestamp, limit: u32) -> Result<u64>;
    /// Puts the job (claimed as `attempt`) back in the queue for `at`.
    async fn retry_job(&self, id: &JobId, attempt: u32, at: Timestamp, error: &str) -> Result<Settled>;
}

/// Income reports and PDF statements.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Keeps the report and writes its event, in one transaction.
    async fn insert_income_record(&self, app_id: &AppId, record: &IncomeRecord, event: &NewEvent) -> Result<()>;
    async fn income_records(
        &self,
        app_id: &AppId,
        account_id: &AccountId,
        page: PageRequest,
    ) -> Result<Page<IncomeRecord>>;
    /// Records a statement to build and queues its job, in one transaction; when the same
    /// statement (account and period) is being built already, returns that one instead.
    /// Queues the build, or joins the account's identical one waiting; `None` when the account
    /// has had `limit.0` builds since `limit.1` already.
    async fn insert_statement(
        &self,
        statement: &StatementJob,
        job: &NewJob,
        limit: (u32, Timestamp),
    ) -> Result<Option<StatementJob>>;
    async fn statement(&self, app_id: &AppId, account_id: &AccountId, id: &StatementId)
    -> Result<Option<StatementJob>>;
    async fn statement_by_id(&self, id: &StatementId) -> Result<Option<StatementJob>>;
    /// Stores the built PDF (`None`: the build failed).
    async fn finish_statement(&self, id: &StatementId, pdf: Option<&[u8]>, at: Timestamp) -> Result<()>;
    async fn statement_pdf(&self, id: &StatementId) -> Result<Option<Vec<u8>>>;
    /// Forgets the PDFs built before `before` (their statements become `EXPIRED`) and the jobs
    /// that finished before it; how many of each.
    async fn expire_statements_and_jobs(&self, before: Timestamp) -> Result<Expired>;
}

/// Uploaded statements: what was read from each file, for the accounts linked from it.
#[async_trait]
pub trait ImportStore: Send + Sync {
    async fn insert_statement_import(&self, import: &crate::statement_file::StatementImport) -> Result<()>;
    async fn statement_import(
        &self,
        app_id: &AppId,
        id: &ImportId,
    ) -> Result<Option<crate::statement_file::StatementImport>>;
    /// The app's earlier imports of a file with this SHA-256: (import id, customer id).
    async fn statement_imports_of_file(&self, app_id: &AppId, sha256: &str) -> Result<Vec<EarlierUpload>>;
    /// The import's summary alone (its rows are not read).
    async fn statement_import_summary(
        &self,
        app_id: &AppId,
        id: &ImportId,
    ) -> Result<Option<crate::statement_file::ImportSummary>>;
}

/// The webhook outbox and its delivery log.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Claims up to `limit` due events, with no app past `per_app` in flight over all workers;
    /// an event waits while an earlier one about the same account is still pending, so that
    /// each account's events are delivered in order.
    async fn claim_events(&self, claim: &QueueClaim) -> Result<Vec<PendingEvent>>;
    /// Records attempts and what follows from each, in one transaction.
    async fn record_deliveries(&self, records: &[DeliveryRecord]) -> Result<()>;
    /// Records attempts (as [`Self::record_deliveries`]) and claims the next due events (as
    /// [`Self::claim_events`], with the recorded deliveries no longer in flight), in one
    /// transaction.
    async fn record_and_claim_events(
        &self,
        records: &[DeliveryRecord],
        claim: &QueueClaim,
    ) -> Result<Vec<PendingEvent>>;
    /// Ends `owner`'s leases of these events, not sent: they are due again at once.
    async fn release_events(&self, ids: &[EventId], owner: i64) -> Result<()>;
    /// Writes an event that reports no other change (such as a webhook test), and the audit line
    /// of the action that sent it, if any.
    async fn insert_event(&self, event: &NewEvent, audit: Option<&AuditEntry>) -> Result<()>;
    async fn list_events(&self, app_id: &AppId, filter: &EventFilter, page: PageRequest) -> Result<Page<StoredEvent>>;
    async fn event(&self, app_id: &AppId, id: &EventId) -> Result<Option<EventHistory>>;
    /// Puts the app's matching events that are not pending back in the queue, with a fresh
    /// retry schedule; `id` narrows it to one event. Returns how many. The audit line, if any, is
    /// written with it.
    async fn replay_events(
        &self,
        app_id: &AppId,
        id: Option<&EventId>,
        filter: &EventFilter,
        now: Timestamp,
        audit: Option<&AuditEntry>,
    ) -> Result<u64>;
    /// How many events are in each status, over all apps (for metrics).
    async fn event_counts(&self) -> Result<Vec<EventCount>>;
}

/// What creating an operator came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorCreated {
    Created,
    EmailTaken,
    /// The invitation was used (or expired) meanwhile.
    InviteUsed,
}

/// The operator console: operators, sessions, failed logins, the audit log, institution
/// switches, and what the console reads across apps.
#[async_trait]
pub trait ConsoleStore: Send + Sync {
    async fn operator_count(&self) -> Result<u64>;
    async fn operators(&self) -> Result<Vec<Operator>>;
    async fn operator_by_email(&self, email: &str) -> Result<Option<OperatorRecord>>;
    /// Inserts the operator and its audit line; with `invite`, only if that invitation is unused
    /// and unexpired at `operator.created_at`, marking it used in the same transaction.
    async fn insert_operator(
        &self,
        record: &OperatorRecord,
        invite: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<OperatorCreated>;
    /// Gives the operator another role; false if there is no such operator.
    async fn set_operator_role(&self, id: &OperatorId, role: Role, audit: &AuditEntry) -> Result<bool>;
    /// Deletes the operator and their sessions; false if there is no such operator.
    async fn delete_operator(&self, id: &OperatorId, audit: &AuditEntry) -> Result<bool>;
    /// Inserts the invitation (and its audit line, for an operator's).
    async fn insert_invite(&self, invite: &Invite, audit: Option<&AuditEntry>) -> Result<()>;
    /// An unused invitation that has not expired at `now`.
    async fn invite(&self, token_hash: &str, now: Timestamp) -> Result<Option<Invite>>;
    /// Invitations neither used nor expired, newest first.
    async fn pending_invites(&self, now: Timestamp) -> Result<Vec<Invite>>;
    /// Ends a pending invitation now; false when there was none.
    async fn revoke_invite(&self, token_hash: &str, now: Timestamp, audit: &AuditEntry) -> Result<bool>;
    async fn insert_operator_session(&self, session: &OperatorSession) -> Result<()>;
    /// An unexpired session and its operator.
    async fn operator_session(&self, token_hash: &str, now: Timestamp) -> Result<Option<LiveSession>>;
    async fn delete_operator_session(&self, token_hash: &str) -> Result<()>;
    /// Failed logins of each subject since `since`.
    /// Counts login `attempt` against each subject before its password is checked; returns each
    /// subject's attempts since `since`, this one included. Parallel claims take turns.
    async fn claim_login_attempt(
        &self,
        attempt: &str,
        subjects: &[String],
        at: Timestamp,
        since: Timestamp,
    ) -> Result<Vec<u64>>;
    /// Forgets the attempt (it was refused, or right), and with `cleared` every failure counted
    /// against that subject.
    async fn forget_login_attempt(&self, attempt: &str, cleared: Option<&str>) -> Result<()>;
    /// An audit line of its own (a login, a refusal: nothing else changes with it).
    async fn record_audit(&self, entry: &AuditEntry) -> Result<()>;
    async fn audit_log(&self, page: PageRequest) -> Result<Page<AuditEntry>>;
    async fn institution_overrides(&self) -> Result<Vec<InstitutionOverride>>;
    /// Sets the institution's status (or with `Operational` removes the override) and writes the
    /// audit line, whose time it takes.
    async fn set_institution_override(
        &self,
        id: &InstitutionId,
        status: InstitutionStatus,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Every connector's saved settings, opened.
    async fn connector_settings(&self) -> Result<Vec<crate::connector_setup::ConnectorSettings>>;
    /// Each saved connector's name and version: what a process compares with the settings it
    /// built its connectors from, without opening them.
    async fn connector_settings_versions(&self) -> Result<Vec<crate::connector_setup::SavedVersion>>;
    /// Saves (sealed) one connector's settings, replacing what was saved, with the audit line.
    async fn save_connector_settings(
        &self,
        settings: &crate::connector_setup::ConnectorSettings,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Deletes one connector's settings with the audit line; whether there were any.
    async fn remove_connector_settings(&self, name: &str, audit: &AuditEntry) -> Result<bool>;
    async fn search_accounts(&self, search: &AccountSearch, page: PageRequest) -> Result<Page<AccountWithCustomer>>;
    /// The most recent customers over all apps, newest first.
    async fn recent_customers(&self, limit: u32) -> Result<Vec<Customer>>;
    async fn link_summaries(&self, filter: &LinkFilter, page: PageRequest) -> Result<Page<LinkSummary>>;
    async fn link_summary(&self, id: &SessionId) -> Result<Option<LinkSummary>>;
    async fn link_timeline(&self, session_id: &SessionId) -> Result<Vec<TimelineEntry>>;
    async fn overview_figures(&self, since: Timestamp) -> Result<OverviewFigures>;
    async fn health_figures(&self, since: Timestamp) -> Result<HealthFigures>;
    /// Upstream requests counted (`RequestBudget`) under keys starting with `key_prefix`, in
    /// windows that start at or after `since`.
    async fn requests_counted(&self, key_prefix: &str, since: Timestamp) -> Result<u64>;
}

/// What the HTTP service keeps for itself: idempotency keys, and the schema's state.
#[async_trait]
pub trait ServiceStore: Send + Sync {
    /// Claims `key` for a request with this fingerprint, in one transaction: a key older than
    /// `expired_before`, or whose request has been running since before `now` passed its
    /// `lock_until`, counts as unused.
    async fn begin_idempotent(
        &self,
        app_id: &AppId,
        key: &str,
        request_hash: &str,
        now: Timestamp,
        lock_until: Timestamp,
        expired_before: Timestamp,
    ) -> Result<IdempotencyClaim>;
    /// Keeps the first request's answer for replay, or (`None`) forgets the key, so that a retry
    /// runs again (the answer was a transient failure).
    async fn finish_idempotent(&self, app_id: &AppId, key: &str, answer: Option<&StoredAnswer>) -> Result<()>;
    /// Versions of the migrations this build has that the database lacks; an error when the
    /// database does not answer (readiness).
    async fn pending_migrations(&self) -> Result<Vec<i64>>;
    /// Whether the database takes writes (false on a standby: a proxy still routing to a
    /// demoted primary).
    async fn accepts_writes(&self) -> Result<bool>;
}

/// A customer's grant of SimpleFIN access to their accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleFinGrant {
    pub id: GrantId,
    pub app_id: AppId,
    pub customer_id: CustomerId,
}

/// A setup token made for a customer; only hashes of secrets are stored.
#[derive(Debug, Clone)]
pub struct NewSimpleFinToken {
    pub id: GrantId,
    pub app_id: AppId,
    pub customer_id: CustomerId,
    pub claim_hash: String,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
}

/// Passbook's data served to other software: SimpleFIN grants.
#[async_trait]
pub trait ShareStore: Send + Sync {
    async fn insert_simplefin_token(&self, token: &NewSimpleFinToken) -> Result<()>;
    /// Claims an unclaimed, unexpired, unrevoked setup token for access with this password;
    /// `None` when there is no such token. Two claims at once: one wins.
    async fn claim_simplefin(
        &self,
        claim_hash: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Option<SimpleFinGrant>>;
    /// The grant these access credentials hold, if claimed and not revoked.
    async fn simplefin_grant(&self, id: &GrantId, password_hash: &str) -> Result<Option<SimpleFinGrant>>;
    /// Revokes the customer's grants and unclaimed tokens; how many.
    async fn revoke_simplefin(&self, app_id: &AppId, customer_id: &CustomerId, now: Timestamp) -> Result<u64>;
}

/// The whole storage port: every area, as one object the services hold.
pub trait Store:
    AppStore
    + CustomerStore
    + LinkStore
    + AccountStore
    + JobStore
    + ReportStore
    + ImportStore
    + EventStore
    + ServiceStore
    + ConsoleStore
    + ShareStore
{
}

impl<
    T: AppStore
        + CustomerStore
        + LinkStore
        + AccountStore
        + JobStore
        + ReportStore
        + ImportStore
        + EventStore
        + ServiceStore
        + ConsoleStore
        + ShareStore,
> Store for T
{
}
