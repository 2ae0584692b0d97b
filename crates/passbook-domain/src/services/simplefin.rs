//! Passbook as a SimpleFIN server (<https://www.simplefin.org/protocol.html>): an app makes a
//! setup token for one of its customers; the customer pastes it into a SimpleFIN client (Actual
//! Budget, Firefly III, another Passbook), which claims it once for an access URL and reads that
//! customer's linked accounts, whatever way they came in (a bank, a statement file).
use super::Passbook;
use crate::crypto::hash_secret;
use crate::model::{
    Account, AccountId, AccountSearch, App, Customer, CustomerId, GrantId, PageRequest, Transaction, TransactionFilter,
};
use crate::store::{NewSimpleFinToken, SimpleFinGrant};
use crate::{Error, Result, Timestamp, ids};

/// How long a setup token may wait to be claimed.
pub const SIMPLEFIN_TOKEN_TTL_MS: i64 = 3 * 24 * 60 * 60 * 1000;

/// A setup token: base64 of its claim URL. Shown once; only its hash is kept.
#[derive(Debug, Clone)]
pub struct SimpleFinToken {
    pub setup_token: String,
    pub expires_at: Timestamp,
}

/// What a SimpleFIN client asks `GET /accounts` for.
#[derive(Debug, Clone, Default)]
pub struct SimpleFinQuery {
    /// Transactions on or after.
    pub start: Option<Timestamp>,
    /// Transactions before.
    pub end: Option<Timestamp>,
    pub pending: bool,
    pub balances_only: bool,
    /// Only these accounts (none: all of them).
    pub accounts: Vec<AccountId>,
}

/// One account as shared: its institution's name, and its transactions in the window asked.
#[derive(Debug, Clone)]
pub struct SharedAccount {
    pub account: Account,
    pub institution: String,
    pub posted: Vec<Transaction>,
    pub pending: Vec<Transaction>,
}

/// The customer's accounts, and a message for each one that could not be shared.
#[derive(Debug, Clone, Default)]
pub struct SharedAccounts {
    pub accounts: Vec<SharedAccount>,
    pub errors: Vec<String>,
}

fn refused() -> Error {
    Error::Forbidden("These SimpleFIN credentials are not valid (unknown, already claimed or revoked).".into())
}

impl Passbook {
    /// A setup token for the customer (an unknown customer is refused).
    pub async fn create_simplefin_token(&self, app: &App, customer_id: &CustomerId) -> Result<SimpleFinToken> {
        let customer = self.granting_customer(app, customer_id).await?;
        let now = self.clock.now();
        let secret = ids::random_alnum(32);
        let token = NewSimpleFinToken {
            id: ids::object_id(now).into(),
            app_id: app.id.clone(),
            customer_id: customer.id,
            claim_hash: hash_secret(&secret),
            expires_at: now.plus_millis(SIMPLEFIN_TOKEN_TTL_MS),
            created_at: now,
        };
        self.store.insert_simplefin_token(&token).await?;
        let claim_url = format!("{}/simplefin/claim/{secret}", self.settings.public_url);
        use base64::Engine;
        let setup_token = base64::engine::general_purpose::STANDARD.encode(claim_url);
        Ok(SimpleFinToken { setup_token, expires_at: token.expires_at })
    }

    /// `POST /simplefin/claim/{token}`: the access URL, once.
    pub async fn claim_simplefin(&self, secret: &str) -> Result<String> {
        let password = ids::random_alnum(32);
        let grant = self
            .store
            .claim_simplefin(&hash_secret(secret), &hash_secret(&password), self.clock.now())
            .await?
            .ok_or_else(refused)?;
        let base = &self.settings.public_url;
        let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
        Ok(format!("{scheme}://{}:{password}@{rest}/simplefin", grant.id))
    }

    /// Stops the customer's SimpleFIN access (claimed or not); how many grants ended.
    pub async fn revoke_simplefin(&self, app: &App, customer_id: &CustomerId) -> Result<u64> {
        let customer = self.granting_customer(app, customer_id).await?;
        self.store.revoke_simplefin(&app.id, &customer.id, self.clock.now()).await
    }

    /// `GET /simplefin/accounts` with the access URL's credentials.
    pub async fn simplefin_accounts(
        &self,
        id: &GrantId,
        password: &str,
        query: &SimpleFinQuery,
    ) -> Result<SharedAccounts> {
        let grant = self.store.simplefin_grant(id, &hash_secret(password)).await?.ok_or_else(refused)?;
        let mut shared = SharedAccounts::default();
        let listing = self.institutions.now();
        for account in self.granted_accounts(&grant).await? {
            if !query.accounts.is_empty() && !query.accounts.contains(&account.id) {
                continue;
            }
            let name = account.name.clone().unwrap_or_else(|| format!("Account {}", account.id));
            if account.currency.is_empty() {
                shared.errors.push(format!("{name}: its statement does not state a currency, so it is not shared."));
                continue;
            }
            if account.balance.is_none() {
                shared.errors.push(format!("{name}: its balance has not been retrieved yet."));
                continue;
            }
            let (posted, pending) = match query.balances_only {
                true => Default::default(),
                false => self.shared_transactions(&account, query).await?,
            };
            let institution = listing.get(&account.institution_id).map(|i| i.name.clone()).unwrap_or_default();
            shared.accounts.push(SharedAccount { account, institution, posted, pending });
        }
        Ok(shared)
    }

    /// The app's customer; an unknown id (or another app's customer) is not found.
    async fn granting_customer(&self, app: &App, customer_id: &CustomerId) -> Result<Customer> {
        let missing = || Error::not_found(format!("No customer with id '{customer_id}' was found for this app"));
        self.customers().find(app, customer_id).await?.ok_or_else(missing)
    }

    async fn granted_accounts(&self, grant: &SimpleFinGrant) -> Result<Vec<Account>> {
        let search = AccountSearch {
            app_id: Some(grant.app_id.clone()),
            customer_ids: Some(vec![grant.customer_id.clone()]),
            ..AccountSearch::default()
        };
        let page = PageRequest { page: 1, limit: None, after: None };
        Ok(self.store.search_accounts(&search, page).await?.items.into_iter().map(|found| found.account).collect())
    }

    async fn shared_transactions(
        &self,
        account: &Account,
        query: &SimpleFinQuery,
    ) -> Result<(Vec<Transaction>, Vec<Transaction>)> {
        let filter = TransactionFilter { start: query.start, end: query.end, ..TransactionFilter::default() };
        let all = PageRequest { page: 1, limit: None, after: None };
        let posted = self.accounts().transactions(account, &filter, all).await?.items;
        let in_window =
            |t: &Transaction| query.start.is_none_or(|s| t.date >= s) && query.end.is_none_or(|e| t.date < e);
        let pending = match query.pending {
            true => self.store.sync_state(&account.id).await?.pending.into_iter().filter(in_window).collect(),
            false => Vec::new(),
        };
        Ok((posted, pending))
    }
}
