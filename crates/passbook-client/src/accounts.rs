//! Linked accounts and their data, institutions, customers.
use passbook_types::accounts::{
    AccountDetails, AccountListItem, AssetsOut, BalanceOut, CreditworthinessRequest, EarningOut, IdentityOut,
    IncomeRecordOut, JobOut, StatementAnswer, StatementJobOut, StatementQuery, TransactionOut, TransactionsQuery,
};
use passbook_types::customers::{CustomerChanges, CustomerIn, CustomerOut};
use passbook_types::institutions::{InstitutionOut, InstitutionsQuery};
use passbook_types::{ListMeta, PageMeta};
use reqwest::Method;
use serde_json::Value;

use crate::{Client, Error, Page};

impl Client {
    /// `GET /v2/accounts`: the app's linked accounts, a page at a time (from 1).
    pub async fn accounts(&self, page: u64) -> Result<Page<AccountListItem, ListMeta>, Error> {
        let request = self.request(Method::GET, "/v2/accounts").query(&[("page", page)]);
        self.page(request).await
    }

    /// `GET /v2/accounts/{id}`.
    pub async fn account(&self, id: &str) -> Result<AccountDetails, Error> {
        self.get(&format!("/v2/accounts/{id}")).await
    }

    /// `GET /v2/accounts/{id}/balance`.
    pub async fn balance(&self, id: &str) -> Result<BalanceOut, Error> {
        self.get(&format!("/v2/accounts/{id}/balance")).await
    }

    /// `GET /v2/accounts/{id}/identity`.
    pub async fn identity(&self, id: &str) -> Result<IdentityOut, Error> {
        self.get(&format!("/v2/accounts/{id}/identity")).await
    }

    /// `GET /v2/accounts/{id}/transactions`, with the filters and page of `query`.
    pub async fn transactions(
        &self,
        id: &str,
        query: &TransactionsQuery,
    ) -> Result<Page<TransactionOut, PageMeta>, Error> {
        let request = self.request(Method::GET, &format!("/v2/accounts/{id}/transactions")).query(query);
        self.page(request).await
    }

    /// The page a `meta.next` or `meta.previous` link names (absolute URLs, as the API gives).
    pub async fn transactions_at(&self, url: &str) -> Result<Page<TransactionOut, PageMeta>, Error> {
        let request = self.http.get(url).header("mono-sec-key", &self.secret_key);
        self.page(request).await
    }

    /// `POST /v2/accounts/{id}/unlink`: forgets the account and its data.
    pub async fn unlink(&self, id: &str) -> Result<(), Error> {
        self.post::<Value>(&format!("/v2/accounts/{id}/unlink"), &serde_json::json!({})).await.map(drop)
    }

    /// `GET /v2/accounts/{id}/statement` (JSON, or a PDF job with `output=pdf`).
    pub async fn statement(&self, id: &str, query: &StatementQuery) -> Result<StatementAnswer, Error> {
        let request = self.request(Method::GET, &format!("/v2/accounts/{id}/statement")).query(query);
        self.data(request).await
    }

    /// `GET /v2/accounts/{id}/statement/jobs/{job}`: a PDF statement's progress.
    pub async fn statement_job(&self, id: &str, job: &str) -> Result<StatementJobOut, Error> {
        self.get(&format!("/v2/accounts/{id}/statement/jobs/{job}")).await
    }

    /// `GET /v2/accounts/{id}/jobs/{job}`: a real-time job's state.
    pub async fn job(&self, id: &str, job: &str) -> Result<JobOut, Error> {
        self.get(&format!("/v2/accounts/{id}/jobs/{job}")).await
    }

    /// `GET /v2/accounts/{id}/income`: starts an income analysis (the result comes by webhook).
    pub async fn income(&self, id: &str) -> Result<(), Error> {
        self.get::<Value>(&format!("/v2/accounts/{id}/income")).await.map(drop)
    }

    /// `GET /v2/accounts/{id}/income-records`, a page at a time (from 1).
    pub async fn income_records(&self, id: &str, page: u64) -> Result<Page<IncomeRecordOut, ListMeta>, Error> {
        let request = self.request(Method::GET, &format!("/v2/accounts/{id}/income-records")).query(&[("page", page)]);
        self.page(request).await
    }

    /// `POST /v2/accounts/{id}/creditworthiness` (the result comes by webhook).
    pub async fn creditworthiness(&self, id: &str, request: &CreditworthinessRequest) -> Result<(), Error> {
        self.post::<Value>(&format!("/v2/accounts/{id}/creditworthiness"), request).await.map(drop)
    }

    /// `GET /v2/accounts/{id}/earnings` (investment platforms).
    pub async fn earnings(&self, id: &str) -> Result<Vec<EarningOut>, Error> {
        self.get(&format!("/v2/accounts/{id}/earnings")).await
    }

    /// `GET /v2/accounts/{id}/assets` (investment platforms).
    pub async fn assets(&self, id: &str) -> Result<AssetsOut, Error> {
        self.get(&format!("/v2/accounts/{id}/assets")).await
    }

    /// `GET /v3/institutions`, filtered by `query`.
    pub async fn institutions(&self, query: &InstitutionsQuery) -> Result<Vec<InstitutionOut>, Error> {
        let request = self.request(Method::GET, "/v3/institutions").query(query);
        self.data(request).await
    }

    /// `POST /v2/customers`.
    pub async fn create_customer(&self, customer: &CustomerIn) -> Result<CustomerOut, Error> {
        self.post("/v2/customers", customer).await
    }

    /// `GET /v2/customers`, a page at a time (from 1).
    pub async fn customers(&self, page: u64) -> Result<Page<CustomerOut, ListMeta>, Error> {
        let request = self.request(Method::GET, "/v2/customers").query(&[("page", page)]);
        self.page(request).await
    }

    /// `GET /v2/customers/{id}`.
    pub async fn customer(&self, id: &str) -> Result<CustomerOut, Error> {
        self.get(&format!("/v2/customers/{id}")).await
    }

    /// `PATCH /v2/customers/{id}`: changes the fields given (Mono answers no data).
    pub async fn update_customer(&self, id: &str, changes: &CustomerChanges) -> Result<(), Error> {
        let request = self.request(Method::PATCH, &format!("/v2/customers/{id}")).json(changes);
        self.data::<Value>(request).await.map(drop)
    }

    /// `DELETE /v2/customers/{id}` (refused while the customer has linked accounts).
    pub async fn delete_customer(&self, id: &str) -> Result<(), Error> {
        let request = self.request(Method::DELETE, &format!("/v2/customers/{id}"));
        self.data::<Value>(request).await.map(drop)
    }
}
