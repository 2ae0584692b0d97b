//! Reading linked accounts and their data, always within one app.
use super::Passbook;
use crate::model::*;
use crate::{Error, Result, ids, webhook_payloads};

impl Passbook {
    /// The app's account; an unknown id and another app's account look the same.
    pub async fn account(&self, app: &App, id: &str) -> Result<Account> {
        let missing = || Error::not_found(format!("No account with id '{id}' was found for this app"));
        if !ids::is_object_id(id) {
            return Err(missing());
        }
        self.store.account(&app.id, id).await?.ok_or_else(missing)
    }

    /// Forgets the account: its data, credentials and history go, in one transaction with the
    /// `account_unlinked` event; only an audit line (who, what, when) stays.
    pub async fn unlink_account(&self, app: &App, id: &str) -> Result<()> {
        let account = self.account(app, id).await?;
        let event = webhook_payloads::account_unlinked(&account, self.clock.now());
        self.store.unlink_account(&account, &event).await?;
        self.metrics.event_created(&event.event);
        self.wake_dispatcher();
        Ok(())
    }

    pub async fn list_accounts(&self, app: &App, page: PageRequest) -> Result<Page<(Account, Customer)>> {
        self.store.list_accounts(&app.id, page).await
    }

    /// The account with its identity, if the identity was retrieved.
    pub async fn identity(&self, app: &App, id: &str) -> Result<(Account, Option<StoredIdentity>)> {
        let account = self.account(app, id).await?;
        if !account.has(DataKind::Identity) {
            return Ok((account, None));
        }
        let identity = self.store.identity(&account.id).await?;
        Ok((account, identity))
    }

    /// A page of the account's transactions; empty until transactions were retrieved.
    pub async fn transactions(
        &self,
        app: &App,
        id: &str,
        filter: &TransactionFilter,
        page: PageRequest,
    ) -> Result<(Account, Page<Transaction>)> {
        let account = self.account(app, id).await?;
        if !account.has(DataKind::Transactions) {
            return Ok((account, Page { items: Vec::new(), total: 0 }));
        }
        let transactions = self.store.transactions(&account.id, filter, page, account.transaction_count).await?;
        Ok((account, transactions))
    }
}
