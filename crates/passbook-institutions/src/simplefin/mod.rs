//! SimpleFIN (<https://www.simplefin.org>): banks in the US and Canada through the user's own
//! SimpleFIN Bridge. The user pastes a setup token; Passbook claims it once for an access URL,
//! which it keeps sealed in each account's handle and never shows, and reads `GET /accounts`
//! within the protocol's rules: windows of at most 90 days, and a daily allowance of requests
//! per access URL counted where every replica sees it ([`RequestBudget`]).
mod protocol;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use passbook_domain::connector::{
    Connector, ConnectorAccount, ConnectorError, Credentials, FetchedData, FetchedTransaction, LoginStep, RequestBudget,
};
use passbook_domain::model::{
    AuthMethod, AuthMethodSpec, DiscoveredAccount, FormField, Institution, InstitutionKind, InstitutionStatus, TxKind,
};
use passbook_domain::{Clock, Timestamp};
use passbook_egress::Egress;
use sha2::{Digest, Sha256};

use passbook_types::simplefin::{self as wire, AccountSet};
use protocol::Access;

/// The SimpleFIN Bridge, as one institution: the bridge reaches the banks.
pub const SIMPLEFIN_ID: &str = "5f2d08c2a0b0c0d0e0f00003";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The longest window one request may ask for (the protocol's rule).
const MAX_WINDOW_DAYS: i64 = 90;

#[derive(Debug, Clone)]
pub struct SimpleFinOptions {
    /// Requests per access URL per UTC day (SimpleFIN Bridge allows about 24).
    pub daily_requests: u32,
    /// How far back a refresh looks; the first fetch looks back [`MAX_WINDOW_DAYS`].
    pub refresh_days: i64,
    pub timeout: Duration,
    /// The largest answer read from a bridge (the URLs come from the user's token).
    pub max_answer_bytes: usize,
}

impl Default for SimpleFinOptions {
    fn default() -> Self {
        Self { daily_requests: 24, refresh_days: 30, timeout: Duration::from_secs(30), max_answer_bytes: 32 << 20 }
    }
}

pub struct SimpleFinConnector {
    egress: Egress,
    budget: Arc<dyn RequestBudget>,
    clock: Arc<dyn Clock>,
    options: SimpleFinOptions,
}

/// What a linked account's handle holds: the access URL and the account's id at the bridge.
#[derive(serde::Serialize, serde::Deserialize)]
struct Handle {
    access: String,
    account: String,
}

impl SimpleFinConnector {
    /// Claims and reads go through `egress`, the guard webhooks use.
    pub fn new(
        egress: Egress,
        budget: Arc<dyn RequestBudget>,
        clock: Arc<dyn Clock>,
        options: SimpleFinOptions,
    ) -> Self {
        Self { egress, budget, clock, options }
    }

    /// A URL the user's token names, if Passbook may reach it: https, or http where private
    /// addresses are allowed (development), and not inside the operator's network.
    fn reachable(&self, url: &url::Url) -> Result<(), ConnectorError> {
        self.egress.check(url).map_err(|refused| {
            tracing::warn!(%refused, "a SimpleFIN setup token points inside the network");
            ConnectorError::Refused(
                "The setup token points at a private address, which Passbook does not reach.".into(),
            )
        })?;
        if url.scheme() == "https" || (url.scheme() == "http" && self.egress.allows_private()) {
            return Ok(());
        }
        Err(ConnectorError::Refused("The setup token must point at an https address.".into()))
    }

    /// `POST` to the claim URL: the access URL, once.
    async fn claim(&self, setup_token: &str) -> Result<Access, ConnectorError> {
        let claim = protocol::claim_url(setup_token).ok_or_else(|| {
            ConnectorError::Refused(
                "That is not a SimpleFIN setup token. Copy the whole token from your bridge.".into(),
            )
        })?;
        self.reachable(&claim)?;
        let response =
            self.egress.client().post(claim).header("content-length", "0").send().await.map_err(unreachable)?;
        match response.status().as_u16() {
            200 => {}
            403 => {
                return Err(ConnectorError::Refused(
                    "This setup token was already used or has expired. Create a new one at your SimpleFIN Bridge."
                        .into(),
                ));
            }
            status => return Err(upstream_status(status)),
        }
        let body = self.body(response).await?;
        let access = Access::parse(&String::from_utf8_lossy(&body))
            .ok_or_else(|| ConnectorError::Internal("the bridge answered the claim without an access URL".into()))?;
        self.reachable(&access.base)?;
        Ok(access)
    }

    /// An answer's body, within `max_answer_bytes`.
    async fn body(&self, response: reqwest::Response) -> Result<Vec<u8>, ConnectorError> {
        let limit = self.options.max_answer_bytes;
        passbook_egress::body_within(response, limit).await.map_err(unreachable)?.ok_or_else(|| {
            ConnectorError::Internal(format!("the bridge's answer is larger than the {limit} bytes Passbook reads"))
        })
    }

    /// One `GET /accounts`, counted against the access URL's daily allowance.
    async fn accounts(
        &self,
        access: &Access,
        now: Timestamp,
        query: &[(&str, String)],
    ) -> Result<AccountSet, ConnectorError> {
        let day = Timestamp(now.0.div_euclid(DAY_MS) * DAY_MS);
        if !self.budget.take(&budget_key(access), day, self.options.daily_requests).await? {
            return Err(ConnectorError::QuotaExhausted { until: day.plus_millis(DAY_MS) });
        }
        let response = self
            .egress
            .client()
            .get(access.accounts_url())
            .basic_auth(&access.username, Some(&access.password))
            .query(query)
            .send()
            .await
            .map_err(unreachable)?;
        match response.status().as_u16() {
            200 => {}
            // The user revoked this app's access at the bridge.
            403 => return Err(ConnectorError::ReauthorisationRequired),
            status => return Err(upstream_status(status)),
        }
        let body = self.body(response).await?;
        serde_json::from_slice(&body).map_err(|err| {
            ConnectorError::Internal(format!("the bridge's answer is not a SimpleFIN account set: {err}"))
        })
    }
}

/// The allowance is counted per access URL, under a digest that reveals nothing of it.
fn budget_key(access: &Access) -> String {
    format!("simplefin:{}", hex::encode(&Sha256::digest(access.to_url().as_bytes())[..16]))
}

fn unreachable(err: reqwest::Error) -> ConnectorError {
    if let Some(refused) = passbook_egress::refusal(&err) {
        tracing::warn!(%refused, "a SimpleFIN address resolves inside the network");
        return ConnectorError::Refused(
            "The setup token points at a private address, which Passbook does not reach.".into(),
        );
    }
    tracing::info!(error = %err, "the SimpleFIN bridge did not answer");
    ConnectorError::InstitutionUnavailable
}

fn upstream_status(status: u16) -> ConnectorError {
    match status {
        402 => ConnectorError::Refused("The SimpleFIN Bridge subscription needs attention at the bridge.".into()),
        429 => ConnectorError::InstitutionUnavailable,
        500.. => ConnectorError::InstitutionUnavailable,
        other => ConnectorError::Internal(format!("the bridge answered HTTP {other}")),
    }
}

fn institution() -> Institution {
    Institution {
        id: SIMPLEFIN_ID.into(),
        name: "SimpleFIN Bridge (US and Canadian banks)".into(),
        kind: InstitutionKind::PersonalBanking,
        bank_code: String::new(),
        nip_code: String::new(),
        country: "us".into(),
        primary_color: "#1F6F5C".into(),
        icon: None,
        identifier: "simplefin".into(),
        status: InstitutionStatus::Operational,
        auth_methods: vec![AuthMethodSpec {
            method: AuthMethod::InternetBanking,
            title: "Connect with a SimpleFIN setup token".into(),
            form: vec![FormField::secret("setup_token", "Setup token from your SimpleFIN Bridge")],
        }],
    }
}

/// An account the bridge lists, as the link's account selection shows it.
fn discovered(access: &Access, account: &wire::Account) -> Result<DiscoveredAccount, ConnectorError> {
    let currency = wire::currency_code(&account.currency);
    let handle = Handle { access: access.to_url(), account: account.id.clone() };
    Ok(DiscoveredAccount {
        connector_ref: serde_json::to_string(&handle).map_err(|e| ConnectorError::Internal(e.to_string()))?,
        name: account.name.clone(),
        // SimpleFIN states no account number; the bridge's id for the account is what names
        // it, and what a re-authorisation with a new token matches.
        account_number: account.id.clone(),
        kind: String::new(),
        currency: currency.unwrap_or_default().to_string(),
        balance: wire::minor_units(&account.balance, currency),
    })
}

/// The account's balance and transactions, posted and pending.
fn fetched(account: &wire::Account) -> Result<FetchedData, ConnectorError> {
    let currency = wire::currency_code(&account.currency);
    let malformed =
        |what: &str| ConnectorError::Internal(format!("the bridge sent {what} that is not a decimal amount"));
    let balance = wire::minor_units(&account.balance, currency).ok_or_else(|| malformed("a balance"))?;
    let mut posted = Vec::new();
    let mut pending = Vec::new();
    for tx in &account.transactions {
        let amount = wire::minor_units(&tx.amount, currency).ok_or_else(|| malformed("a transaction amount"))?;
        let seconds = if tx.posted > 0 { tx.posted } else { tx.transacted_at.unwrap_or(0) };
        let row = FetchedTransaction {
            // The bridge keeps a transaction's id when it posts, so the pending row becomes
            // the posted one.
            fingerprint: format!("simplefin:{}", tx.id),
            date: Timestamp(seconds * 1000),
            narration: tx.description.clone(),
            amount: amount.abs(),
            kind: if amount < 0 { TxKind::Debit } else { TxKind::Credit },
            balance: None,
            currency: currency.unwrap_or_default().to_string(),
        };
        if tx.pending || tx.posted == 0 { pending.push(row) } else { posted.push(row) }
    }
    posted.sort_by_key(|t| t.date);
    Ok(FetchedData {
        balance: Some(balance),
        identity: None,
        transactions: Some(posted),
        pending,
        account_type: None,
        bvn: None,
        renewed_handle: None,
        status: None,
    })
}

#[async_trait]
impl Connector for SimpleFinConnector {
    fn name(&self) -> &str {
        "simplefin"
    }

    fn institutions(&self) -> Vec<Institution> {
        vec![institution()]
    }

    async fn login(
        &self,
        _institution: &Institution,
        _method: AuthMethod,
        credentials: &Credentials,
    ) -> Result<LoginStep, ConnectorError> {
        let access = self.claim(credentials.get("setup_token").unwrap_or_default()).await?;
        let set = self.accounts(&access, self.clock.now(), &[("balances-only", "1".into())]).await?;
        if !set.errors.is_empty() || !set.errlist.is_empty() {
            tracing::info!(messages = ?set.messages(), "the SimpleFIN bridge reported errors while listing accounts");
        }
        let accounts = set.accounts.iter().map(|a| discovered(&access, a)).collect::<Result<_, _>>()?;
        Ok(LoginStep::Accounts { state: String::new(), accounts })
    }

    async fn answer_challenge(
        &self,
        _institution: &Institution,
        _state: &str,
        _answer: &Credentials,
    ) -> Result<LoginStep, ConnectorError> {
        Err(ConnectorError::Internal("SimpleFIN asks no questions".into()))
    }

    async fn fetch(&self, account: ConnectorAccount<'_>) -> Result<FetchedData, ConnectorError> {
        let handle: Handle = serde_json::from_str(account.connector_ref)
            .map_err(|_| ConnectorError::Internal("the account's SimpleFIN handle is unreadable".into()))?;
        let access = Access::parse(&handle.access)
            .ok_or_else(|| ConnectorError::Internal("the account's SimpleFIN access URL is unreadable".into()))?;
        let days = if account.refresh { self.options.refresh_days.min(MAX_WINDOW_DAYS) } else { MAX_WINDOW_DAYS };
        let end = account.now.0 / 1000;
        let query = [
            ("start-date", (end - days * DAY_MS / 1000).to_string()),
            ("end-date", end.to_string()),
            ("pending", "1".into()),
            ("account", handle.account.clone()),
        ];
        let set = self.accounts(&access, account.now, &query).await?;
        let Some(found) = set.accounts.iter().find(|a| a.id == handle.account) else {
            // The bridge lost its connection to the bank, or the user stopped sharing the
            // account: either way the user must act at the bridge.
            tracing::info!(account = %account.account_id, messages = ?set.messages(), "SimpleFIN no longer lists the account");
            return Err(ConnectorError::ReauthorisationRequired);
        };
        if !set.errors.is_empty() || !set.errlist.is_empty() {
            tracing::info!(account = %account.account_id, messages = ?set.messages(), "the SimpleFIN bridge reported errors");
        }
        fetched(found)
    }
}
