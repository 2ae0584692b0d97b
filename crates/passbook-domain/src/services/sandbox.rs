//! Sandbox triggers: any webhook about an account, sent on demand, so that an integrator can
//! test a handler without scripting a scenario. Only in sandbox mode; the account itself does not
//! change (an `account_unlinked` sent here leaves the account linked).
use passbook_types::passbook::SandboxWebhookIn;

use super::Passbook;
use crate::model::{AccountId, App, JobKind, JobStatus, SyncStatus};
use crate::webhook_payloads::{self, SyncMeta};
use crate::{Error, Result, ids};

/// A webhook the sandbox can send about an account, parsed from [`SandboxWebhookIn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SandboxWebhook {
    Connected,
    /// A refresh's outcome (`sync_status`), or without one the data status settling.
    Updated(Option<SyncStatus>),
    Reauthorized,
    Unlinked,
    JobsUpdate(JobStatus),
    SyncUpdatesAvailable,
}

impl SandboxWebhook {
    fn parse(request: &SandboxWebhookIn) -> Result<Self> {
        use passbook_types::webhooks::{
            ACCOUNT_CONNECTED, ACCOUNT_CREDIT_WORTHINESS, ACCOUNT_INCOME, ACCOUNT_REAUTHORIZED, ACCOUNT_UNLINKED,
            ACCOUNT_UPDATED, JOBS_UPDATE, SYNC_UPDATES_AVAILABLE, WEBHOOK_TEST,
        };
        let event = request.event.as_deref().unwrap_or_default();
        Ok(match event {
            ACCOUNT_CONNECTED => Self::Connected,
            ACCOUNT_UPDATED => Self::Updated(match request.sync_status.as_deref() {
                None | Some("") => None,
                Some("SUCCESSFUL") => Some(SyncStatus::Successful),
                Some("FAILED") => Some(SyncStatus::Failed),
                Some("REAUTHORISATION_REQUIRED") => Some(SyncStatus::ReauthorisationRequired),
                Some(other) => {
                    return Err(Error::invalid(
                        "sync_status",
                        format!("sync_status must be SUCCESSFUL, FAILED or REAUTHORISATION_REQUIRED, got '{other}'"),
                    ));
                }
            }),
            ACCOUNT_REAUTHORIZED => Self::Reauthorized,
            ACCOUNT_UNLINKED => Self::Unlinked,
            JOBS_UPDATE => Self::JobsUpdate(match request.job_status.as_deref() {
                None | Some("") | Some("finished") => JobStatus::Finished,
                Some("processing") => JobStatus::Processing,
                Some("failed") => JobStatus::Failed,
                Some(other) => {
                    return Err(Error::invalid(
                        "job_status",
                        format!("job_status must be processing, finished or failed, got '{other}'"),
                    ));
                }
            }),
            SYNC_UPDATES_AVAILABLE => Self::SyncUpdatesAvailable,
            "" => return Err(Error::invalid("event", "event is required: the name of the webhook to send")),
            ACCOUNT_INCOME | ACCOUNT_CREDIT_WORTHINESS | WEBHOOK_TEST => {
                return Err(Error::invalid(
                    "event",
                    format!(
                        "{event} has its own request: GET /v2/accounts/{{id}}/income, \
                         POST /v2/accounts/{{id}}/creditworthiness or POST /passbook/v1/webhook/test"
                    ),
                ));
            }
            other => return Err(Error::invalid("event", format!("'{other}' is not a webhook Passbook sends"))),
        })
    }
}

impl Passbook {
    /// Queues the webhook `request` asks for about one of the app's accounts, in order with the
    /// account's other events; its id.
    pub async fn send_sandbox_webhook(&self, app: &App, request: &SandboxWebhookIn) -> Result<String> {
        if !self.settings.sandbox {
            return Err(Error::not_found("Sandbox triggers exist only in sandbox mode"));
        }
        let id = request.account.as_deref().filter(|a| !a.is_empty());
        let id = AccountId::from(id.ok_or_else(|| Error::invalid("account", "account is required: an account id"))?);
        let webhook = SandboxWebhook::parse(request)?;
        let account = self.accounts().get(app, &id).await?;
        let now = self.clock.now();
        let event = match webhook {
            SandboxWebhook::Connected => webhook_payloads::account_connected(&account, now),
            SandboxWebhook::Updated(sync) => {
                let institution = self
                    .institutions
                    .get(&account.institution_id)
                    .ok_or_else(|| Error::Internal(format!("account {} names no known institution", account.id)))?;
                let meta = sync.map(|sync_status| SyncMeta { sync_status, job_id: None, has_new_data: false });
                webhook_payloads::account_updated(&account, &institution, meta.as_ref(), now)
            }
            SandboxWebhook::Reauthorized => webhook_payloads::account_reauthorized(&account, now),
            SandboxWebhook::Unlinked => webhook_payloads::account_unlinked(&account, now),
            SandboxWebhook::JobsUpdate(status) => {
                let kind = JobKind::RealtimeSync { account_id: account.id.clone(), statement: false };
                webhook_payloads::jobs_update(&account, &ids::object_id(now), &kind, status, now)
            }
            SandboxWebhook::SyncUpdatesAvailable => {
                webhook_payloads::sync_updates_available(&account, &Default::default(), now)
            }
        };
        self.store.insert_event(&event, None).await?;
        self.metrics.event_created(&event.event);
        self.wake_dispatcher();
        Ok(event.id.into())
    }
}
