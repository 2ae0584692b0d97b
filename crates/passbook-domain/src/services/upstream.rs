//! What upstream aggregators tell Passbook (their webhooks), and what Passbook tells them.
use super::Passbook;
use crate::connector::{ConnectorAccount, NotificationRefused, UpstreamNotice};
use crate::model::*;
use crate::{Error, Result, ids};

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
            let now = self.clock.now();
            let job = NewJob {
                id: ids::object_id(now),
                app_id: account.app_id.clone(),
                kind: JobKind::RefreshAccount { account_id: account.id.clone() },
                run_at: now,
            };
            self.store.insert_job(&job, None).await?;
            queued += 1;
        }
        if queued > 0 {
            self.wake_runner();
        }
        Ok(queued)
    }

    /// Tells the account's upstream that it was unlinked. Best effort: the app's unlink stands
    /// whatever the upstream answers, and a refusal is logged for the operator.
    pub(super) async fn unlink_upstream(&self, account: &Account) {
        let Some((_, connector)) = self.institutions.connector(&account.institution_id) else { return };
        if account.auth_method == AuthMethod::StatementUpload {
            return;
        }
        let handle = ConnectorAccount::of(account, true, self.clock.now());
        if let Err(err) = connector.unlink(handle).await {
            tracing::warn!(account = %account.id, connector = connector.name(), error = %err, "the upstream did not take the unlink");
        }
    }
}
