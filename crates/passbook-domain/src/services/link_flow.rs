//! The hosted link flow: what happens when the end user acts on the link page.
//!
//! Every action loads the session by token, checks that the session is on the step the action
//! belongs to (a repeated or stale form post gets a Conflict, and the page shows the current
//! step), does its work and saves the session.
use super::Passbook;
use crate::connector::{ConnectorError, Credentials, LoginStep};
use crate::crypto::hash_secret;
use crate::model::*;
use crate::store::SessionSaved;
use crate::{Error, Result, ids, webhook_payloads};
use serde_json::json;

/// Why the user was sent back without a linked account: the `reason` of the redirect.
pub const REASON_CANCELLED: &str = "user_cancelled";
pub const REASON_TOO_MANY_ATTEMPTS: &str = "too_many_attempts";
/// How long a widget's code can be exchanged for the account id.
pub const AUTH_CODE_TTL_MS: i64 = 10 * 60 * 1000;

impl Passbook {
    /// The session behind a link token. Expired sessions that never finished are Gone.
    pub async fn link_session(&self, token: &str) -> Result<LinkSession> {
        let session = self.store.link_session(&hash_secret(token)).await?.ok_or_else(link_not_found)?;
        if !session.step.is_final() && self.clock.now() > session.expires_at {
            return Err(Error::Gone("This link has expired. Ask the app for a new one.".into()));
        }
        Ok(session)
    }

    /// The session with the name of the app that asked for it, for the link page.
    pub async fn link_page(&self, token: &str) -> Result<(LinkSession, String)> {
        let session = self.link_session(token).await?;
        let app_name = self.store.app(&session.app_id).await?.map_or_else(|| "The app".to_string(), |a| a.name);
        Ok((session, app_name))
    }

    async fn session_at(&self, token: &str, steps: &[LinkStep]) -> Result<LinkSession> {
        let session = self.link_session(token).await?;
        if !steps.contains(&session.step) {
            return Err(Error::Conflict(format!("This link is at step {}", session.step.as_str())));
        }
        Ok(session)
    }

    pub async fn choose_institution(&self, token: &str, institution_id: &str) -> Result<LinkSession> {
        let mut session =
            self.session_at(token, &[LinkStep::ChooseInstitution, LinkStep::ChooseAuthMethod, LinkStep::Login]).await?;
        let institution = self
            .institutions
            .get(institution_id)
            .ok_or_else(|| Error::invalid("institution", format!("Unknown institution '{institution_id}'")))?;
        session.flow = LinkFlow {
            institution_id: Some(institution.id.clone()),
            consented: session.flow.consented,
            widget_events: std::mem::take(&mut session.flow.widget_events),
            widget_origin: session.flow.widget_origin.take(),
            ..LinkFlow::default()
        };
        session.flow.auth_method = self.only_auth_method(&institution.id);
        // Where the bank has two ways in, the event waits for the user's choice of one.
        if let Some(method) = session.flow.auth_method {
            push_institution_selected(&mut session, institution, method);
        }
        session.step = if session.flow.auth_method.is_some() { LinkStep::Login } else { LinkStep::ChooseAuthMethod };
        self.save(&mut session).await?;
        Ok(session)
    }

    pub async fn choose_auth_method(&self, token: &str, method: &str) -> Result<LinkSession> {
        let mut session = self.session_at(token, &[LinkStep::ChooseAuthMethod, LinkStep::Login]).await?;
        let institution = self.session_institution(&session)?;
        let method = AuthMethod::parse(method)
            .filter(|m| institution.supports(*m))
            .ok_or_else(|| Error::invalid("auth_method", format!("{} does not offer '{method}'", institution.name)))?;
        match session.flow.auth_method {
            None => push_institution_selected(&mut session, institution, method),
            Some(previous) if previous != method => {
                let data = json!({"prevAuthMethod": previous.as_str(), "authMethod": method.as_str()});
                push_event(&mut session, "mono.connect.auth_method_switched", data);
            }
            Some(_) => {}
        }
        session.flow.auth_method = Some(method);
        session.flow.error = None;
        session.step = LinkStep::Login;
        self.save(&mut session).await?;
        Ok(session)
    }

    pub async fn submit_login(&self, token: &str, credentials: Credentials) -> Result<LinkSession> {
        let mut session = self.session_at(token, &[LinkStep::Login]).await?;
        let institution = self.session_institution(&session)?.clone();
        let method = session.flow.auth_method.ok_or_else(|| Error::Conflict("Choose how to log in first".into()))?;
        let spec = institution.auth_method(method).ok_or_else(|| Error::Internal("auth method vanished".into()))?;
        if let Some(missing) = spec.form.iter().find(|f| credentials.get(&f.name).is_none_or(|v| v.trim().is_empty())) {
            session.flow.error = Some(format!("Enter your {}.", missing.hint.to_lowercase()));
            self.save(&mut session).await?;
            return Ok(session);
        }
        let (_, connector) = self.institutions.connector(&institution.id).expect("institution has a connector");
        let Some(attempt) = self.count_attempt(&session, AttemptKind::Login).await? else {
            return self.fail_session(session, REASON_TOO_MANY_ATTEMPTS).await;
        };
        session.login_attempts = attempt;
        let data =
            json!({"institution": {"id": institution.id, "name": institution.name}, "authMethod": method.as_str()});
        push_event(&mut session, "mono.connect.login_attempt", data);
        let outcome = connector.login(&institution, method, &credentials).await;
        self.judge_attempt(session, AttemptKind::Login, attempt, outcome).await
    }

    /// Counts an attempt before the bank sees it; `None` once the link used all of them.
    async fn count_attempt(&self, session: &LinkSession, kind: AttemptKind) -> Result<Option<u32>> {
        self.store.count_link_attempt(&session.id, kind, self.settings.max_login_attempts).await
    }

    /// What the bank said to a counted attempt: a wrong password (or code) that used the last
    /// attempt fails the link; an answer the bank never judged gives the attempt back.
    async fn judge_attempt(
        &self,
        session: LinkSession,
        kind: AttemptKind,
        attempt: u32,
        outcome: std::result::Result<LoginStep, ConnectorError>,
    ) -> Result<LinkSession> {
        match &outcome {
            Err(ConnectorError::InvalidCredentials | ConnectorError::InvalidAnswer)
                if attempt >= self.settings.max_login_attempts =>
            {
                return self.fail_session(session, REASON_TOO_MANY_ATTEMPTS).await;
            }
            Err(
                ConnectorError::Transient(_) | ConnectorError::Internal(_) | ConnectorError::InstitutionUnavailable,
            ) => {
                self.store.refund_link_attempt(&session.id, kind).await?;
            }
            _ => {}
        }
        self.apply_login_step(session, outcome).await
    }

    pub async fn submit_challenge(&self, token: &str, answer: Credentials) -> Result<LinkSession> {
        let mut session = self.session_at(token, &[LinkStep::Challenge]).await?;
        let mfa_type = match session.flow.challenge.as_ref().map(|c| c.kind) {
            Some(ChallengeKind::SecurityQuestion) => "SECURITY_QUESTION",
            _ => "OTP",
        };
        push_event(&mut session, "mono.connect.mfa_submitted", json!({"mfaType": mfa_type}));
        let institution = self.session_institution(&session)?.clone();
        let state = session.flow.connector_state.clone().unwrap_or_default();
        let (_, connector) = self.institutions.connector(&institution.id).expect("institution has a connector");
        let Some(attempt) = self.count_attempt(&session, AttemptKind::Challenge).await? else {
            return self.fail_session(session, REASON_TOO_MANY_ATTEMPTS).await;
        };
        session.challenge_attempts = attempt;
        let outcome = connector.answer_challenge(&institution, &state, &answer).await;
        self.judge_attempt(session, AttemptKind::Challenge, attempt, outcome).await
    }

    async fn apply_login_step(
        &self,
        mut session: LinkSession,
        outcome: std::result::Result<LoginStep, ConnectorError>,
    ) -> Result<LinkSession> {
        session.flow.error = None;
        match outcome {
            Ok(LoginStep::Challenge { state, challenge }) => {
                session.flow.connector_state = Some(state);
                session.flow.challenge = Some(challenge);
                session.step = LinkStep::Challenge;
            }
            Ok(LoginStep::Accounts { state, accounts }) => {
                session.flow.connector_state = Some(state);
                session.flow.challenge = None;
                match accounts.len() {
                    0 => {
                        session.flow.error = Some("The bank shows no accounts for this login.".into());
                        session.step = LinkStep::Login;
                    }
                    1 => return self.link_accounts(session, accounts).await,
                    _ => {
                        session.flow.discovered = accounts;
                        session.step = LinkStep::SelectAccounts;
                    }
                }
            }
            Err(err) => {
                if matches!(err, ConnectorError::Transient(_) | ConnectorError::Internal(_)) {
                    tracing::warn!(error = %err, "connector failed during login");
                }
                let message = user_message(&err);
                push_event(
                    &mut session,
                    "mono.connect.error_occured",
                    json!({"errorType": error_type(&err), "errorMessage": message}),
                );
                session.flow.error = Some(message);
            }
        }
        self.save(&mut session).await?;
        Ok(session)
    }

    pub async fn select_accounts(&self, token: &str, connector_refs: &[String]) -> Result<LinkSession> {
        let mut session = self.session_at(token, &[LinkStep::SelectAccounts]).await?;
        let chosen: Vec<DiscoveredAccount> =
            session.flow.discovered.iter().filter(|a| connector_refs.contains(&a.connector_ref)).cloned().collect();
        if chosen.is_empty() {
            session.flow.error = Some("Choose at least one account to link.".into());
            self.save(&mut session).await?;
            return Ok(session);
        }
        session.flow.error = None;
        push_event(&mut session, "mono.connect.account_selected", json!({"selectedAccountsCount": chosen.len()}));
        self.link_accounts(session, chosen).await
    }

    /// Back to the institution list, forgetting the login.
    pub async fn restart_link(&self, token: &str) -> Result<LinkSession> {
        let mut session = self
            .session_at(
                token,
                &[LinkStep::ChooseAuthMethod, LinkStep::Login, LinkStep::Challenge, LinkStep::SelectAccounts],
            )
            .await?;
        session.flow = LinkFlow {
            consented: true,
            widget_events: std::mem::take(&mut session.flow.widget_events),
            widget_origin: session.flow.widget_origin.take(),
            ..LinkFlow::default()
        };
        session.step = LinkStep::ChooseInstitution;
        self.save(&mut session).await?;
        Ok(session)
    }

    /// The user gives up: the session fails and the app hears `status=failed`.
    pub async fn abandon_link(&self, token: &str) -> Result<LinkSession> {
        let mut session = self.link_session(token).await?;
        if session.step.is_final() {
            return Ok(session);
        }
        let page = page_name(&session);
        push_event(&mut session, "mono.connect.on_exit", json!({"pageName": page}));
        self.fail_session(session, REASON_CANCELLED).await
    }

    /// The intro step: the user agrees to share their data with the app.
    pub async fn consent(&self, token: &str) -> Result<LinkSession> {
        let mut session = self.link_session(token).await?;
        if session.step.is_final() || session.flow.consented {
            return Err(Error::Conflict("Consent was given already".into()));
        }
        session.flow.consented = true;
        self.save(&mut session).await?;
        Ok(session)
    }

    /// Ends the session as failed. A failure must not be lost to a parallel request of the same
    /// link (a wrong password that used the last attempt, say): on a conflict the session is read
    /// again and failed again, unless it has ended meanwhile.
    async fn fail_session(&self, mut session: LinkSession, reason: &str) -> Result<LinkSession> {
        const TRIES: usize = 10;
        for _ in 0..TRIES {
            session.step = LinkStep::Failed;
            session.flow.connector_state = None;
            session.flow.failure_reason = Some(reason.to_string());
            session.completed_at = Some(self.clock.now());
            match self.store.save_link_session(&mut session).await? {
                SessionSaved::Saved => return Ok(session),
                SessionSaved::AlreadyEnded | SessionSaved::Changed => {
                    session = self.store.link_session(&session.id).await?.ok_or_else(link_not_found)?;
                    if session.step.is_final() {
                        return Ok(session);
                    }
                }
            }
        }
        Err(Error::Conflict("This link is busy; try again".into()))
    }

    /// Links the chosen accounts: the accounts, their `account_connected` events and their
    /// data-fetch jobs are written with the session's completion, in one transaction.
    pub(super) async fn link_accounts(
        &self,
        mut session: LinkSession,
        chosen: Vec<DiscoveredAccount>,
    ) -> Result<LinkSession> {
        let now = self.clock.now();
        let chosen = match &session.flow.reauth_account_id {
            None => chosen,
            Some(account_id) => {
                let account = self
                    .store
                    .account(&session.app_id, account_id)
                    .await?
                    .ok_or_else(|| Error::Conflict("The account being re-authorised was unlinked".into()))?;
                match chosen.into_iter().find(|d| d.account_number == account.account_number) {
                    Some(same) => vec![same],
                    None => {
                        let last4: String = account
                            .account_number
                            .chars()
                            .skip(account.account_number.len().saturating_sub(4))
                            .collect();
                        session.flow.error = Some(format!(
                            "This login does not hold the account ending {last4} that you are re-authorising."
                        ));
                        session.step = LinkStep::Login;
                        self.save(&mut session).await?;
                        return Ok(session);
                    }
                }
            }
        };
        let institution_id =
            session.flow.institution_id.clone().ok_or_else(|| Error::Internal("no institution".into()))?;
        let auth_method = session.flow.auth_method.ok_or_else(|| Error::Internal("no auth method".into()))?;
        let mut accounts = Vec::with_capacity(chosen.len());
        for discovered in chosen {
            let id = match self
                .store
                .find_account_id(&session.app_id, &session.customer_id, &institution_id, &discovered.account_number)
                .await?
            {
                Some(existing) => existing,
                None => ids::object_id(now),
            };
            accounts.push(NewAccount {
                id,
                app_id: session.app_id.clone(),
                customer_id: session.customer_id.clone(),
                institution_id: institution_id.clone(),
                auth_method,
                reference: session.reference.clone(),
                discovered,
                created_at: now,
            });
        }
        let reauth = session.flow.reauth_account_id.is_some();
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
                id: ids::object_id(now),
                app_id: a.app_id.clone(),
                kind: JobKind::FetchAccount { account_id: a.id.clone() },
                run_at: now,
            })
            .collect();
        session.step = LinkStep::Linked;
        session.completed_at = Some(now);
        session.flow.linked_account_ids = accounts.iter().map(|a| a.id.clone()).collect();
        session.flow.discovered.clear();
        session.flow.challenge = None;
        let institution = self.institutions.get(&institution_id).map(|i| i.name.clone()).unwrap_or_default();
        push_event(
            &mut session,
            "mono.connect.account_linked",
            json!({"institution": {"id": institution_id, "name": institution}}),
        );
        let code = (session.mode != LinkMode::Hosted).then(|| {
            let code = format!("code_{}", ids::random_alnum(32));
            session.flow.auth_code = Some(code.clone());
            NewAuthCode {
                code_hash: hash_secret(&code),
                app_id: session.app_id.clone(),
                account_id: accounts[0].id.clone(),
                created_at: now,
                expires_at: now.plus_millis(AUTH_CODE_TTL_MS),
            }
        });
        let saved = self.store.complete_link_session(&mut session, &accounts, &events, &jobs, code.as_ref()).await?;
        refuse_unsaved(saved)?;
        events.iter().for_each(|e| self.metrics.event_created(&e.event));
        self.wake_dispatcher();
        self.wake_runner();
        Ok(session)
    }

    /// Where to send the user's browser once the session is final.
    pub fn redirect_target(&self, session: &LinkSession) -> Option<String> {
        let base = session.redirect_url.as_ref()?;
        let mut url = url::Url::parse(base).ok()?;
        {
            let mut query = url.query_pairs_mut();
            match session.step {
                LinkStep::Linked => {
                    query.append_pair("status", "successful");
                }
                LinkStep::Failed => {
                    query.append_pair("status", "failed");
                    query.append_pair("reason", session.flow.failure_reason.as_deref().unwrap_or(REASON_CANCELLED));
                }
                _ => return None,
            }
            query.append_pair("reference", session.reference.as_deref().unwrap_or(""));
        }
        Some(url.to_string())
    }

    pub fn session_institution(&self, session: &LinkSession) -> Result<&Institution> {
        session
            .flow
            .institution_id
            .as_deref()
            .and_then(|id| self.institutions.get(id))
            .ok_or_else(|| Error::Conflict("Choose your bank first".into()))
    }
}

impl Passbook {
    /// Saves the session's progress; a Conflict (the page then shows the current step) when
    /// another request of the link got there first.
    async fn save(&self, session: &mut LinkSession) -> Result<()> {
        refuse_unsaved(self.store.save_link_session(session).await?)
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

/// `mono.connect.institution_selected`, once the institution and the way in are both known.
fn push_institution_selected(session: &mut LinkSession, institution: &Institution, method: AuthMethod) {
    let data = json!({"institution": {"id": institution.id, "name": institution.name}, "authMethod": method.as_str()});
    push_event(session, "mono.connect.institution_selected", data);
}

/// Queues a message for the widget's parent window (hosted links have none).
pub(crate) fn push_event(session: &mut LinkSession, kind: &str, data: serde_json::Value) {
    if session.mode == LinkMode::Widget {
        session.flow.widget_events.push(WidgetEvent { kind: kind.to_string(), data });
    }
}

/// The name of the page the user is on, as the widget reports it in `on_exit`.
pub fn page_name(session: &LinkSession) -> &'static str {
    match session.step {
        _ if !session.flow.consented => "INTRO",
        LinkStep::ChooseInstitution => "INSTITUTIONS",
        LinkStep::ChooseAuthMethod => "AUTH_METHODS",
        LinkStep::Login => "LOGIN",
        LinkStep::Challenge => "MFA",
        LinkStep::SelectAccounts => "ACCOUNT_SELECTION",
        LinkStep::Linked | LinkStep::Failed => "RESULT",
    }
}

fn error_type(err: &ConnectorError) -> &'static str {
    match err {
        ConnectorError::InvalidCredentials => "INVALID_CREDENTIALS",
        ConnectorError::InvalidAnswer => "INVALID_MFA",
        ConnectorError::AccountLocked => "ACCOUNT_LOCKED",
        ConnectorError::InstitutionUnavailable => "INSTITUTION_UNAVAILABLE",
        ConnectorError::ReauthorisationRequired => "REAUTHORISATION_REQUIRED",
        ConnectorError::Transient(_) | ConnectorError::Internal(_) => "INTERNAL_ERROR",
    }
}

fn user_message(err: &ConnectorError) -> String {
    match err {
        ConnectorError::Transient(_) | ConnectorError::Internal(_) => {
            "Something went wrong while talking to the bank. Try again in a moment.".into()
        }
        other => other.to_string(),
    }
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
        created_at: new.created_at,
        updated_at: new.created_at,
    }
}
