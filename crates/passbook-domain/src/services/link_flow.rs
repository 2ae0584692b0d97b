//! The shell around the link state machine (`crate::linking`): it loads the session behind a
//! token, asks the machine what an action means, talks to the bank when the machine says so,
//! and saves. Two requests of one link never overwrite each other: a save over a newer version
//! is refused with a Conflict, and the page then shows the current step.
use super::Passbook;
use crate::connector::{ConnectorError, Credentials};
use crate::crypto::hash_secret;
use crate::linking::{self, BankAnswer, BankCall, BankRequest, LinkAction, LinkEvent, LinkPlan, Moved, Next, World};
use crate::model::{
    Account, AttemptKind, AuthMethod, CustomerId, DataStatus, Freshness, InstitutionId, JobKind, LinkMode, LinkSession,
    LinkState, NewAccount, NewAuthCode, NewJob, SessionId, WidgetEvent,
};
use crate::store::SessionSaved;
use crate::store::{AccountStore, AppStore, ConsoleStore, CustomerStore, ImportStore, LinkStore};
use crate::{Error, Result, Timestamp, ids, webhook_payloads};

/// The linking service ([`Passbook::linking`]): initiating links, the link page's and the
/// widget's steps, the Partners API, and statement uploads. It holds the parts of the store a
/// link touches: its sessions, the customer it links for, the accounts it makes or renews, the
/// statement imports it reads, the app it belongs to, and the institutions' switches.
#[derive(Clone, Copy)]
pub struct Linking<'a> {
    pub(super) passbook: &'a Passbook,
    pub(super) links: &'a dyn LinkStore,
    pub(super) customers: &'a dyn CustomerStore,
    pub(super) accounts: &'a dyn AccountStore,
    pub(super) imports: &'a dyn ImportStore,
    pub(super) apps: &'a dyn AppStore,
    pub(super) overrides: &'a dyn ConsoleStore,
}

impl Passbook {
    /// Links: initiating them, their steps (hosted page, widget, Partners API), statement uploads.
    pub fn linking(&self) -> Linking<'_> {
        let store = self.store.as_ref();
        Linking {
            passbook: self,
            links: store,
            customers: store,
            accounts: store,
            imports: store,
            apps: store,
            overrides: store,
        }
    }
}

/// How long a widget's code can be exchanged for the account id.
pub const AUTH_CODE_TTL_MS: i64 = 10 * 60 * 1000;

/// A link after an action, with the messages that action has for the widget's parent window
/// (none outside widget mode). Messages are handed out with the answer to the action that
/// made them and are never stored, so showing a page never writes.
#[derive(Debug)]
pub struct Advanced {
    pub session: LinkSession,
    pub messages: Vec<WidgetEvent>,
}

impl Linking<'_> {
    /// The session behind a link token. Expired sessions that never finished are Gone.
    pub async fn session(&self, token: &str) -> Result<LinkSession> {
        let session =
            self.links.link_session(&SessionId::from(hash_secret(token))).await?.ok_or_else(link_not_found)?;
        if !session.state.is_final() && self.passbook.now() > session.expires_at {
            return Err(Error::Gone("This link has expired. Ask the app for a new one.".into()));
        }
        Ok(session)
    }

    /// The bank sent the user back with `answer`, whose `state` is `{link token}.{nonce}`:
    /// carries it out on that link (which must be `token`'s, when the return URL named one) and
    /// says which link it was.
    pub async fn consent_returned(&self, token: Option<&str>, mut answer: Credentials) -> Result<(String, Advanced)> {
        let stranger = || Error::invalid("state", "This answer from the bank does not belong to this link");
        let state = answer.get("state").ok_or_else(stranger)?;
        let (link, nonce) = state.split_once('.').ok_or_else(stranger)?;
        if token.is_some_and(|token| token != link) {
            return Err(stranger());
        }
        let (link, nonce) = (link.to_string(), nonce.to_string());
        answer.0.insert("state".into(), nonce);
        let advanced = self.act(&link, LinkAction::ConsentReturned(answer)).await?;
        Ok((link, advanced))
    }

    /// Carries out what the user did on the link behind `token`.
    pub async fn act(&self, token: &str, action: LinkAction) -> Result<Advanced> {
        let session = self.session(token).await?;
        self.advance(token, session, action).await
    }

    /// Runs the machine from `session` until it rests: asking the bank, linking, saving.
    /// `token` is the link's (for the bank to send the user back to, in open banking).
    pub(super) async fn advance(&self, token: &str, session: LinkSession, action: LinkAction) -> Result<Advanced> {
        let renewing = self.reauth_account(&session).await?;
        let listing = self.passbook.institutions.now();
        let world = self.world(&listing, renewing.as_ref().map(|a| (a.account_number.as_str(), a.auth_method)));
        let next = linking::decide(&session, &world, action)?;
        self.follow(token, session, &world, next).await
    }

    /// Carries out the machine's answers until one leaves the link at rest.
    pub(super) async fn follow(
        &self,
        token: &str,
        mut session: LinkSession,
        world: &World<'_, crate::Listing>,
        mut next: Next,
    ) -> Result<Advanced> {
        let mut events = Vec::new();
        loop {
            match next {
                Next::Stay => break,
                Next::Move(moved) => {
                    events.extend(moved.events.iter().cloned());
                    session = self.settle(session, moved).await?;
                    break;
                }
                Next::AskBank(call, asked) => {
                    events.extend(asked);
                    let answer = self.ask_bank(&mut session, &call).await?;
                    next = linking::after_bank(&session, world, &call, answer);
                }
                Next::StartConsent(call) => {
                    let nonce = ids::random_alnum(24);
                    let started = self.start_consent(token, &session, &call, &nonce).await?;
                    next = linking::after_consent_start(&session, &call, nonce, started);
                }
                Next::FinishConsent(call, answer) => {
                    let finished = match (self.passbook.institutions.connector(&call.institution_id), &call.consent_id)
                    {
                        (Some((institution, connector)), Some(consent)) => {
                            connector.finish_consent(&institution, consent, &answer).await
                        }
                        _ => Err(ConnectorError::InstitutionUnavailable),
                    };
                    next = linking::after_consent(&session, world, &call, finished);
                }
                Next::ReadFile(mut call, reading) => {
                    events.extend(reading);
                    // The file (up to the upload limit) moves to the reader rather than being copied.
                    let upload =
                        linking::StatementUpload { file: std::mem::take(&mut call.upload.file), ..call.upload.clone() };
                    let customer_id = self.customer_of(&mut session).await?;
                    let read = self.read_statement(&session.app_id, &customer_id, &call.institution_id, upload).await?;
                    next = linking::after_file(&session, &call, read);
                }
                Next::Link(plan, linking) => {
                    events.extend(linking);
                    session = self.link_accounts(session, &plan).await?;
                    break;
                }
            }
        }
        let messages = match session.mode {
            LinkMode::Widget => events.iter().map(LinkEvent::widget_message).collect(),
            LinkMode::Hosted | LinkMode::Api => Vec::new(),
        };
        Ok(Advanced { session, messages })
    }

    /// What the machine knows; `renewing`: the number and the way in of the account being
    /// re-authorised.
    pub(super) fn world<'a>(
        &'a self,
        listing: &'a crate::Listing,
        renewing: Option<(&'a str, AuthMethod)>,
    ) -> World<'a, crate::Listing> {
        World {
            catalogue: listing,
            max_attempts: self.passbook.settings.max_login_attempts,
            reauth_account_number: renewing.map(|(number, _)| number),
            reauth_by_bank: renewing.is_some_and(|(_, way)| way != AuthMethod::StatementUpload),
        }
    }

    /// Registers a consent at the bank; it sends the user back to the link's page. The outer
    /// `Err` is Passbook's own failure (reading the customer); the inner one is the bank's.
    async fn start_consent(
        &self,
        token: &str,
        session: &LinkSession,
        call: &linking::ConsentCall,
        nonce: &str,
    ) -> Result<linking::ConsentStarted> {
        let Some((institution, connector)) = self.passbook.institutions.connector(&call.institution_id) else {
            return Ok(Err(ConnectorError::InstitutionUnavailable));
        };
        let (customer_name, customer_email) = match (&session.customer_id, &session.context.named_customer) {
            (Some(id), _) => self.customers.customer(&session.app_id, id).await?.map(|c| (c.name, c.email)),
            (None, Some(named)) => Some((named.name.clone(), named.email.clone())),
            (None, None) => None,
        }
        .unwrap_or_default();
        let renewing = self.reauth_account(session).await?.map(|account| account.connector_ref);
        let request = crate::connector::ConsentRequest {
            return_url: format!("{}/link/{token}/consent-return", self.passbook.settings.public_url),
            registered_return_url: format!("{}/link/consent-return", self.passbook.settings.public_url),
            state: format!("{token}.{nonce}"),
            customer_name,
            customer_email,
            renewing,
        };
        Ok(connector.start_consent(&institution, request).await)
    }

    /// The account a re-authorisation renews, whose number the login must hold (`None` once
    /// unlinked).
    async fn reauth_account(&self, session: &LinkSession) -> Result<Option<Account>> {
        let Some(account_id) = &session.context.reauth_account_id else { return Ok(None) };
        self.accounts.account(&session.app_id, account_id).await
    }

    /// Counts the attempt before the bank sees it (so parallel tries cannot exceed the limit),
    /// then asks the bank.
    async fn ask_bank(&self, session: &mut LinkSession, call: &BankCall) -> Result<BankAnswer> {
        let max = self.passbook.settings.max_login_attempts;
        let Some(attempt) = self.links.count_link_attempt(&session.id, call.kind, max).await? else {
            return Ok(BankAnswer::NoAttemptsLeft);
        };
        match call.kind {
            AttemptKind::Login => session.login_attempts = attempt,
            AttemptKind::Challenge => session.challenge_attempts = attempt,
        }
        let result = match self.passbook.institutions.connector(&call.institution_id) {
            // An institution withdrawn while the link was open.
            None => Err(ConnectorError::InstitutionUnavailable),
            Some((institution, connector)) => match &call.request {
                BankRequest::Login { method, credentials } => connector.login(&institution, *method, credentials).await,
                BankRequest::Answer { connector_state, answer } => {
                    connector.answer_challenge(&institution, connector_state, answer).await
                }
            },
        };
        if let Err(err @ (ConnectorError::Transient(_) | ConnectorError::Internal(_))) = &result {
            tracing::warn!(error = %err, "connector failed during login");
        }
        Ok(BankAnswer::Answered { attempt, result })
    }

    /// Saves a move. A failure must not be lost to a parallel request of the same link (a wrong
    /// password that used the last attempt, say): on a conflict it is read again and failed
    /// again, unless it ended meanwhile.
    async fn settle(&self, mut session: LinkSession, moved: Moved) -> Result<LinkSession> {
        if let Some(kind) = moved.refund {
            self.links.refund_link_attempt(&session.id, kind).await?;
        }
        session.context = moved.context;
        session.state = moved.state;
        if !session.state.is_final() {
            refuse_unsaved(self.links.save_link_session(&mut session).await?)?;
            return Ok(session);
        }
        const TRIES: usize = 10;
        let failed = session.state.clone();
        for _ in 0..TRIES {
            session.state = failed.clone();
            session.completed_at = Some(self.passbook.now());
            match self.links.save_link_session(&mut session).await? {
                SessionSaved::Saved => return Ok(session),
                SessionSaved::AlreadyEnded | SessionSaved::Changed => {
                    session = self.links.link_session(&session.id).await?.ok_or_else(link_not_found)?;
                    if session.state.is_final() {
                        return Ok(session);
                    }
                }
            }
        }
        Err(Error::Conflict("This link is busy; try again".into()))
    }

    /// Links the planned accounts: the accounts, their `account_connected` (or
    /// `account_reauthorized`) events and their data-fetch jobs are written with the session's
    /// completion, in one transaction.
    async fn link_accounts(&self, mut session: LinkSession, plan: &LinkPlan) -> Result<LinkSession> {
        let now = self.passbook.now();
        let accounts = self.new_accounts(&mut session, plan, now).await?;
        let reauth = session.context.reauth_account_id.is_some();
        let events: Vec<_> = accounts
            .iter()
            .map(|a| {
                let account = processing_account(a);
                if reauth {
                    webhook_payloads::account_reauthorized(&account, now)
                } else {
                    webhook_payloads::account_connected(&account, now)
                }
            })
            .collect();
        let jobs: Vec<_> = accounts
            .iter()
            .map(|a| NewJob {
                id: ids::object_id(now).into(),
                app_id: a.app_id.clone(),
                kind: JobKind::FetchAccount { account_id: a.id.clone() },
                run_at: now,
            })
            .collect();
        let (code, stored_code) = exchange_code(&session, &accounts[0], now);
        session.state = linking::linked(plan, accounts.iter().map(|a| a.id.clone()).collect(), code);
        session.completed_at = Some(now);
        let saved =
            self.links.complete_link_session(&mut session, &accounts, &events, &jobs, stored_code.as_ref()).await?;
        refuse_unsaved(saved)?;
        events.iter().for_each(|e| self.passbook.metrics.event_created(&e.event));
        self.passbook.wake_dispatcher();
        self.passbook.wake_runner();
        Ok(session)
    }

    /// The plan's accounts as the session's customer's: an account it already has at the
    /// institution under the same number keeps its id (a re-authorisation, a newer statement).
    async fn new_accounts(
        &self,
        session: &mut LinkSession,
        plan: &LinkPlan,
        now: Timestamp,
    ) -> Result<Vec<NewAccount>> {
        let customer_id = self.customer_of(session).await?;
        let institution = InstitutionId::from(plan.institution_id.as_str());
        let mut accounts = Vec::with_capacity(plan.accounts.len());
        for discovered in &plan.accounts {
            let existing = self
                .accounts
                .find_account_id(&session.app_id, &customer_id, &institution, &discovered.account_number)
                .await?;
            accounts.push(NewAccount {
                id: existing.unwrap_or_else(|| ids::object_id(now).into()),
                app_id: session.app_id.clone(),
                customer_id: customer_id.clone(),
                institution_id: plan.institution_id.clone(),
                auth_method: plan.auth_method,
                reference: session.reference.clone(),
                discovered: discovered.clone(),
                created_at: now,
            });
        }
        Ok(accounts)
    }

    /// The session's customer. One the widget only named is made now (or found by its e-mail:
    /// the app's customer with that e-mail gets the account, as at Mono); the session keeps it
    /// from its next save.
    async fn customer_of(&self, session: &mut LinkSession) -> Result<CustomerId> {
        if let Some(id) = &session.customer_id {
            return Ok(id.clone());
        }
        let Some(named) = session.context.named_customer.clone() else {
            return Err(Error::Internal(format!("link session {} has no customer", session.id)));
        };
        let customer = super::initiate::new_customer(&session.app_id, named.name, named.email, self.passbook.now());
        let stored = self.customers.customer_by_email_or_new(&customer).await?;
        session.customer_id = Some(stored.id.clone());
        Ok(stored.id)
    }

    /// Where to send the user's browser once the session is final.
    pub fn redirect_target(&self, session: &LinkSession) -> Option<String> {
        let base = session.redirect_url.as_ref()?;
        let mut url = url::Url::parse(base).ok()?;
        {
            let mut query = url.query_pairs_mut();
            match &session.state {
                LinkState::Linked { .. } => {
                    query.append_pair("status", "successful");
                }
                LinkState::Failed { reason } => {
                    query.append_pair("status", "failed");
                    query.append_pair("reason", reason.as_str());
                }
                _ => return None,
            }
            query.append_pair("reference", session.reference.as_deref().unwrap_or(""));
        }
        Some(url.to_string())
    }
}

fn refuse_unsaved(saved: SessionSaved) -> Result<()> {
    match saved {
        SessionSaved::Saved => Ok(()),
        SessionSaved::AlreadyEnded => Err(Error::Conflict("This link has already been completed".into())),
        SessionSaved::Changed => {
            Err(Error::Conflict("This link changed while the request ran; reload it and try again".into()))
        }
    }
}

fn link_not_found() -> Error {
    Error::not_found("This link does not exist. Ask the app for a new one.")
}

/// The account as it stands the moment it is linked, before any data is fetched.
fn processing_account(new: &NewAccount) -> Account {
    Account {
        id: new.id.clone(),
        app_id: new.app_id.clone(),
        customer_id: new.customer_id.clone(),
        institution_id: new.institution_id.clone(),
        auth_method: new.auth_method,
        connector_ref: new.discovered.connector_ref.clone(),
        name: Some(new.discovered.name.clone()),
        account_number: new.discovered.account_number.clone(),
        currency: new.discovered.currency.clone(),
        kind: Some(new.discovered.kind.clone()),
        bvn: None,
        balance: None,
        data_status: DataStatus::Processing,
        retrieved_data: Vec::new(),
        reference: new.reference.clone(),
        transaction_count: 0,
        authorised_at: new.created_at,
        needs_reauth: false,
        freshness: Freshness::default(),
        created_at: new.created_at,
        updated_at: new.created_at,
    }
}

/// The code the widget (or the Partners API) exchanges for the account id, and its stored hash;
/// the hosted page's user goes back to the app's redirect URL without one.
fn exchange_code(session: &LinkSession, first: &NewAccount, now: Timestamp) -> (Option<String>, Option<NewAuthCode>) {
    match session.mode {
        LinkMode::Hosted => (None, None),
        LinkMode::Widget | LinkMode::Api => {
            let code = format!("code_{}", ids::random_alnum(32));
            let stored = NewAuthCode {
                code_hash: hash_secret(&code),
                app_id: session.app_id.clone(),
                account_id: first.id.clone(),
                created_at: now,
                expires_at: now.plus_millis(AUTH_CODE_TTL_MS),
            };
            (Some(code), Some(stored))
        }
    }
}
