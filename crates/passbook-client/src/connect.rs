//! Starting links: `initiate` (hosted page), exchanging the widget's code, and the Partners API
//! (linking without pages).
use passbook_types::connect::{ExchangeOut, ExchangeRequest};
use passbook_types::linking::{InitiateRequest, InitiateResponse};
use passbook_types::partners::{PartnerAnswer, ReauthSessionRequest, SessionAnswer, SessionRequest};
use reqwest::Method;
use serde_json::Value;

use crate::{Client, Error, failure};

impl Client {
    /// `POST /v2/accounts/initiate`: a `mono_url` to send the user to.
    pub async fn initiate(&self, request: &InitiateRequest) -> Result<InitiateResponse, Error> {
        self.post("/v2/accounts/initiate", request).await
    }

    /// `POST /v2/accounts/auth`: the widget's one-time code for the account id.
    pub async fn exchange_code(&self, code: &str) -> Result<ExchangeOut, Error> {
        self.post("/v2/accounts/auth", &ExchangeRequest { code: Some(code.to_string()) }).await
    }

    /// `POST /v2/connect/session`: a Partners API session (`session.id`) and the login form to
    /// fill in (`ui.form`).
    pub async fn partner_session(&self, request: &SessionRequest) -> Result<SessionAnswer, Error> {
        self.post("/v2/connect/session", request).await
    }

    /// `POST /v2/connect/login` with the login form's fields (or `{"statement": <base64>}`).
    pub async fn partner_login(&self, session: &str, fields: &Value) -> Result<PartnerAnswer, Error> {
        self.partner("/v2/connect/login", Some(session), fields).await
    }

    /// `POST /v2/connect/commit`: the answer to the bank's question, or the account to link.
    pub async fn partner_commit(&self, session: &str, fields: &Value) -> Result<PartnerAnswer, Error> {
        self.partner("/v2/connect/commit", Some(session), fields).await
    }

    /// `POST /v2/connect/reauth/session`: renews an account's access (`responseCode` 99 with a
    /// code when the bank needs no login).
    pub async fn partner_reauth(&self, account: &str) -> Result<PartnerAnswer, Error> {
        let request = ReauthSessionRequest { account: Some(account.to_string()) };
        self.partner("/v2/connect/reauth/session", None, &serde_json::to_value(request).unwrap_or_default()).await
    }

    /// The Partners API answers its own envelope, whose `responseCode` (99 linked, 101 choose
    /// accounts, 102 answer the bank, 400 refused) matters more than the HTTP status.
    async fn partner(&self, path: &str, session: Option<&str>, body: &Value) -> Result<PartnerAnswer, Error> {
        let mut request = self.request(Method::POST, path).json(body);
        if let Some(session) = session {
            request = request.header("x-session-id", session);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        serde_json::from_slice::<PartnerAnswer>(&bytes).map_err(|_| failure(status, &bytes))
    }
}
