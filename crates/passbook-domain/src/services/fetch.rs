//! Background jobs: fetching an account's data from its institution.
use super::Passbook;
use crate::categorise::categorise;
use crate::connector::{ConnectorAccount, ConnectorError, FetchedData};
use crate::model::*;
use crate::store::FetchUpdate;
use crate::{Result, ids, webhook_payloads};

/// What the job runner should do with a job after running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    Done,
    /// Try again later (the runner picks the delay).
    Retry(String),
}

impl Passbook {
    pub async fn run_job(&self, job: &Job) -> Result<JobResult> {
        match &job.kind {
            JobKind::FetchAccount { account_id } => self.fetch_account(account_id).await,
        }
    }

    /// Called when a job has used all its attempts: the account's data is FAILED, and the app
    /// hears it, rather than waiting on PROCESSING forever.
    pub async fn job_exhausted(&self, job: &Job) -> Result<()> {
        match &job.kind {
            JobKind::FetchAccount { account_id } => {
                if let Some(account) = self.store.account_by_id(account_id).await? {
                    self.save_outcome(account, None, DataStatus::Failed).await?;
                }
            }
        }
        Ok(())
    }

    /// Fetches balance, identity and transactions, then writes them with the
    /// `account_updated` event in one transaction. Safe to run twice: transactions are
    /// de-duplicated by fingerprint.
    async fn fetch_account(&self, account_id: &str) -> Result<JobResult> {
        let Some(account) = self.store.account_by_id(account_id).await? else {
            return Ok(JobResult::Done);
        };
        let Some((_, connector)) = self.institutions.connector(&account.institution_id) else {
            tracing::error!(account_id, institution = %account.institution_id, "no connector serves this institution");
            return self.save_outcome(account, None, DataStatus::Failed).await;
        };
        let fetched = connector
            .fetch(ConnectorAccount {
                account_id: &account.id,
                institution_id: &account.institution_id,
                connector_ref: &account.connector_ref,
                account_number: &account.account_number,
            })
            .await;
        let (data, status) = match fetched {
            Ok(data) => {
                let status = status_for(&data);
                (Some(data), status)
            }
            Err(ConnectorError::Transient(reason)) => return Ok(JobResult::Retry(reason)),
            Err(ConnectorError::Internal(reason)) => {
                tracing::error!(account_id, %reason, "data fetch failed");
                (None, DataStatus::Failed)
            }
            Err(other) => {
                tracing::info!(account_id, reason = %other, "institution returned no data");
                (None, DataStatus::Unavailable)
            }
        };
        self.save_outcome(account, data, status).await
    }

    async fn save_outcome(
        &self,
        mut account: Account,
        data: Option<FetchedData>,
        status: DataStatus,
    ) -> Result<JobResult> {
        let now = self.clock.now();
        let data = data.unwrap_or_default();
        let mut retrieved = Vec::new();
        if data.identity.is_some() {
            retrieved.push(DataKind::Identity);
        }
        if data.balance.is_some() {
            retrieved.push(DataKind::Balance);
        }
        if data.transactions.is_some() {
            retrieved.push(DataKind::Transactions);
        }
        let transactions: Vec<Transaction> = data
            .transactions
            .unwrap_or_default()
            .into_iter()
            .map(|t| Transaction {
                id: ids::object_id(t.date),
                account_id: account.id.clone(),
                category: categorise(&t.narration, t.kind).to_string(),
                date: t.date,
                narration: t.narration,
                amount: t.amount,
                kind: t.kind,
                balance: t.balance,
                currency: t.currency,
                fingerprint: t.fingerprint,
            })
            .collect();
        let update = FetchUpdate {
            account_id: account.id.clone(),
            balance: data.balance,
            identity: data.identity,
            kind: data.account_type.clone(),
            bvn: data.bvn.as_deref().map(last_four),
            data_status: status,
            retrieved_data: retrieved.clone(),
            updated_at: now,
        };
        account.balance = data.balance.or(account.balance);
        account.kind = data.account_type.or(account.kind);
        account.bvn = update.bvn.clone().or(account.bvn);
        account.data_status = status;
        account.retrieved_data = retrieved;
        account.updated_at = now;
        let event = match self.institutions.get(&account.institution_id) {
            Some(inst) => webhook_payloads::account_updated(&account, inst, now),
            None => webhook_payloads::account_updated(&account, &unknown_institution(&account.institution_id), now),
        };
        self.store.save_fetch(&update, &transactions, &event).await?;
        self.metrics.event_created(&event.event);
        self.wake_workers();
        Ok(JobResult::Done)
    }
}

/// `AVAILABLE` when both balance and transactions came back, `PARTIAL` for one of them,
/// `UNAVAILABLE` for neither (contract §5.1).
pub fn status_for(data: &FetchedData) -> DataStatus {
    match (data.balance.is_some(), data.transactions.is_some()) {
        (true, true) => DataStatus::Available,
        (false, false) => DataStatus::Unavailable,
        _ => DataStatus::Partial,
    }
}

fn last_four(bvn: &str) -> String {
    bvn.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect()
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
