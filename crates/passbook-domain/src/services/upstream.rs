//! What upstream aggregators tell Passbook (their webhooks), and what Passbook tells them.
use super::Passbook;
use crate::connector::{ConnectorAccount, NotificationRefused, UpstreamNotice};
use crate::model::{Account, AccountSearch, PageRequest};
use crate::{Error, Result};

/// The most of a customer's other accounts at one institution looked at on an unlink.
const MAX_SIBLINGS: u64 = 100;

impl Passbook {
    /// `POST /passbook/v1/connectors/{name}/notifications`: the connector checks the
    /// notification; each account it names is fetched again. Returns how many were queued.
    pub async fn upstream_notification(&self, name: &str, headers: &[(String, String)], body: &[u8]) -> Result<usize> {
        let connector = self
            .institutions
            .named(name)
            .ok_or_else(|| Error::not_found(format!("No connector named '{name}' takes notifications here")))?;
        let notices = connector.notification(headers, body).await.map_err(|refused| match refused {
            NotificationRefused::Unauthenticated => Error::Unauthorized(refused.to_string()),
            NotificationRefused::Malformed(_) => Error::invalid("body", refused.to_string()),
            NotificationRefused::Unsupported => Error::not_found(refused.to_string()),
            NotificationRefused::Unavailable(_) => Error::Unavailable(refused.to_string()),
        })?;
        let mut queued = 0;
        for UpstreamNotice::Refresh { account_id } in notices {
            let Some(account) = self.store.account_by_id(&account_id).await? else { continue };
            self.accounts().queue_refresh(&account, None).await?;
            queued += 1;
        }
        Ok(queued)
    }

    /// Tells the account's upstream that it was unlinked. Best effort: the app's unlink stands
    /// whatever the upstream answers, and a refusal is logged for the operator.
    pub(super) async fn unlink_upstream(&self, account: &Account) {
        let Some(connector) = self.institutions.connector_for(account) else { return };
        let siblings = match self.still_linked_beside(account).await {
            Ok(siblings) => siblings,
            Err(err) => {
                tracing::warn!(account = %account.id, error = %err, "could not read the customer's other accounts; the upstream is not told");
                return;
            }
        };
        let still_linked: Vec<&str> = siblings.iter().map(String::as_str).collect();
        let handle = ConnectorAccount::of(account, true, self.clock.now());
        if let Err(err) = connector.unlink(handle, &still_linked).await {
            tracing::warn!(account = %account.id, connector = connector.name(), error = %err, "the upstream did not take the unlink");
        }
    }

    /// The handles of the customer's other accounts at the account's institution, still linked.
    async fn still_linked_beside(&self, account: &Account) -> Result<Vec<String>> {
        let search = AccountSearch {
            app_id: Some(account.app_id.clone()),
            customer_ids: Some(vec![account.customer_id.clone()]),
            ..Default::default()
        };
        let found = self.store.search_accounts(&search, PageRequest::new(1, Some(MAX_SIBLINGS))).await?;
        Ok(found
            .items
            .into_iter()
            .map(|found| found.account)
            .filter(|other| other.id != account.id && other.institution_id == account.institution_id)
            .map(|other| other.connector_ref)
            .collect())
    }
}
