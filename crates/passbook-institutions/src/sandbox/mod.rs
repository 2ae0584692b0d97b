//! The sandbox connector: Nigerian institutions whose logins follow scripted scenarios chosen
//! by username (password `123456`, codes `123456`), with data generated from the account id.
mod catalogue;
mod history;
mod investments;
mod names;
pub mod open_bank;
mod persona;
mod scenario;

use std::time::Duration;

use async_trait::async_trait;
use passbook_domain::connector::{
    Connector, ConnectorAccount, ConnectorError, ConsentRequest, ConsentStart, Credentials, FetchedData, Investments,
    LoginStep, SandboxLogin,
};
use passbook_domain::model::{AuthMethod, DiscoveredAccount, Institution, InstitutionKind};
use passbook_domain::{Clock, Timestamp};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub use scenario::{SANDBOX_CODE, SANDBOX_PASSWORD, Scenario};

use persona::{Persona, nuban};

/// How long `user_reauth`'s bank session lasts: refreshes after that need a new login.
const REAUTH_SESSION_MS: i64 = 60 * 60 * 1000;

/// Timings of the slow scenarios.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// How long `user_slow`'s data stays PROCESSING.
    pub slow_fetch: Duration,
    /// How long `user_slow_login` takes to log in.
    pub slow_login: Duration,
    /// Passbook's public URL, where the sandbox open bank's consent page is served.
    pub public_url: String,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self { slow_fetch: Duration::from_secs(5), slow_login: Duration::from_secs(3), public_url: String::new() }
    }
}

pub struct SandboxConnector {
    options: SandboxOptions,
    clock: Arc<dyn Clock>,
}

impl SandboxConnector {
    pub fn new(options: SandboxOptions, clock: Arc<dyn Clock>) -> Self {
        Self { options, clock }
    }

    fn accounts(&self, institution: &Institution, username: &str, scenario: Scenario) -> Vec<DiscoveredAccount> {
        let persona = Persona::for_username(username);
        let kinds: &[&str] = match (scenario, institution.kind) {
            (Scenario::MultipleAccounts, _) => &["SAVINGS_ACCOUNT", "CURRENT_ACCOUNT", "Tier 3 Savings Account"],
            (_, InstitutionKind::BusinessBanking) => &["CURRENT_ACCOUNT"],
            _ => &["SAVINGS_ACCOUNT"],
        };
        kinds
            .iter()
            .enumerate()
            .map(|(index, kind)| DiscoveredAccount {
                connector_ref: format!("{username}:{index}"),
                name: persona.full_name(),
                account_number: nuban(&institution.bank_code, seed(&[&institution.id, username, &index.to_string()])),
                kind: kind.to_string(),
                currency: "NGN".into(),
                balance: None,
            })
            .collect()
    }
}

/// A stable 64-bit seed from text parts.
pub(crate) fn seed(parts: &[&str]) -> u64 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    u64::from_be_bytes(hasher.finalize()[..8].try_into().expect("8 bytes"))
}

/// The time inside a 24-hex ObjectId: when the account was linked.
fn object_id_time(id: &str) -> Option<Timestamp> {
    let secs = u32::from_str_radix(id.get(..8)?, 16).ok()?;
    Some(Timestamp(secs as i64 * 1000))
}

#[async_trait]
impl Connector for SandboxConnector {
    fn name(&self) -> &str {
        "sandbox"
    }

    fn institutions(&self) -> Vec<Institution> {
        catalogue::institutions()
    }

    fn sandbox_logins(&self) -> Vec<SandboxLogin> {
        scenario::SCENARIOS
            .iter()
            .map(|(username, scenario, description)| SandboxLogin {
                username: username.to_string(),
                password: SANDBOX_PASSWORD.into(),
                description: description.to_string(),
                has_multiple_accounts: *scenario == Scenario::MultipleAccounts,
            })
            .collect()
    }

    async fn login(
        &self,
        institution: &Institution,
        _method: AuthMethod,
        credentials: &Credentials,
    ) -> Result<LoginStep, ConnectorError> {
        let username = credentials.get("username").unwrap_or_default().trim().to_lowercase();
        let scenario = Scenario::from_username(&username).ok_or(ConnectorError::InvalidCredentials)?;
        if credentials.get("password") != Some(SANDBOX_PASSWORD) {
            return Err(ConnectorError::InvalidCredentials);
        }
        match scenario {
            Scenario::Locked => Err(ConnectorError::AccountLocked),
            Scenario::InstitutionDown => Err(ConnectorError::InstitutionUnavailable),
            Scenario::Otp | Scenario::SecurityQuestion => Ok(LoginStep::Challenge {
                state: username.clone(),
                challenge: scenario.challenge().expect("these scenarios ask a question"),
            }),
            Scenario::SlowLogin => {
                tokio::time::sleep(self.options.slow_login).await;
                Ok(LoginStep::Accounts {
                    state: username.clone(),
                    accounts: self.accounts(institution, &username, scenario),
                })
            }
            _ => Ok(LoginStep::Accounts {
                state: username.clone(),
                accounts: self.accounts(institution, &username, scenario),
            }),
        }
    }

    /// The sandbox bank keeps its sessions, except `user_reauth`'s (and those of logins that
    /// never get in): those need the user again.
    async fn renew(
        &self,
        institution: &Institution,
        account: ConnectorAccount<'_>,
    ) -> Result<Option<Vec<DiscoveredAccount>>, ConnectorError> {
        let username = account.connector_ref.split(':').next().unwrap_or_default();
        match Scenario::from_username(username) {
            Some(Scenario::NeedsReauth | Scenario::Locked | Scenario::InstitutionDown) | None => Ok(None),
            Some(scenario) => Ok(Some(self.accounts(institution, username, scenario))),
        }
    }

    async fn investments(&self, account: ConnectorAccount<'_>) -> Result<Option<Investments>, ConnectorError> {
        let linked_at = object_id_time(account.account_id).unwrap_or_else(|| self.clock.now());
        Ok(Some(investments::generate(account.account_id, linked_at)))
    }

    async fn answer_challenge(
        &self,
        institution: &Institution,
        state: &str,
        answer: &Credentials,
    ) -> Result<LoginStep, ConnectorError> {
        let scenario =
            Scenario::from_username(state).ok_or_else(|| ConnectorError::Internal("unknown sandbox state".into()))?;
        let challenge = scenario.challenge().ok_or_else(|| ConnectorError::Internal("no challenge pending".into()))?;
        let field = &challenge.fields[0].name;
        if answer.get(field).map(str::trim) != Some(SANDBOX_CODE) {
            return Err(ConnectorError::InvalidAnswer);
        }
        Ok(LoginStep::Accounts { state: state.to_string(), accounts: self.accounts(institution, state, scenario) })
    }

    async fn start_consent(
        &self,
        _institution: &Institution,
        request: ConsentRequest,
    ) -> Result<ConsentStart, ConnectorError> {
        open_bank::start(&self.options.public_url, &request)
    }

    async fn finish_consent(
        &self,
        institution: &Institution,
        consent_id: &str,
        answer: &Credentials,
    ) -> Result<Vec<DiscoveredAccount>, ConnectorError> {
        open_bank::finish(institution, consent_id, answer, self.clock.now())
    }

    async fn fetch(&self, account: ConnectorAccount<'_>) -> Result<FetchedData, ConnectorError> {
        let now = account.now;
        if open_bank::expired(account.connector_ref, now) {
            return Err(ConnectorError::ReauthorisationRequired);
        }
        let username = account.connector_ref.split(':').next().unwrap_or_default();
        let scenario = Scenario::from_username(username).unwrap_or(Scenario::Good);
        let persona = Persona::for_username(username);
        let linked_at = object_id_time(account.account_id).unwrap_or(now);
        if scenario == Scenario::SlowData {
            tokio::time::sleep(self.options.slow_fetch).await;
        }
        if scenario == Scenario::NeedsReauth && account.refresh && now.0 - account.authorised_at.0 > REAUTH_SESSION_MS {
            return Err(ConnectorError::ReauthorisationRequired);
        }
        if scenario == Scenario::Outage && account.refresh && scenario::outage_day(now) {
            return Err(ConnectorError::InstitutionUnavailable);
        }
        if scenario == Scenario::DataFailed {
            return Err(ConnectorError::Internal("sandbox scenario user_failed: the data fetch fails".into()));
        }
        let busy = scenario == Scenario::LongHistory;
        let history = history::generate(account.account_id, &persona, linked_at, now.max(linked_at), busy);
        let mut data = FetchedData {
            identity: Some(persona.identity.clone()),
            bvn: persona.identity.bvn.clone(),
            balance: Some(history.balance),
            transactions: Some(history.transactions),
            pending: history.pending,
            account_type: None,
            renewed_handle: None,
            status: None,
        };
        match scenario {
            Scenario::DataPartial => {
                data.transactions = None;
                data.pending.clear();
            }
            Scenario::DataUnavailable => {
                data.balance = None;
                data.transactions = None;
                data.pending.clear();
            }
            _ => {}
        }
        Ok(data)
    }
}
