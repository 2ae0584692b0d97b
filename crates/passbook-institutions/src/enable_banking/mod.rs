//! Enable Banking (<https://enablebanking.com>): banks in the UK and the EU through PSD2 consent,
//! free for an operator's own accounts. Every request carries an application JWT (RS256, the
//! application id as `kid`); the user approves at the bank (`POST /auth` → the bank → a `code`
//! at Passbook's registered redirect URI → `POST /sessions`); balances and transactions are
//! read per account `uid`, transactions page by `continuation_key`. A re-authorisation mints
//! new `uid`s upstream: the accounts are matched by IBAN (or identification hash), so the
//! integrator's account id never changes.
mod jwt;
mod mapping;
mod wire;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use passbook_domain::connector::{
    Connector, ConnectorAccount, ConnectorError, ConsentRequest, ConsentStart, Credentials, FetchedData, LoginStep,
    RequestBudget,
};
use passbook_domain::model::{AuthMethod, DiscoveredAccount, Institution};
use passbook_domain::{Clock, Timestamp};
use serde::de::DeserializeOwned;

use mapping::{balance, discovered, fetched_rows, institution, institution_id, refusal};

pub const ENABLE_BANKING_CONNECTOR: &str = "enable_banking";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Unattended fetches a bank allows per account and day under PSD2.
const UNATTENDED_PER_DAY: u32 = 4;
/// Pages of transactions one fetch follows at most.
const MAX_PAGES: usize = 200;

#[derive(Debug, Clone)]
pub struct EnableBankingOptions {
    pub base_url: String,
    /// The application's id, from Enable Banking's control panel.
    pub application_id: String,
    /// The application's private key (PEM).
    pub private_key_pem: String,
    /// Countries whose banks are offered (`FI`, `DE`, `GB`, …).
    pub countries: Vec<String>,
    /// The longest consent asked for; a bank's own maximum is never exceeded.
    pub consent_days: i64,
    pub timeout: Duration,
}

pub struct EnableBankingConnector {
    http: reqwest::Client,
    base_url: String,
    signer: jwt::Signer,
    consent_days: i64,
    countries: Vec<String>,
    /// The banks of the configured countries (read again by
    /// [`Connector::refresh_institutions`]).
    listed: RwLock<Listed>,
    budget: Arc<dyn RequestBudget>,
    clock: Arc<dyn Clock>,
}

/// The banks Enable Banking lists, by institution id, and as Passbook offers them.
#[derive(Default)]
struct Listed {
    banks: HashMap<String, wire::Aspsp>,
    institutions: Vec<Institution>,
}

/// What a linked account's handle holds: its session, its `uid` in that session, and when the
/// consent ends.
#[derive(serde::Serialize, serde::Deserialize)]
struct Handle {
    session: String,
    uid: String,
    until: i64,
}

fn handle_of(connector_ref: &str) -> Option<Handle> {
    serde_json::from_str(connector_ref).ok()
}

fn handle(connector_ref: &str) -> Result<Handle, ConnectorError> {
    handle_of(connector_ref)
        .ok_or_else(|| ConnectorError::Internal("the account's Enable Banking handle is unreadable".into()))
}

impl EnableBankingConnector {
    /// Signs in with the application's key and reads the banks of the configured countries.
    pub async fn connect(
        options: EnableBankingOptions,
        budget: Arc<dyn RequestBudget>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConnectorError> {
        let signer =
            jwt::Signer::new(&options.application_id, &options.private_key_pem).map_err(ConnectorError::Internal)?;
        let http = passbook_egress::operator_client(concat!("Passbook/", env!("CARGO_PKG_VERSION")), options.timeout);
        let connector = Self {
            http,
            base_url: options.base_url.trim_end_matches('/').to_string(),
            signer,
            consent_days: options.consent_days,
            countries: options.countries,
            listed: RwLock::default(),
            budget,
            clock,
        };
        match connector.refresh_institutions().await {
            // Enable Banking down at start: Passbook starts without its banks and reads them
            // again soon (`Institutions::refresh`); a refused key still stops the start.
            Err(ConnectorError::InstitutionUnavailable) => {
                tracing::warn!("Enable Banking did not answer; starting without its banks until it does")
            }
            other => {
                other?;
            }
        }
        Ok(connector)
    }

    /// The banks of every configured country, as Enable Banking lists them now.
    async fn read_banks(&self) -> Result<Listed, ConnectorError> {
        let mut listed = Listed::default();
        for country in &self.countries {
            let answer: wire::Aspsps = self.get(&format!("/aspsps?country={}", country.to_uppercase())).await?;
            for bank in answer.aspsps {
                let id = institution_id(&bank);
                listed.institutions.push(institution(&id, &bank));
                listed.banks.insert(id, bank);
            }
        }
        Ok(listed)
    }

    fn listed(&self) -> std::sync::RwLockReadGuard<'_, Listed> {
        self.listed.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, ConnectorError> {
        let token = self.signer.token(self.clock.now().0 / 1000).map_err(ConnectorError::Internal)?;
        let response = request.bearer_auth(token).send().await.map_err(|err| {
            tracing::info!(error = %err, "Enable Banking did not answer");
            ConnectorError::InstitutionUnavailable
        })?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|_| ConnectorError::InstitutionUnavailable)?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body)
                .map_err(|e| ConnectorError::Internal(format!("Enable Banking's answer could not be read: {e}")));
        }
        let failure: wire::Failure = serde_json::from_slice(&body).unwrap_or_default();
        Err(refusal(status, failure))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ConnectorError> {
        self.send(self.http.get(format!("{}{path}", self.base_url))).await
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl serde::Serialize) -> Result<T, ConnectorError> {
        self.send(self.http.post(format!("{}{path}", self.base_url)).json(body)).await
    }

    /// Every transaction since `from`, following `continuation_key`.
    async fn transactions(&self, uid: &str, from: Timestamp) -> Result<Vec<wire::Transaction>, ConnectorError> {
        let date_from = from.to_iso()[..10].to_string();
        let mut all = Vec::new();
        let mut key: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = url::Url::parse(&format!("{}/accounts/{uid}/transactions", self.base_url))
                .map_err(|e| ConnectorError::Internal(e.to_string()))?;
            url.query_pairs_mut().append_pair("date_from", &date_from);
            if let Some(key) = &key {
                url.query_pairs_mut().append_pair("continuation_key", key);
            }
            let page: wire::Transactions = self.send(self.http.get(url)).await?;
            all.extend(page.transactions);
            match page.continuation_key.filter(|k| !k.is_empty()) {
                Some(next) if Some(&next) != key.as_ref() => key = Some(next),
                _ => return Ok(all),
            }
        }
        Err(ConnectorError::Internal(format!("Enable Banking kept paging past {MAX_PAGES} pages")))
    }
}

#[async_trait]
impl Connector for EnableBankingConnector {
    fn name(&self) -> &str {
        ENABLE_BANKING_CONNECTOR
    }

    fn institutions(&self) -> Vec<Institution> {
        self.listed().institutions.clone()
    }

    async fn refresh_institutions(&self) -> Result<bool, ConnectorError> {
        let fresh = self.read_banks().await?;
        let changed = fresh.institutions != self.listed().institutions;
        *self.listed.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
        Ok(changed)
    }

    async fn login(&self, _: &Institution, _: AuthMethod, _: &Credentials) -> Result<LoginStep, ConnectorError> {
        Err(ConnectorError::Internal("Enable Banking's banks are reached by consent".into()))
    }

    async fn answer_challenge(&self, _: &Institution, _: &str, _: &Credentials) -> Result<LoginStep, ConnectorError> {
        Err(ConnectorError::Internal("Enable Banking's banks are reached by consent".into()))
    }

    /// A consent for as long as the bank allows (at most the configured days), approved at the
    /// bank, which sends the user to Passbook's one registered redirect URI.
    async fn start_consent(
        &self,
        institution: &Institution,
        request: ConsentRequest,
    ) -> Result<ConsentStart, ConnectorError> {
        let bank = self.listed().banks.get(&institution.id).cloned().ok_or(ConnectorError::InstitutionUnavailable)?;
        let longest = bank.maximum_consent_validity.map_or(i64::MAX, |secs| secs * 1000);
        let valid_until = self.clock.now().plus_millis(longest.min(self.consent_days * DAY_MS));
        let body = wire::AuthRequest {
            access: wire::Access { valid_until: valid_until.to_iso() },
            aspsp: wire::AspspRef { name: &bank.name, country: &bank.country },
            state: &request.state,
            redirect_url: &request.registered_return_url,
            psu_type: "personal",
        };
        let answer: wire::AuthAnswer = self.post("/auth", &body).await?;
        Ok(ConsentStart { consent_id: answer.authorization_id, redirect_url: answer.url })
    }

    async fn finish_consent(
        &self,
        _institution: &Institution,
        _consent_id: &str,
        answer: &Credentials,
    ) -> Result<Vec<DiscoveredAccount>, ConnectorError> {
        let code = answer.get("code").ok_or(ConnectorError::InvalidAnswer)?;
        let session: wire::Session = self.post("/sessions", &serde_json::json!({"code": code})).await?;
        let until = Timestamp::parse_iso(&session.access.valid_until)
            .ok_or_else(|| ConnectorError::Internal("Enable Banking sent a consent without an end".into()))?;
        session.accounts.iter().map(|account| discovered(&session, until.0, account)).collect()
    }

    /// Ends the consent (`DELETE /sessions/{id}`) once no other linked account of the customer
    /// rests on it: one consent covers every account the user chose at the bank.
    async fn unlink(&self, account: ConnectorAccount<'_>, still_linked: &[&str]) -> Result<(), ConnectorError> {
        let handle = handle(account.connector_ref)?;
        let shared =
            still_linked.iter().filter_map(|other| handle_of(other)).any(|other| other.session == handle.session);
        if shared {
            return Ok(());
        }
        let _: serde_json::Value =
            self.send(self.http.delete(format!("{}/sessions/{}", self.base_url, handle.session))).await?;
        Ok(())
    }

    async fn fetch(&self, account: ConnectorAccount<'_>) -> Result<FetchedData, ConnectorError> {
        let handle = handle(account.connector_ref)?;
        if account.now.0 >= handle.until {
            return Err(ConnectorError::ReauthorisationRequired);
        }
        // Without the user present, a bank answers a few times a day (PSD2).
        let today = Timestamp(account.now.0.div_euclid(DAY_MS) * DAY_MS);
        if account.refresh
            && !self.budget.take(&format!("enable_banking:{}", handle.uid), today, UNATTENDED_PER_DAY).await?
        {
            return Err(ConnectorError::QuotaExhausted { until: today.plus_millis(DAY_MS) });
        }
        let balances: wire::Balances = self.get(&format!("/accounts/{}/balances", handle.uid)).await?;
        let from = account.now.plus_millis(-(if account.refresh { 30 } else { 365 }) * DAY_MS);
        let (posted, pending) = fetched_rows(&self.transactions(&handle.uid, from).await?)?;
        Ok(FetchedData {
            balance: balance(&balances).map(|(amount, _)| amount),
            transactions: Some(posted),
            pending,
            ..Default::default()
        })
    }
}
