//! The Partners API: the link flow driven over JSON instead of pages. Sessions are the same
//! link sessions (mode `Api`), so every sandbox scenario behaves as it does on the page.
use passbook_types::linking::InitiateRequest;
use passbook_types::partners::SessionRequest;

use super::Passbook;
use super::initiate::InitiateLink;
use crate::connector::{ConnectorAccount, Credentials};
use crate::model::*;
use crate::{Error, Result};

impl Passbook {
    /// `POST /v2/connect/session`: returns the session token (the `x-session-id`).
    pub async fn partner_session(&self, app: &App, req: SessionRequest) -> Result<(String, LinkSession)> {
        let link = InitiateLink::for_partner(req, &self.institutions)?;
        let created = self.create_session(app, link, LinkMode::Api, None).await?;
        Ok((created.token, created.session))
    }

    /// `POST /v2/connect/reauth/session`: a session that renews the account's login.
    pub async fn partner_reauth_session(&self, app: &App, account: Option<&str>) -> Result<(String, LinkSession)> {
        let account = account
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| Error::invalid("account", "account is required"))?;
        let request = InitiateRequest {
            scope: Some("reauth".into()),
            account: Some(account.to_string()),
            ..InitiateRequest::default()
        };
        let link = InitiateLink::parse(request, &self.institutions)?;
        let created = self.create_session(app, link, LinkMode::Api, None).await?;
        let session = self.renew_without_user(app, created.session).await?;
        Ok((created.token, session))
    }

    /// Mono answers a re-authorisation at once (`responseCode` 99 with a code) when the bank
    /// can renew access by itself; the session then ends linked, as if the user had logged in.
    /// Otherwise it stays at the login step for the user.
    async fn renew_without_user(&self, app: &App, session: LinkSession) -> Result<LinkSession> {
        let Some(account_id) = session.flow.reauth_account_id.clone() else { return Ok(session) };
        let Some(account) = self.store.account(&app.id, &account_id).await? else { return Ok(session) };
        let Some((institution, connector)) = self.institutions.connector(&account.institution_id) else {
            return Ok(session);
        };
        let renewed = connector.renew(institution, ConnectorAccount::of(&account, true)).await;
        match renewed {
            Ok(Some(accounts)) => self.link_accounts(session, accounts).await,
            Ok(None) => Ok(session),
            Err(err) => {
                tracing::info!(error = %err, "the institution could not renew access; the user logs in again");
                Ok(session)
            }
        }
    }

    /// The app's Partners API session behind an `x-session-id`.
    pub async fn partner_session_state(&self, app: &App, token: Option<&str>) -> Result<LinkSession> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::invalid("x-session-id", "The x-session-id header is required"))?;
        match self.link_session(token).await {
            Ok(session) if session.app_id == app.id && session.mode == LinkMode::Api => Ok(session),
            Ok(_) | Err(Error::NotFound(_)) => {
                Err(Error::not_found("No session with this x-session-id; create one with POST /v2/connect/session"))
            }
            Err(other) => Err(other),
        }
    }

    pub async fn partner_login(&self, app: &App, token: Option<&str>, fields: Credentials) -> Result<LinkSession> {
        self.partner_session_state(app, token).await?;
        self.submit_login(token.unwrap_or_default(), fields).await
    }

    /// `POST /v2/connect/commit`: the answer to the bank's question, or the account to link.
    pub async fn partner_commit(&self, app: &App, token: Option<&str>, fields: Credentials) -> Result<LinkSession> {
        let session = self.partner_session_state(app, token).await?;
        let token = token.unwrap_or_default();
        match session.step {
            LinkStep::Challenge => self.submit_challenge(token, fields).await,
            LinkStep::SelectAccounts => {
                let number = fields.get("accountNumber").or(fields.get("account_number")).unwrap_or_default();
                let Some(chosen) = session.flow.discovered.iter().find(|a| a.account_number == number) else {
                    return Err(Error::invalid(
                        "accountNumber",
                        format!("accountNumber '{number}' is not one of this login's accounts"),
                    ));
                };
                self.select_accounts(token, std::slice::from_ref(&chosen.connector_ref)).await
            }
            other => Err(Error::Conflict(format!("Nothing to commit: the session is at step {}", other.as_str()))),
        }
    }
}
