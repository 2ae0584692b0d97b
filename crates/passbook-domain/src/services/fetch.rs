//! Background jobs: fetching an account's data from its institution, on linking, on schedule,
//! and in real time.
use std::time::Duration;

use super::Passbook;
use crate::connector::{ConnectorAccount, ConnectorError, FetchedData, FetchedTransaction};
use crate::model::{
    Account, AccountId, App, AppId, DataKind, DataStatus, FetchFailure, Institution, InstitutionKind,
    InstitutionStatus, Job, JobEnd, JobId, JobKind, JobRecord, JobSettlement, JobStatus, NewEvent, NewJob, Settled,
    SyncStatus,
};
use crate::store::FetchUpdate;
use crate::{Error, Result, Timestamp, ids, sync, webhook_payloads};

/// At most one real-time job per account in this window; a repeat answers the last job.
pub const REALTIME_WINDOW_MS: i64 = 5 * 60 * 1000;
/// How long a request with `x-realtime: true` waits for its job before answering.
const REALTIME_WAIT: Duration = Duration::from_secs(5);

/// What the job runner should do with a job after running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    /// Finished; `outcome` (JSON) is what the jobs endpoint shows. The runner records it.
    Done(Option<String>),
    /// Finished, and recorded in the same transaction as what the job wrote.
    Settled,
    /// Another worker claimed the job after this one's lease ran out; nothing was written.
    TakenOver,
    /// Try again later (the runner picks the delay).
    Retry(String),
}

impl From<Settled> for JobResult {
    fn from(settled: Settled) -> Self {
        match settled {
            Settled::Yes => Self::Settled,
            Settled::TakenOver => Self::TakenOver,
            Settled::Raced => Self::Retry("another fetch of the account was saved first".into()),
            // The new link's own fetch was folded into this job (one pending fetch per account).
            Settled::Relinked => Self::Retry("the account was linked again while it was being fetched".into()),
        }
    }
}

/// What a fetch is run for: a job, or a refresh the sandbox clock runs as it moves.
pub(super) enum Fetching<'a> {
    Job(&'a Job),
    SandboxClock,
}

impl Fetching<'_> {
    fn is_first_fetch(&self) -> bool {
        matches!(self, Self::Job(Job { kind: JobKind::FetchAccount { .. }, .. }))
    }

    fn realtime_job(&self) -> Option<&Job> {
        match self {
            Self::Job(job @ Job { kind: JobKind::RealtimeSync { .. }, .. }) => Some(job),
            _ => None,
        }
    }
}

/// What one fetch came to, for the account and for the app.
pub(super) struct SyncResult {
    pub(super) data: Option<FetchedData>,
    /// The data status of a first fetch that got nothing (UNAVAILABLE or FAILED).
    pub(super) empty_status: DataStatus,
    pub(super) sync: SyncStatus,
    /// The data status, where the source decides it (a statement: AVAILABLE only when it
    /// reconciles).
    pub(super) status: Option<DataStatus>,
    /// Why nothing was fetched, when the fetch failed.
    pub(super) failure: Option<FetchFailure>,
    /// The moment the bank's lists are of (none when nothing was fetched).
    pub(super) as_of: Option<Timestamp>,
}

impl SyncResult {
    /// A fetch that got nothing, and why.
    fn failed(empty_status: DataStatus, sync: SyncStatus, failure: FetchFailure) -> Self {
        Self { data: None, empty_status, sync, status: None, failure: Some(failure), as_of: None }
    }

    /// The kinds of data the account holds after this fetch: what it held (nothing, on a first
    /// fetch) and what came now, in order.
    fn retrieved_after(&self, held: &[DataKind], first_fetch: bool) -> Vec<DataKind> {
        let data = self.data.as_ref();
        let mut retrieved = if first_fetch { Vec::new() } else { held.to_vec() };
        for (kind, got) in [
            (DataKind::Identity, data.is_some_and(|d| d.identity.is_some())),
            (DataKind::Balance, data.is_some_and(|d| d.balance.is_some())),
            (DataKind::Transactions, data.is_some_and(|d| d.transactions.is_some())),
        ] {
            if got && !retrieved.contains(&kind) {
                retrieved.push(kind);
            }
        }
        retrieved.sort();
        retrieved
    }

    /// The account's data status after this fetch: the source's word where it has one, else
    /// what the data held says; a first fetch that got nothing is the empty status, a later one
    /// leaves the status as it was.
    fn status_after(&self, retrieved: &[DataKind], first_fetch: bool, was: DataStatus) -> DataStatus {
        match (self.status, first_fetch, retrieved.is_empty()) {
            (Some(status), _, _) => status,
            (None, _, false) => status_for(retrieved),
            (None, true, true) => self.empty_status,
            (None, false, true) => was,
        }
    }
}

impl Passbook {
    pub async fn run_job(&self, job: &Job) -> Result<JobResult> {
        if let JobKind::BuildStatement { statement_id } = &job.kind {
            return self.statements().build(statement_id).await;
        }
        let Some(account) = self.job_account(job).await? else {
            return Ok(JobResult::Done(None));
        };
        let refresh = !matches!(job.kind, JobKind::FetchAccount { .. });
        let realtime = matches!(job.kind, JobKind::RealtimeSync { .. });
        let now = self.data_now(&account.app_id).await?;
        let result = match self.fetch(&account, refresh, realtime, now).await {
            Ok(result) => result,
            Err(reason) => return Ok(JobResult::Retry(reason)),
        };
        // Linked again while this fetch ran (a newer statement, a new consent): what it read is
        // the old link's, and the new link's own fetch was folded into this job. Read again.
        if self.store.account_by_id(&account.id).await?.is_some_and(|now| now.connector_ref != account.connector_ref) {
            return Ok(JobResult::Retry("the account was linked again while it was being fetched".into()));
        }
        self.apply_sync(account, Fetching::Job(job), result, None).await
    }

    /// The account a fetch job is about, if it still exists.
    async fn job_account(&self, job: &Job) -> Result<Option<Account>> {
        match job.kind.account_id() {
            Some(id) => self.store.account_by_id(id).await,
            None => Ok(None),
        }
    }

    /// The moment fetches for the app's accounts are for: now, or in sandbox mode the app's
    /// sandbox clock.
    pub(crate) async fn data_now(&self, app_id: &AppId) -> Result<Timestamp> {
        let offset = if self.settings.sandbox { self.store.sandbox_offset(app_id).await? } else { 0 };
        Ok(self.clock.now().plus_millis(offset))
    }

    /// Called when a job has used all its attempts: the app hears that the fetch failed rather
    /// than waiting on PROCESSING forever, and the job ends failed.
    pub async fn job_exhausted(&self, job: &Job, reason: &str) -> Result<JobResult> {
        let failed = JobSettlement::of(job, JobEnd::Failed { reason: reason.to_string() });
        if let JobKind::BuildStatement { statement_id } = &job.kind {
            self.store.finish_statement(statement_id, None, self.clock.now()).await?;
        } else if let Some(account) = self.job_account(job).await? {
            let result = SyncResult::failed(DataStatus::Failed, SyncStatus::Failed, FetchFailure::RetriesExhausted);
            return self.apply_sync(account, Fetching::Job(job), result, Some(failed)).await;
        }
        Ok(self.store.settle_job(&failed, self.clock.now()).await?.into())
    }

    /// Asks the account's connector (a statement account's: the statement files); `Err` carries the
    /// reason for a transient failure worth retrying. `realtime`: the app asked for fresh data.
    pub(super) async fn fetch(
        &self,
        account: &Account,
        refresh: bool,
        realtime: bool,
        now: Timestamp,
    ) -> std::result::Result<SyncResult, String> {
        let Some(connector) = self.institutions.connector_for(account) else {
            tracing::error!(account = %account.id, institution = %account.institution_id, "no connector serves this institution");
            return Ok(SyncResult::failed(DataStatus::Failed, SyncStatus::Failed, FetchFailure::NoConnector));
        };
        let fetched =
            connector.fetch(ConnectorAccount { realtime, ..ConnectorAccount::of(account, refresh, now) }).await;
        Ok(match fetched {
            Ok(data) => SyncResult {
                status: data.status,
                data: Some(data),
                empty_status: DataStatus::Unavailable,
                sync: SyncStatus::Successful,
                failure: None,
                as_of: Some(now),
            },
            Err(ConnectorError::Transient(reason)) => return Err(reason),
            Err(ConnectorError::ReauthorisationRequired) => SyncResult::failed(
                DataStatus::Unavailable,
                SyncStatus::ReauthorisationRequired,
                FetchFailure::ReauthorisationRequired,
            ),
            Err(ConnectorError::Internal(reason)) => {
                tracing::error!(account = %account.id, %reason, "data fetch failed");
                SyncResult::failed(DataStatus::Failed, SyncStatus::Failed, FetchFailure::FetchFailed)
            }
            Err(ConnectorError::Unreadable(reason)) => {
                tracing::error!(account = %account.id, %reason, "the account's source cannot be read");
                SyncResult::failed(DataStatus::Failed, SyncStatus::Failed, FetchFailure::StatementUnreadable)
            }
            Err(other) => {
                tracing::info!(account = %account.id, reason = %other, "institution returned no data");
                let failure = match other {
                    ConnectorError::InstitutionUnavailable => FetchFailure::BankUnavailable,
                    ConnectorError::QuotaExhausted { .. } => FetchFailure::QuotaExhausted,
                    _ => FetchFailure::LoginRefused,
                };
                SyncResult::failed(DataStatus::Unavailable, SyncStatus::Failed, failure)
            }
        })
    }

    /// Writes what a fetch found, with the events that report it and the end of the job, in one
    /// transaction: a crash leaves either all of it or none (and the job runs again). The job
    /// ends done unless `end` says otherwise. When another fetch of the account was saved in
    /// between, its changes are worked out again over what that one wrote.
    pub(super) async fn apply_sync(
        &self,
        account: Account,
        fetching: Fetching<'_>,
        result: SyncResult,
        end: Option<JobSettlement>,
    ) -> Result<JobResult> {
        for _ in 0..8 {
            match self.try_apply_sync(account.clone(), &fetching, &result, end.clone()).await? {
                Settled::Raced => {
                    tracing::debug!(account = %account.id, "another fetch of the account was saved first; applying again");
                    continue;
                }
                settled => return Ok(settled.into()),
            }
        }
        Ok(JobResult::Retry("other fetches of the account kept being saved first".into()))
    }

    async fn try_apply_sync(
        &self,
        mut account: Account,
        fetching: &Fetching<'_>,
        result: &SyncResult,
        end: Option<JobSettlement>,
    ) -> Result<Settled> {
        let now = self.clock.now();
        // A first fetch whose first try failed is retried later; a refresh may have stored the
        // account's data meanwhile (Mono's webhook asked for one). Failing again, it must not
        // leave the account as if nothing had ever been fetched.
        let first_fetch = fetching.is_first_fetch() && (result.data.is_some() || account.retrieved_data.is_empty());
        let data = result.data.as_ref();
        let retrieved = result.retrieved_after(&account.retrieved_data, first_fetch);
        let posted = data.and_then(|d| d.transactions.as_deref());
        let pending = data.map_or(&[][..], |d| d.pending.as_slice());
        let changes = self.plan_changes(&account.id, posted, pending, posted.and(result.as_of)).await?;
        // When newer bank data was applied while this fetch ran, its balance is older too.
        let stale = posted.is_some() && changes.as_of.is_none();
        let balance = data.and_then(|d| d.balance).filter(|_| !stale);
        let has_new_data = changes.added_posted() > 0 || (balance.is_some() && balance != account.balance);
        let status = result.status_after(&retrieved, first_fetch, account.data_status);
        let update = FetchUpdate {
            account_id: account.id.clone(),
            balance,
            identity: data.and_then(|d| d.identity.clone()),
            kind: data.and_then(|d| d.account_type.clone()),
            bvn: data.and_then(|d| d.bvn.as_deref()).map(last_four),
            data_status: status,
            retrieved_data: retrieved.clone(),
            needs_reauth: result.sync == SyncStatus::ReauthorisationRequired,
            failure: result.failure,
            connector_ref: data.and_then(|d| d.renewed_handle.clone()),
            linked_at: account.authorised_at,
            updated_at: now,
        };
        account.balance = balance.or(account.balance);
        account.kind = update.kind.clone().or(account.kind);
        account.bvn = update.bvn.clone().or(account.bvn);
        account.data_status = status;
        account.retrieved_data = retrieved;
        account.updated_at = now;
        let events = self.fetch_events(&account, fetching, result.sync, &changes, has_new_data, now).await?;
        let outcome = serde_json::json!({"has_new_data": has_new_data, "sync_status": result.sync.as_str()});
        let end = match fetching {
            Fetching::Job(job) => {
                Some(end.unwrap_or_else(|| JobSettlement::of(job, JobEnd::Done { outcome: Some(outcome.to_string()) })))
            }
            Fetching::SandboxClock => None,
        };
        let settled = self.store.save_fetch(&update, &changes, &events, end.as_ref()).await?;
        if settled == Settled::Yes {
            events.iter().for_each(|e| self.metrics.event_created(&e.event));
            self.wake_dispatcher();
        }
        Ok(settled)
    }

    /// The webhooks a saved fetch sends: the real-time job's end, `account_updated`, a
    /// statement's integrity flag, and the change feed's `sync_updates_available`.
    async fn fetch_events(
        &self,
        account: &Account,
        fetching: &Fetching<'_>,
        sync_status: SyncStatus,
        changes: &sync::TransactionChanges,
        has_new_data: bool,
        now: Timestamp,
    ) -> Result<Vec<NewEvent>> {
        let first_fetch = fetching.is_first_fetch();
        let institution = self
            .institutions
            .get(&account.institution_id)
            .unwrap_or_else(|| unknown_institution(&account.institution_id));
        let mut events = Vec::new();
        let realtime_job = fetching.realtime_job();
        let sync = (!first_fetch).then_some(webhook_payloads::SyncMeta {
            sync_status,
            job_id: realtime_job.map(|job| job.id.to_string()),
            has_new_data,
        });
        if let Some(job) = realtime_job {
            let status = if sync_status == SyncStatus::Successful { JobStatus::Finished } else { JobStatus::Failed };
            events.push(webhook_payloads::jobs_update(account, &job.id, &job.kind, status, now));
        }
        events.push(webhook_payloads::account_updated(account, &institution, sync.as_ref(), now));
        // A statement account is fetched once per file (linked, or renewed with a newer one).
        if let Some(source) = self.linking().account_source(account).await?
            && source.integrity.verdict.flagged()
        {
            events.push(webhook_payloads::statement_flagged(account, &source.integrity, now));
        }
        if !first_fetch && !changes.is_empty() {
            events.push(webhook_payloads::sync_updates_available(account, changes, now));
        }
        Ok(events)
    }

    /// What the bank's lists change, over the account's change log as it stands.
    async fn plan_changes(
        &self,
        account_id: &AccountId,
        posted: Option<&[FetchedTransaction]>,
        pending: &[FetchedTransaction],
        listed_at: Option<Timestamp>,
    ) -> Result<sync::TransactionChanges> {
        let state = self.store.sync_state(account_id).await?;
        let posted = posted.unwrap_or_default();
        let fingerprints: Vec<String> = posted.iter().chain(pending).map(|t| t.fingerprint.clone()).collect();
        let known = if fingerprints.is_empty() {
            Default::default()
        } else {
            self.store.known_fingerprints(account_id, &fingerprints).await?
        };
        Ok(sync::plan(account_id, posted, pending, &known, state, listed_at))
    }

    /// Queues the scheduled refreshes that are due (each app chooses 24, 12 or 6 hours).
    pub async fn schedule_refreshes(&self) -> Result<u64> {
        let queued = self.store.schedule_refreshes(self.clock.now(), 500).await?;
        if queued > 0 {
            self.wake_runner();
        }
        Ok(queued)
    }

    /// `x-realtime: true`: starts a sync of the account (or answers the one started in the last
    /// five minutes) and waits a few seconds for it, so the answer can carry fresh data.
    pub async fn realtime_sync(&self, app: &App, account_id: &AccountId, statement: bool) -> Result<JobRecord> {
        let account = self.accounts().get(app, account_id).await?;
        let now = self.clock.now();
        let job = NewJob {
            id: ids::object_id(now).into(),
            app_id: app.id.clone(),
            kind: JobKind::RealtimeSync { account_id: account.id.clone(), statement },
            run_at: now,
        };
        // A sync started in the last five minutes (by a request racing this one, say) answers.
        let job_id = self.store.insert_realtime_job(&job, now.plus_millis(-REALTIME_WINDOW_MS)).await?;
        self.wake_runner();
        let deadline = std::time::Instant::now() + REALTIME_WAIT;
        loop {
            let record =
                self.store.job(&account.id, &job_id).await?.ok_or_else(|| Error::Internal("job vanished".into()))?;
            if record.status != JobStatus::Processing || std::time::Instant::now() > deadline {
                return Ok(record);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn job(&self, app: &App, account_id: &AccountId, job_id: &JobId) -> Result<JobRecord> {
        let account = self.accounts().get(app, account_id).await?;
        if !ids::is_object_id(job_id.as_str()) {
            return Err(Error::not_found(format!("No job with id '{job_id}' for this account")));
        }
        self.store
            .job(&account.id, job_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("No job with id '{job_id}' for this account")))
    }
}

/// `AVAILABLE` when both balance and transactions were retrieved, `PARTIAL` for one of them,
/// `UNAVAILABLE` for neither (contract §5.1).
pub fn status_for(retrieved: &[DataKind]) -> DataStatus {
    match (retrieved.contains(&DataKind::Balance), retrieved.contains(&DataKind::Transactions)) {
        (true, true) => DataStatus::Available,
        (false, false) => DataStatus::Unavailable,
        _ => DataStatus::Partial,
    }
}

fn last_four(bvn: &str) -> String {
    bvn.chars().skip(bvn.chars().count().saturating_sub(4)).collect()
}

fn unknown_institution(id: &str) -> Institution {
    Institution {
        id: id.to_string(),
        name: "Unknown institution".into(),
        kind: InstitutionKind::PersonalBanking,
        bank_code: String::new(),
        nip_code: String::new(),
        country: "ng".into(),
        primary_color: "#333333".into(),
        icon: None,
        identifier: String::new(),
        status: InstitutionStatus::Down,
        auth_methods: Vec::new(),
    }
}
