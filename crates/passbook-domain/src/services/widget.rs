//! Widget mode: opening the flow from `@mono.co/connect.js` (or Passbook's own `connect.js`),
//! and exchanging the code it returns.
use passbook_types::connect::WidgetQuery;

use super::Linking;
use super::initiate::InitiateLink;
use crate::crypto::hash_secret;
use crate::model::{App, CodeExchange, LinkMode};
use crate::{Error, Result};

impl Linking<'_> {
    /// Opens a widget session. Its messages go to the parent window's origin: the `referrer`
    /// that `connect.js` passes, else the origin of the page that framed it (`Referer`); with
    /// neither, the widget posts nothing.
    pub async fn open_widget(&self, query: &WidgetQuery, referer: Option<&str>) -> Result<String> {
        let key = query.key.as_deref().map(str::trim).filter(|k| !k.is_empty());
        let key = key.ok_or_else(|| Error::invalid("key", "The widget needs your app's public key (key=test_pk_…)"))?;
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Unauthorized("This public key does not belong to any app".into()));
        }
        let app = self
            .apps
            .app_by_public_key(key)
            .await?
            .ok_or_else(|| Error::Unauthorized("This public key does not belong to any app".into()))?;
        let link = InitiateLink::for_widget(query, &self.passbook.institutions)?;
        let origin = [query.referrer.as_deref(), referer]
            .into_iter()
            .flatten()
            .filter_map(|r| url::Url::parse(r).ok())
            .find(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| u.origin().ascii_serialization());
        let created = self.create_session(&app, link, LinkMode::Widget, origin).await?;
        Ok(created.token)
    }

    pub async fn exchange_code(&self, app: &App, code: Option<&str>) -> Result<String> {
        let code =
            code.map(str::trim).filter(|c| !c.is_empty()).ok_or_else(|| Error::invalid("code", "code is required"))?;
        match self.links.exchange_auth_code(&app.id, &hash_secret(code), self.passbook.now()).await? {
            CodeExchange::Exchanged { account_id } => Ok(account_id),
            CodeExchange::Unknown => Err(Error::invalid("code", "Invalid authorization code")),
            CodeExchange::Expired => {
                Err(Error::invalid("code", "This authorization code has expired (codes last 10 minutes)"))
            }
            CodeExchange::Used => Err(Error::invalid("code", "This authorization code has already been exchanged")),
        }
    }
}
