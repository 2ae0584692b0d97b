//! What operators do from the console. Each action takes the signed-in operator, checks the
//! permission it needs, calls the same services the API uses (so an app's rules hold whoever
//! asks), and writes its audit line.
use passbook_types::passbook::{EventsQuery, ReplayRequest, SandboxClockIn, SandboxClockOut};

use super::Console;
use super::Signed;
use crate::model::EventHistory;
use crate::model::{
    Account, AccountId, AccountSearch, AccountWithCustomer, App, AppId, CreatedApp, Customer, EventId, Institution,
    InstitutionId, InstitutionOverride, InstitutionStatus, JobId, LinkFilter, LinkSummary, Page, PageRequest,
    Permission, SessionId, TimelineEntry, Transaction, TransactionFilter,
};
use crate::services::apps::RotatedKey;
use crate::services::webhooks::{EventsPage, RotatedSecret};
use crate::{Error, Result, ids};

/// Customers whose names a search by name reads (names are sealed, so they are opened here).
const NAME_SEARCH_CUSTOMERS: u32 = 5_000;

/// An account as the console shows it.
pub struct AccountPage {
    pub account: Account,
    pub customer: Option<Customer>,
    pub app: App,
    pub institution: Option<Institution>,
    pub transactions: Vec<Transaction>,
    /// Where a statement account's data came from, with the import report.
    pub source: Option<super::super::AccountSource>,
}

impl Console<'_> {
    /// An app by id, for the console (operators see every app).
    pub async fn app(&self, id: &AppId) -> Result<App> {
        self.passbook.find_app(Some(id)).await
    }

    pub async fn create_app(&self, by: &Signed, name: &str) -> Result<CreatedApp> {
        self.allow(by, Permission::ManageApps).await?;
        self.passbook.create_app_as(name, None, &by.actor()).await
    }

    pub async fn rename_app(&self, by: &Signed, app_id: &AppId, name: &str) -> Result<()> {
        self.allow(by, Permission::ManageApps).await?;
        self.passbook.rename_app(app_id, name, &by.actor()).await
    }

    /// A new secret key; the current one keeps working for `overlap_hours`.
    pub async fn rotate_secret_key(&self, by: &Signed, app_id: &AppId, overlap_hours: i64) -> Result<RotatedKey> {
        self.allow(by, Permission::ManageApps).await?;
        self.passbook.rotate_secret_key(app_id, overlap_hours, &by.actor()).await
    }

    pub async fn set_webhook_url(&self, by: &Signed, app_id: &AppId, url: &str) -> Result<()> {
        self.allow(by, Permission::ManageApps).await?;
        self.passbook.webhooks().set_url(&self.app(app_id).await?, Some(url), &by.actor()).await.map(drop)
    }

    pub async fn rotate_webhook_secret(&self, by: &Signed, app_id: &AppId) -> Result<RotatedSecret> {
        self.allow(by, Permission::ManageApps).await?;
        self.passbook.webhooks().rotate_secret(&self.app(app_id).await?, &by.actor()).await
    }

    pub async fn set_refresh_interval(&self, by: &Signed, app_id: &AppId, hours: &str) -> Result<()> {
        self.allow(by, Permission::ManageApps).await?;
        let hours = hours
            .trim()
            .parse()
            .map_err(|_| Error::invalid("refresh_interval_hours", "refresh_interval_hours must be 24, 12 or 6"))?;
        self.passbook.set_refresh_interval(app_id, hours, &by.actor()).await
    }

    pub async fn test_webhook(&self, by: &Signed, app_id: &AppId) -> Result<EventId> {
        self.allow(by, Permission::ManageApps).await?;
        self.passbook.webhooks().send_test(&self.app(app_id).await?, &by.actor()).await
    }

    /// The app's sandbox clock, in sandbox mode (`None` otherwise).
    pub async fn sandbox_clock(&self, app: &App) -> Result<Option<SandboxClockOut>> {
        if !self.passbook.sandbox_mode() {
            return Ok(None);
        }
        self.passbook.sandbox_clock(app).await.map(Some)
    }

    /// Moves the app's sandbox clock `days` ahead, running the refreshes on the way.
    pub async fn advance_sandbox_clock(&self, by: &Signed, app_id: &AppId, days: &str) -> Result<SandboxClockOut> {
        self.allow(by, Permission::UseSandbox).await?;
        let days =
            days.trim().parse().map_err(|_| Error::invalid("days", "days must be a whole number from 1 to 366"))?;
        let request = SandboxClockIn { days: Some(days), to: None };
        self.passbook.advance_sandbox_clock(&self.app(app_id).await?, &request, &by.actor()).await
    }

    /// Accounts matching `query`: an account or customer id, an account number, an e-mail, or
    /// part of a customer's name.
    pub async fn accounts(
        &self,
        app_id: Option<&str>,
        query: &str,
        page: PageRequest,
    ) -> Result<Page<AccountWithCustomer>> {
        let query = query.trim();
        let mut search = AccountSearch { app_id: app_id.map(AppId::from), ..AccountSearch::default() };
        if query.is_empty() {
        } else if ids::is_object_id(query) {
            search.id = Some(query.to_string());
        } else if query.contains('@') {
            search.email = Some(query.to_lowercase());
        } else if query.bytes().all(|b| b.is_ascii_digit()) {
            search.account_number = Some(query.to_string());
        } else {
            let needle = query.to_lowercase();
            let customers = self.store.recent_customers(NAME_SEARCH_CUSTOMERS).await?;
            search.customer_ids =
                Some(customers.into_iter().filter(|c| c.name.to_lowercase().contains(&needle)).map(|c| c.id).collect());
        }
        self.store.search_accounts(&search, page).await
    }

    pub async fn account(&self, id: &AccountId) -> Result<AccountPage> {
        let missing = || Error::not_found(format!("No account with id '{id}'"));
        let account = self.passbook.accounts().any(id).await?.ok_or_else(missing)?;
        let app = self.app(&account.app_id).await?;
        let customer = self.passbook.customers().find(&app, &account.customer_id).await?;
        let transactions = self
            .passbook
            .accounts()
            .transactions(&account, &TransactionFilter::default(), PageRequest::new(1, Some(10)))
            .await?
            .items;
        let overrides = self.store.institution_overrides().await?;
        let institution =
            self.passbook.institutions().get(&account.institution_id).map(|i| with_override(&i, &overrides));
        let source = self.passbook.linking().account_source(&account).await?;
        Ok(AccountPage { account, customer, app, institution, transactions, source })
    }

    /// Queues a refresh of the account now; the job's id.
    pub async fn refresh_account(&self, by: &Signed, id: &AccountId) -> Result<JobId> {
        self.allow(by, Permission::ManageAccounts).await?;
        let AccountPage { account, app, .. } = self.account(id).await?;
        let audit = self.passbook.audit_entry(&by.actor(), &app.id, "account_refresh_requested", &account.id, "");
        self.passbook.accounts().queue_refresh(&account, Some(&audit)).await
    }

    /// Unlinks the account as `DELETE /v2/accounts/{id}/unlink` does, on the operator's word.
    pub async fn unlink_account(&self, by: &Signed, id: &AccountId) -> Result<()> {
        self.allow(by, Permission::ManageAccounts).await?;
        let AccountPage { account, app, .. } = self.account(id).await?;
        self.passbook.accounts().unlink(&app, &account.id, &by.actor()).await
    }

    pub async fn events(&self, app_id: &AppId, query: &EventsQuery) -> Result<EventsPage> {
        self.passbook.webhooks().events(&self.app(app_id).await?, query).await
    }

    pub async fn event(&self, app_id: &AppId, id: &EventId) -> Result<EventHistory> {
        self.passbook.webhooks().event(&self.app(app_id).await?, id).await
    }

    pub async fn replay_event(&self, by: &Signed, app_id: &AppId, id: &EventId) -> Result<()> {
        self.allow(by, Permission::ReplayWebhooks).await?;
        self.passbook.webhooks().replay_event(&self.app(app_id).await?, id, &by.actor()).await
    }

    /// Replays every event the filter matches; how many.
    pub async fn replay_events(&self, by: &Signed, app_id: &AppId, request: &ReplayRequest) -> Result<u64> {
        self.allow(by, Permission::ReplayWebhooks).await?;
        self.passbook.webhooks().replay_events(&self.app(app_id).await?, request, &by.actor()).await
    }

    pub async fn link_sessions(&self, filter: &LinkFilter, page: PageRequest) -> Result<Page<LinkSummary>> {
        self.store.link_summaries(filter, page).await
    }

    /// A link's summary and the steps it went through.
    pub async fn link_session_timeline(&self, id: &SessionId) -> Result<(LinkSummary, Vec<TimelineEntry>)> {
        let summary =
            self.store.link_summary(id).await?.ok_or_else(|| Error::not_found(format!("No link session '{id}'")))?;
        Ok((summary, self.store.link_timeline(id).await?))
    }

    /// Every institution with the status operators gave it.
    pub async fn institutions_now(&self) -> Result<Vec<Institution>> {
        let overrides = self.store.institution_overrides().await?;
        Ok(self.passbook.institutions().now().all().map(|i| with_override(i, &overrides)).collect())
    }

    pub async fn set_institution_status(&self, by: &Signed, id: &str, status: &str) -> Result<()> {
        self.allow(by, Permission::ManageInstitutions).await?;
        let status = InstitutionStatus::parse(status.trim())
            .ok_or_else(|| Error::invalid("status", "status must be operational, degraded or down"))?;
        if self.passbook.institutions().get(id).is_none() {
            return Err(Error::not_found(format!("No institution with id '{id}'")));
        }
        let audit = self.passbook.audit_entry(&by.actor(), "", "institution_status_changed", id, status.as_str());
        self.store.set_institution_override(&InstitutionId::from(id), status, &audit).await
    }
}

/// The institution as its connector describes it, with an operator's status over it.
pub fn with_override(institution: &Institution, overrides: &[InstitutionOverride]) -> Institution {
    let mut institution = institution.clone();
    if let Some(found) = overrides.iter().find(|o| o.institution_id == institution.id) {
        institution.status = found.status;
    }
    institution
}
