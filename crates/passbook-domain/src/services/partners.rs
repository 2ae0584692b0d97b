//! The Partners API: the link flow driven over JSON instead of pages. Sessions are the same
//! link sessions (mode `Api`), so every sandbox scenario behaves as it does on the page.
use passbook_types::partners::SessionRequest;

use super::Linking;
use super::initiate::InitiateLink;
use crate::connector::{ConnectorAccount, Credentials};
use crate::linking::{self, LinkAction, StatementUpload};
use crate::model::{App, LinkMode, LinkSession};
use crate::{Error, Result};

/// A Partners API session: its token is the `x-session-id` of the calls that follow.
pub struct PartnerSession {
    pub token: String,
    pub session: LinkSession,
}

impl Linking<'_> {
    /// `POST /v2/connect/session`.
    pub async fn partner_session(&self, app: &App, req: SessionRequest) -> Result<PartnerSession> {
        let link = InitiateLink::for_partner(req, &self.passbook.institutions)?;
        let created = self.create_session(app, link, LinkMode::Api, None).await?;
        Ok(PartnerSession { token: created.token, session: created.session })
    }

    /// `POST /v2/connect/reauth/session`: a session that renews the account's login.
    pub async fn partner_reauth_session(&self, app: &App, account: Option<&str>) -> Result<PartnerSession> {
        let link = InitiateLink::reauth(account, None, None)?;
        let created = self.create_session(app, link, LinkMode::Api, None).await?;
        let session = self.renew_without_user(app, &created.token, created.session).await?;
        Ok(PartnerSession { token: created.token, session })
    }

    /// Mono answers a re-authorisation at once (`responseCode` 99 with a code) when the bank
    /// can renew access by itself; the session then ends linked, as if the user had logged in.
    /// Otherwise it stays at the login step for the user.
    async fn renew_without_user(&self, app: &App, token: &str, session: LinkSession) -> Result<LinkSession> {
        let Some(account_id) = session.context.reauth_account_id.clone() else { return Ok(session) };
        let Some(account) = self.accounts.account(&app.id, &account_id).await? else { return Ok(session) };
        let (Some(institution), Some(connector)) = (
            self.passbook.institutions.get(&account.institution_id),
            self.passbook.institutions.connector_for(&account),
        ) else {
            return Ok(session);
        };
        match connector.renew(&institution, ConnectorAccount::of(&account, true, self.passbook.now())).await {
            Ok(Some(accounts)) => {
                let listing = self.passbook.institutions.now();
                let world = self.world(&listing, Some((&account.account_number, account.auth_method)));
                let next = linking::renewed(&session, &world, accounts)?;
                Ok(self.follow(token, session, &world, next).await?.session)
            }
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
        match self.session(token).await {
            Ok(session) if session.app_id == app.id && session.mode == LinkMode::Api => Ok(session),
            Ok(_) | Err(Error::NotFound(_)) => {
                Err(Error::not_found("No session with this x-session-id; create one with POST /v2/connect/session"))
            }
            Err(other) => Err(other),
        }
    }

    /// `POST /v2/connect/login`: the login form's fields, or a statement file (`statement`,
    /// base64) with its `password`.
    pub async fn partner_login(&self, app: &App, token: Option<&str>, fields: Credentials) -> Result<LinkSession> {
        let session = self.partner_session_state(app, token).await?;
        let action = match fields.get("statement") {
            Some(encoded) => {
                use base64::Engine;
                let file = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| Error::invalid("statement", "statement must be the file's bytes in base64"))?;
                let upload = StatementUpload {
                    file,
                    file_name: fields.get("fileName").map(str::to_string),
                    password: fields.get("password").filter(|p| !p.is_empty()).map(str::to_string),
                    currency: super::stated_currency(fields.get("currency"))?,
                };
                LinkAction::UploadStatement(Ok(upload))
            }
            None => LinkAction::Login(fields),
        };
        Ok(self.advance(token.unwrap_or_default(), session, action).await?.session)
    }

    /// `POST /v2/connect/commit`: the answer to the bank's question, or the account to link.
    pub async fn partner_commit(&self, app: &App, token: Option<&str>, fields: Credentials) -> Result<LinkSession> {
        let session = self.partner_session_state(app, token).await?;
        Ok(self.advance(token.unwrap_or_default(), session, LinkAction::Commit(fields)).await?.session)
    }
}
