//! Mono as the upstream (<https://mono.co>): Nigerian banks through the operator's own Mono
//! business keys. Mono stays the licensed collector; the user links at Mono's page (a consent
//! redirect), Mono's webhooks come to `/passbook/v1/connectors/mono/notifications` (their
//! secret checked in constant time), and Passbook reads the data with Mono's v2 API and serves
//! it as its own. Real-time refreshes pass through only when the app asks for them
//! (`x-realtime`), at most one per account per five minutes and within the operator's daily
//! budget, because Mono bills each one.
mod mapping;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use passbook_client::Client;
use passbook_client::types::accounts::TransactionsQuery;
use passbook_client::types::institutions::InstitutionsQuery;
use passbook_client::types::linking::{CustomerIn, InitiateRequest, InstitutionChoice, RefMeta};
use passbook_domain::connector::{
    Connector, ConnectorAccount, ConnectorError, ConnectorMemory, ConsentRequest, ConsentStart, Credentials,
    FetchedData, LoginStep, NotificationRefused, RequestBudget, UpstreamNotice,
};
use passbook_domain::model::{AuthMethod, DiscoveredAccount, Institution};
use passbook_domain::{Clock, Timestamp};

use mapping::{account_error, discovered, fetched, institution, upstream_error};

/// Where Mono's webhooks arrive: `/passbook/v1/connectors/mono/notifications`.
pub const MONO_CONNECTOR: &str = "mono";

/// At most one real-time call per account in this window (Mono's own limit).
const REALTIME_WINDOW_MS: i64 = 5 * 60 * 1000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// How long the user's return waits for Mono's `account_connected` webhook.
const ANNOUNCEMENT_WAIT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub struct MonoOptions {
    /// `https://api.withmono.com`, or another Mono-compatible API.
    pub base_url: String,
    /// The operator's Mono secret key (`live_sk_…` or `test_sk_…`).
    pub secret_key: String,
    /// The webhook secret set in Mono's dashboard; Mono sends it as `mono-webhook-secret`.
    pub webhook_secret: String,
    /// Real-time calls (billed by Mono) allowed per UTC day, over all accounts.
    pub realtime_per_day: u32,
    pub timeout: Duration,
}

pub struct MonoConnector {
    api: Client,
    webhook_secret: String,
    realtime_per_day: u32,
    /// Mono's institutions, and the upstream auth method to open each on (read again by
    /// [`Connector::refresh_institutions`]).
    listed: RwLock<Listed>,
    memory: Arc<dyn ConnectorMemory>,
    budget: Arc<dyn RequestBudget>,
    clock: Arc<dyn Clock>,
}

/// What Mono lists: its institutions as Passbook offers them, and the upstream auth method to
/// open each on.
struct Listed {
    institutions: Vec<Institution>,
    methods: HashMap<String, String>,
}

impl Listed {
    async fn read(api: &Client) -> Result<Self, ConnectorError> {
        let listed = api.institutions(&InstitutionsQuery::default()).await.map_err(upstream_error)?;
        let methods =
            listed.iter().filter_map(|i| i.auth_methods.first().map(|m| (i.id.clone(), m.kind.clone()))).collect();
        Ok(Self { institutions: listed.iter().map(institution).collect(), methods })
    }
}

/// Asks Mono for an account no one has: a key it refuses answers 401 or 403, a good one 404.
/// Mono's institution list may not need the key, so reading it proves nothing; this reads no
/// customer's data. Mono down is not a refusal: the key is checked at its first use then.
async fn check_key(api: &Client) -> Result<(), ConnectorError> {
    match api.account("000000000000000000000000").await {
        Err(passbook_client::Error::Api { status: 401 | 403, message, .. }) => {
            Err(ConnectorError::Internal(format!("Mono refused the operator's secret key: {message}")))
        }
        _ => Ok(()),
    }
}

fn linked_key(reference: &str) -> String {
    format!("mono:linked:{reference}")
}

fn account_key(upstream: &str) -> String {
    format!("mono:account:{upstream}")
}

fn reauth_key(upstream: &str) -> String {
    format!("mono:reauth:{upstream}")
}

impl MonoConnector {
    /// Checks the key, reads Mono's institution list (the list Passbook then offers) and is ready.
    pub async fn connect(
        options: MonoOptions,
        memory: Arc<dyn ConnectorMemory>,
        budget: Arc<dyn RequestBudget>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConnectorError> {
        let http = passbook_egress::operator_client(concat!("Passbook/", env!("CARGO_PKG_VERSION")), options.timeout);
        let api = Client::with_http(http, &options.base_url, &options.secret_key);
        check_key(&api).await?;
        let listed = match Listed::read(&api).await {
            Ok(listed) => listed,
            // Mono down at start: Passbook starts without its institutions and reads them again
            // soon (`Institutions::refresh`); a refused key still stops the start.
            Err(ConnectorError::InstitutionUnavailable) => {
                tracing::warn!("Mono did not answer; starting without its institutions until it does");
                Listed { institutions: Vec::new(), methods: HashMap::new() }
            }
            Err(other) => return Err(other),
        };
        let listed = RwLock::new(listed);
        Ok(Self {
            api,
            webhook_secret: options.webhook_secret,
            realtime_per_day: options.realtime_per_day,
            listed,
            memory,
            budget,
            clock,
        })
    }

    fn listed(&self) -> std::sync::RwLockReadGuard<'_, Listed> {
        self.listed.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether this fetch may be a billed real-time call: one per account per five minutes,
    /// and the day's budget not spent.
    async fn may_call_realtime(&self, upstream: &str, now: Timestamp) -> Result<bool, ConnectorError> {
        let window = Timestamp(now.0.div_euclid(REALTIME_WINDOW_MS) * REALTIME_WINDOW_MS);
        let day = Timestamp(now.0.div_euclid(DAY_MS) * DAY_MS);
        // The per-account window is kept apart from the `mono:` keys, which count calls.
        Ok(self.budget.take(&format!("mono-window:{upstream}"), window, 1).await?
            && self.budget.take("mono:realtime", day, self.realtime_per_day).await?)
    }

    /// The account Mono announced for the link with this reference (its `account_connected`
    /// webhook), waiting a little for a webhook that is on its way.
    async fn announced(&self, reference: &str) -> Result<String, ConnectorError> {
        let deadline = tokio::time::Instant::now() + ANNOUNCEMENT_WAIT;
        loop {
            if let Some(upstream) = self.memory.recall(&linked_key(reference)).await? {
                return Ok(upstream);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ConnectorError::Transient("Mono has not announced the linked account yet".into()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A header's value, by name (case-insensitive).
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

#[async_trait]
impl Connector for MonoConnector {
    fn name(&self) -> &str {
        MONO_CONNECTOR
    }

    fn institutions(&self) -> Vec<Institution> {
        self.listed().institutions.clone()
    }

    async fn refresh_institutions(&self) -> Result<bool, ConnectorError> {
        let fresh = Listed::read(&self.api).await?;
        let changed = fresh.institutions != self.listed().institutions;
        *self.listed.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
        Ok(changed)
    }

    async fn login(&self, _: &Institution, _: AuthMethod, _: &Credentials) -> Result<LoginStep, ConnectorError> {
        Err(ConnectorError::Internal("Mono's institutions are linked at Mono's page".into()))
    }

    async fn answer_challenge(&self, _: &Institution, _: &str, _: &Credentials) -> Result<LoginStep, ConnectorError> {
        Err(ConnectorError::Internal("Mono's institutions are linked at Mono's page".into()))
    }

    /// A link at Mono (or a re-authorisation of the account), which sends the user back here
    /// with the link's state.
    async fn start_consent(
        &self,
        institution: &Institution,
        request: ConsentRequest,
    ) -> Result<ConsentStart, ConnectorError> {
        let mut back = url::Url::parse(&request.return_url).map_err(|e| ConnectorError::Internal(e.to_string()))?;
        back.query_pairs_mut().append_pair("state", &request.state);
        let meta = Some(RefMeta { reference: Some(request.state.clone()) });
        let body = match &request.renewing {
            Some(upstream) => InitiateRequest {
                scope: Some("reauth".into()),
                account: Some(upstream.clone()),
                meta,
                redirect_url: Some(back.to_string()),
                ..Default::default()
            },
            None => InitiateRequest {
                customer: Some(CustomerIn {
                    id: None,
                    name: Some(request.customer_name.clone()),
                    email: Some(request.customer_email.clone()),
                }),
                scope: Some("auth".into()),
                meta,
                redirect_url: Some(back.to_string()),
                institution: Some(InstitutionChoice {
                    id: Some(institution.id.clone()),
                    auth_method: self.listed().methods.get(&institution.id).cloned(),
                    account_number: None,
                }),
                ..Default::default()
            },
        };
        let started = self.api.initiate(&body).await.map_err(upstream_error)?;
        let consent_id = match request.renewing {
            Some(upstream) => format!("reauth:{upstream}"),
            None => format!("link:{}", request.state),
        };
        Ok(ConsentStart { consent_id, redirect_url: started.mono_url })
    }

    async fn finish_consent(
        &self,
        _institution: &Institution,
        consent_id: &str,
        answer: &Credentials,
    ) -> Result<Vec<DiscoveredAccount>, ConnectorError> {
        if answer.get("status") == Some("failed") {
            let reason = answer.get("reason").unwrap_or("not finished");
            return Err(ConnectorError::Refused(format!("The link at Mono did not finish ({reason}). Try again.")));
        }
        let (upstream, used) = match consent_id.split_once(':') {
            Some(("reauth", upstream)) => (upstream.to_string(), reauth_key(upstream)),
            Some(("link", reference)) => (self.announced(reference).await?, linked_key(reference)),
            _ => return Err(ConnectorError::Internal(format!("not a Mono consent: {consent_id}"))),
        };
        let details = self.api.account(&upstream).await.map_err(account_error)?;
        // Read: the announcement (or the re-authorisation flag) has served.
        self.memory.forget(&used).await?;
        Ok(vec![discovered(&upstream, &details)])
    }

    async fn fetch(&self, account: ConnectorAccount<'_>) -> Result<FetchedData, ConnectorError> {
        let upstream = account.connector_ref;
        // Mono's webhooks name its own account ids: this is how they find the Passbook account
        // (kept at the first fetch after each link).
        if !account.refresh {
            self.memory.remember(&account_key(upstream), account.account_id).await?;
        }
        if self.memory.recall(&reauth_key(upstream)).await?.is_some() {
            return Err(ConnectorError::ReauthorisationRequired);
        }
        let realtime = account.realtime && self.may_call_realtime(upstream, self.clock.now()).await?;
        let api = self.api.realtime(realtime);
        let details = api.account(upstream).await.map_err(account_error)?;
        match details.meta.data_status.as_str() {
            "PROCESSING" => return Err(ConnectorError::Transient("Mono is still fetching the account's data".into())),
            "FAILED" => return Err(ConnectorError::Internal("Mono could not fetch the account's data".into())),
            _ => {}
        }
        let identity = match self.api.identity(upstream).await {
            Ok(identity) => Some(identity),
            Err(passbook_client::Error::Api { status, .. }) if (400..500).contains(&status) => None,
            Err(err) => return Err(account_error(err)),
        };
        let all = TransactionsQuery { paginate: Some("false".into()), ..Default::default() };
        let transactions = api.transactions(upstream, &all).await.map_err(account_error)?.data;
        fetched(&details, identity, &transactions)
    }

    async fn unlink(&self, account: ConnectorAccount<'_>, _: &[&str]) -> Result<(), ConnectorError> {
        self.api.unlink(account.connector_ref).await.map_err(account_error)?;
        self.memory.forget(&account_key(account.connector_ref)).await
    }

    async fn notification(
        &self,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<UpstreamNotice>, NotificationRefused> {
        passbook_client::webhooks::verify_mono_secret(
            |name| header(headers, name).map(str::to_string),
            &self.webhook_secret,
        )
        .map_err(|_| NotificationRefused::Unauthenticated)?;
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| NotificationRefused::Malformed(e.to_string()))?;
        let event = value["event"].as_str().ok_or_else(|| NotificationRefused::Malformed("no `event`".into()))?;
        let data = &value["data"];
        let kept = |err: ConnectorError| NotificationRefused::Unavailable(err.to_string());
        if event == "mono.events.account_connected" {
            let (Some(upstream), Some(reference)) = (data["id"].as_str(), data["meta"]["ref"].as_str()) else {
                return Err(NotificationRefused::Malformed("account_connected without `id` and `meta.ref`".into()));
            };
            self.memory.remember(&linked_key(reference), upstream).await.map_err(kept)?;
            return Ok(Vec::new());
        }
        let Some(upstream) = data["account"]["_id"].as_str().or(data["account"]["id"].as_str()) else {
            return Ok(Vec::new());
        };
        match (event, data["meta"]["sync_status"].as_str()) {
            (_, Some("REAUTHORISATION_REQUIRED")) => {
                self.memory.remember(&reauth_key(upstream), "1").await.map_err(kept)?
            }
            ("mono.events.account_reauthorized", _) => self.memory.forget(&reauth_key(upstream)).await.map_err(kept)?,
            ("mono.events.account_updated", _) => {}
            _ => return Ok(Vec::new()),
        }
        let known = self
            .memory
            .recall(&account_key(upstream))
            .await
            .map_err(|e| NotificationRefused::Malformed(e.to_string()))?;
        Ok(known.map(|account_id| UpstreamNotice::Refresh { account_id: account_id.into() }).into_iter().collect())
    }
}
