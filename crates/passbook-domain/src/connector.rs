//! The institution port: every bank or platform is reached through a [`Connector`].
use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;

use crate::Timestamp;
use crate::model::{AccountId, AppId, AuthMethod, Challenge, DiscoveredAccount, Identity, Institution, TxKind};

/// What the user typed into the institution's login or challenge form. Never logged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials(pub BTreeMap<String, String>);

impl Credentials {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()?;
        f.write_str(" (values redacted)")
    }
}

/// Where a login stands after the bank answered.
#[derive(Debug, Clone)]
pub enum LoginStep {
    /// The bank asks a question (one-time code, security question).
    Challenge { state: String, challenge: Challenge },
    /// Logged in: these are the accounts the user can link.
    Accounts { state: String, accounts: Vec<DiscoveredAccount> },
}

/// Why the bank, or the connector, refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    #[error("The login details are incorrect. Check them and try again.")]
    InvalidCredentials,
    #[error("The code or answer is incorrect. Try again.")]
    InvalidAnswer,
    /// The institution refused what the user gave, for this reason (shown to the user): a
    /// SimpleFIN setup token that was already claimed, say.
    #[error("{0}")]
    Refused(String),
    #[error("Your account is locked at the bank. Contact your bank to unlock it.")]
    AccountLocked,
    #[error("The bank is temporarily unavailable. Try again later.")]
    InstitutionUnavailable,
    #[error("The bank needs you to log in again.")]
    ReauthorisationRequired,
    /// The institution's allowance of requests is used up until `until`; stored data stays.
    #[error("The request allowance at the institution is used up until {until}.")]
    QuotaExhausted { until: Timestamp },
    /// A failure worth retrying soon (timeouts, a dropped connection).
    #[error("temporary connector failure: {0}")]
    Transient(String),
    /// A failure on Passbook's side that retrying will not fix.
    #[error("connector failure: {0}")]
    Internal(String),
    /// What the account's data is read from is gone or unreadable (a statement import).
    #[error("the account's source cannot be read: {0}")]
    Unreadable(String),
}

/// What a consent is asked for.
#[derive(Debug, Clone)]
pub struct ConsentRequest {
    /// Where the bank sends the user back (Passbook's page of the link).
    pub return_url: String,
    /// The same for banks that register one redirect URI: `/link/consent-return`, where the
    /// link is found by `state` alone.
    pub registered_return_url: String,
    /// Given back unchanged with the answer; ties it to this link (`{link token}.{nonce}`).
    pub state: String,
    /// The link's customer, for upstreams that keep customers of their own (Mono).
    pub customer_name: String,
    pub customer_email: String,
    /// The handle of the account a re-authorisation renews.
    pub renewing: Option<String>,
}

/// A consent registered at the bank, waiting for the user's approval.
#[derive(Debug, Clone)]
pub struct ConsentStart {
    pub consent_id: String,
    /// The bank's page where the user approves.
    pub redirect_url: String,
}

/// The sandbox open bank's answer code: the consent, the accounts the user approved (by index)
/// and for how many days. Its consent page (served by Passbook) writes it and the sandbox
/// connector reads it, so both sides share one shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConsentCode {
    pub consent_id: String,
    pub accounts: Vec<u8>,
    pub days: u32,
}

impl SandboxConsentCode {
    pub fn encode(&self) -> String {
        let accounts: Vec<String> = self.accounts.iter().map(u8::to_string).collect();
        format!("{}.{}.{}", self.consent_id, accounts.join("-"), self.days)
    }

    pub fn parse(code: &str) -> Option<Self> {
        let mut parts = code.split('.');
        let consent_id = parts.next()?.to_string();
        let accounts = parts.next()?.split('-').map(|a| a.parse().ok()).collect::<Option<Vec<u8>>>()?;
        let days = parts.next()?.parse().ok()?;
        (parts.next().is_none() && !accounts.is_empty()).then_some(Self { consent_id, accounts, days })
    }
}

/// One record of the bank's transaction history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedTransaction {
    pub fingerprint: String,
    pub date: Timestamp,
    pub narration: String,
    pub amount: i64,
    pub kind: TxKind,
    pub balance: Option<i64>,
    pub currency: String,
}

/// What the bank returned for one account; `None` means that part could not be retrieved.
#[derive(Debug, Clone, Default)]
pub struct FetchedData {
    pub balance: Option<i64>,
    pub identity: Option<Identity>,
    /// Posted records (`balance` after each): what Mono's endpoints serve.
    pub transactions: Option<Vec<FetchedTransaction>>,
    /// Records the bank has authorised but not yet posted (`balance` is `None`). One that later
    /// posts keeps its fingerprint; one that is reversed stops being listed.
    pub pending: Vec<FetchedTransaction>,
    pub account_type: Option<String>,
    /// Full BVN from the bank; only the last four digits are kept on the account.
    pub bvn: Option<String>,
    /// A new handle for the account, when the fetch renewed its access (a refreshed token, a
    /// rotated credential): stored, sealed, with the data the fetch read, so neither is kept
    /// without the other.
    pub renewed_handle: Option<String>,
    /// The data status where the source decides it (a statement: AVAILABLE only when it states
    /// its balance and its numbers reconcile); `None`: it follows from what was fetched.
    pub status: Option<crate::model::DataStatus>,
}

/// A linked account as a connector addresses it.
#[derive(Debug, Clone)]
pub struct ConnectorAccount<'a> {
    pub app_id: &'a AppId,
    pub account_id: &'a AccountId,
    pub institution_id: &'a str,
    pub connector_ref: &'a str,
    pub account_number: &'a str,
    /// The currency the account was linked in.
    pub currency: &'a str,
    /// A refresh rather than the first fetch after the user logged in.
    pub refresh: bool,
    /// When the user last logged in for this account.
    pub authorised_at: Timestamp,
    /// The moment the fetch is for: the time now, or a sandbox app's clock (which
    /// `POST /passbook/v1/sandbox/clock` moves ahead).
    pub now: Timestamp,
    /// The app asked for data fresh from the bank now (`x-realtime: true`), which an upstream
    /// aggregator may bill; scheduled refreshes read what the upstream already holds.
    pub realtime: bool,
}

impl<'a> ConnectorAccount<'a> {
    /// How a linked account is shown to its connector.
    pub fn of(account: &'a crate::model::Account, refresh: bool, now: Timestamp) -> Self {
        Self {
            app_id: &account.app_id,
            account_id: &account.id,
            institution_id: &account.institution_id,
            connector_ref: &account.connector_ref,
            account_number: &account.account_number,
            currency: &account.currency,
            refresh,
            authorised_at: account.authorised_at,
            now,
            realtime: false,
        }
    }
}

/// A count of requests an upstream allows per window (SimpleFIN's daily allowance, Mono's billed
/// real-time calls), kept where every replica sees it, so the allowance is never exceeded.
#[async_trait]
pub trait RequestBudget: Send + Sync {
    /// Takes one request from `key`'s allowance of `limit` in the window that starts at
    /// `window_start`; `false` when the allowance is used up.
    async fn take(&self, key: &str, window_start: Timestamp, limit: u32) -> Result<bool, ConnectorError>;
}

/// A scripted test login that a sandbox connector offers.
#[derive(Debug, Clone)]
pub struct SandboxLogin {
    pub username: String,
    pub password: String,
    pub description: String,
    pub has_multiple_accounts: bool,
}

/// What an upstream's notification asks of Passbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamNotice {
    /// The account's data changed upstream (or its access did): fetch it again.
    Refresh { account_id: AccountId },
}

/// Why a notification was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationRefused {
    #[error("the notification's secret or signature does not match")]
    Unauthenticated,
    #[error("the notification is not one this connector reads: {0}")]
    Malformed(String),
    #[error("this connector takes no notifications")]
    Unsupported,
    /// Passbook could not keep what the notification said (its database is away): the upstream
    /// should send it again.
    #[error("the notification could not be kept now: {0}")]
    Unavailable(String),
}

/// What a connector keeps between calls, where every replica sees it (an upstream's account
/// id announced by its webhook, a flag it raised): sealed at rest.
#[async_trait]
pub trait ConnectorMemory: Send + Sync {
    async fn remember(&self, key: &str, value: &str) -> Result<(), ConnectorError>;
    async fn recall(&self, key: &str) -> Result<Option<String>, ConnectorError>;
    async fn forget(&self, key: &str) -> Result<(), ConnectorError>;
}

#[async_trait]
pub trait Connector: Send + Sync {
    /// The connector's name: where its upstream's notifications arrive
    /// (`/passbook/v1/connectors/{name}/notifications`), and in logs.
    fn name(&self) -> &str;

    /// The institutions this connector serves.
    fn institutions(&self) -> Vec<Institution>;

    /// The way in this connector serves at *every* institution, whichever connector lists it:
    /// the statement files (any bank's statement). Accounts linked that way are fetched through
    /// this connector; every institution then offers that way.
    fn serves_way_in(&self) -> Option<crate::model::WayIn> {
        None
    }

    /// Test logins, for connectors that simulate institutions; real connectors have none.
    fn sandbox_logins(&self) -> Vec<SandboxLogin> {
        Vec::new()
    }

    async fn login(
        &self,
        institution: &Institution,
        method: AuthMethod,
        credentials: &Credentials,
    ) -> Result<LoginStep, ConnectorError>;

    async fn answer_challenge(
        &self,
        institution: &Institution,
        state: &str,
        answer: &Credentials,
    ) -> Result<LoginStep, ConnectorError>;

    async fn fetch(&self, account: ConnectorAccount<'_>) -> Result<FetchedData, ConnectorError>;

    /// Renews access to a linked account without its user, where the institution allows it (a
    /// standing consent, a refresh token): the accounts the renewed access shows. `Ok(None)`
    /// when the user must log in again, which is what institutions do by default.
    async fn renew(
        &self,
        _institution: &Institution,
        _account: ConnectorAccount<'_>,
    ) -> Result<Option<Vec<DiscoveredAccount>>, ConnectorError> {
        Ok(None)
    }

    /// Open banking: registers a consent and says where to send the user to approve it. The
    /// bank sends the user back to `request.return_url` with `request.state` and its answer.
    async fn start_consent(
        &self,
        _institution: &Institution,
        _request: ConsentRequest,
    ) -> Result<ConsentStart, ConnectorError> {
        Err(ConnectorError::Internal("this institution offers no open banking consent".into()))
    }

    /// The user came back from the bank with `answer` (the return URL's query): the accounts the
    /// consent covers. Their handles carry what later fetches need (the consent, its expiry);
    /// once it expires, `fetch` answers `ReauthorisationRequired`.
    async fn finish_consent(
        &self,
        _institution: &Institution,
        _consent_id: &str,
        _answer: &Credentials,
    ) -> Result<Vec<DiscoveredAccount>, ConnectorError> {
        Err(ConnectorError::Internal("this institution offers no open banking consent".into()))
    }

    /// The app unlinked the account: tell the upstream, where there is one to tell.
    /// `still_linked`: the handles (`connector_ref`) of the customer's other accounts at the same
    /// institution, still linked; a consent they share must outlive this account.
    async fn unlink(&self, _account: ConnectorAccount<'_>, _still_linked: &[&str]) -> Result<(), ConnectorError> {
        Ok(())
    }

    /// A notification the upstream sent (its webhook): checked, then what it asks of Passbook.
    async fn notification(
        &self,
        _headers: &[(String, String)],
        _body: &[u8],
    ) -> Result<Vec<UpstreamNotice>, NotificationRefused> {
        Err(NotificationRefused::Unsupported)
    }

    /// Reads the upstream's institution list again (an aggregator's coverage changes): `true`
    /// when [`Connector::institutions`] now answers differently. Most connectors' lists are fixed.
    async fn refresh_institutions(&self) -> Result<bool, ConnectorError> {
        Ok(false)
    }

    /// Holdings and earnings, for investment platforms; `None` for institutions that have none.
    async fn investments(&self, _account: ConnectorAccount<'_>) -> Result<Option<Investments>, ConnectorError> {
        Ok(None)
    }
}

/// An investment account's holdings and what they earned (contract §1.12). Amounts in minor
/// units of `currency`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Investments {
    pub currency: String,
    pub cash_balance: i64,
    pub assets: Vec<Asset>,
    pub earnings: Vec<Earning>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Asset {
    pub name: String,
    pub kind: String,
    pub symbol: Option<String>,
    pub cost: i64,
    pub value: i64,
    pub quantity: Option<f64>,
    pub price: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Earning {
    pub id: String,
    pub amount: i64,
    pub narration: String,
    pub date: Timestamp,
    pub asset_name: String,
    pub symbol: Option<String>,
}
