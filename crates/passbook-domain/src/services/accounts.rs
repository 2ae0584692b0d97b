//! Linked accounts and their data, always within one app, as a service of its own
//! ([`Passbook::accounts`]).
use super::Passbook;
use crate::model::{
    Account, AccountId, AccountVersion, AccountWithCustomer, App, AuditEntry, DataKind, JobId, JobKind, NewJob, Page,
    PageRequest, StoredIdentity, Transaction, TransactionFilter,
};
use crate::store::{AccountStore, JobStore};
use crate::{Error, Result, ids, webhook_payloads};

/// The accounts service: linked accounts through the [`AccountStore`], and the refreshes it
/// queues through the [`JobStore`].
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    passbook: &'a Passbook,
    store: &'a dyn AccountStore,
    jobs: &'a dyn JobStore,
}

impl Passbook {
    /// Linked accounts: one, a page, an account's identity and transactions; unlinking; refreshes.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts { passbook: self, store: self.store.as_ref(), jobs: self.store.as_ref() }
    }
}

impl Accounts<'_> {
    /// The app's account; an unknown id and another app's account look the same.
    pub async fn get(&self, app: &App, id: &AccountId) -> Result<Account> {
        if !ids::is_object_id(id.as_str()) {
            return Err(no_such_account(id));
        }
        self.store.account(&app.id, id).await?.ok_or_else(|| no_such_account(id))
    }

    /// The version of the app's account, to answer conditional requests without reading it.
    pub async fn version(&self, app: &App, id: &AccountId) -> Result<AccountVersion> {
        if !ids::is_object_id(id.as_str()) {
            return Err(no_such_account(id));
        }
        self.store.account_version(&app.id, id).await?.ok_or_else(|| no_such_account(id))
    }

    /// Forgets the account: its data, credentials and history go, in one transaction with the
    /// `account_unlinked` event; only an audit line stays, naming `actor` (`api:<key hint>…`, or
    /// `operator:<id>`).
    pub async fn unlink(&self, app: &App, id: &AccountId, actor: &str) -> Result<()> {
        let account = self.get(app, id).await?;
        self.passbook.unlink_upstream(&account).await;
        let event = webhook_payloads::account_unlinked(&account, self.passbook.now());
        self.store.unlink_account(&account, &event, actor).await?;
        self.passbook.metrics.event_created(&event.event);
        self.passbook.wake_dispatcher();
        Ok(())
    }

    /// An account of any app, for operators (who see every app).
    pub(crate) async fn any(&self, id: &AccountId) -> Result<Option<Account>> {
        if !ids::is_object_id(id.as_str()) {
            return Ok(None);
        }
        self.store.account_by_id(id).await
    }

    /// Queues a refresh of the account now, with the audit line of whoever asked; the job's id.
    pub(crate) async fn queue_refresh(&self, account: &Account, audit: Option<&AuditEntry>) -> Result<JobId> {
        let now = self.passbook.now();
        let job = NewJob {
            id: ids::object_id(now).into(),
            app_id: account.app_id.clone(),
            kind: JobKind::RefreshAccount { account_id: account.id.clone() },
            run_at: now,
        };
        let job_id = self.jobs.insert_job(&job, audit).await?;
        self.passbook.wake_runner();
        Ok(job_id)
    }

    pub async fn list(&self, app: &App, page: PageRequest) -> Result<Page<AccountWithCustomer>> {
        self.store.list_accounts(&app.id, page).await
    }

    /// The account's identity (`None` until it was retrieved). The account comes from
    /// [`Accounts::get`], so that callers can answer from it first (a `304`).
    pub async fn identity(&self, account: &Account) -> Result<Option<StoredIdentity>> {
        if !account.has(DataKind::Identity) {
            return Ok(None);
        }
        self.store.identity(&account.id).await
    }

    /// A page of the account's transactions; empty until transactions were retrieved.
    pub async fn transactions(
        &self,
        account: &Account,
        filter: &TransactionFilter,
        page: PageRequest,
    ) -> Result<Page<Transaction>> {
        if !account.has(DataKind::Transactions) {
            return Ok(Page { items: Vec::new(), total: 0 });
        }
        self.store.transactions(&account.id, filter, page, account.transaction_count).await
    }
}

/// An unknown id and another app's account look the same.
fn no_such_account(id: &AccountId) -> Error {
    Error::not_found(format!("No account with id '{id}' was found for this app"))
}
