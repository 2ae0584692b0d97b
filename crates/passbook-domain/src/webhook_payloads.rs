//! Builds the webhook events Passbook sends, in Mono's shapes.
use passbook_types::webhooks::{
    ACCOUNT_CONNECTED, ACCOUNT_CREDIT_WORTHINESS, ACCOUNT_INCOME, ACCOUNT_REAUTHORIZED, ACCOUNT_UNLINKED,
    ACCOUNT_UPDATED, AccountConnectedData, AccountIncomeData, AccountReauthorizedData, AccountRef, AccountUnlinkedData,
    AccountUpdatedData, ConnectedMeta, CreditWorthinessData, IncomeSummary, JOBS_UPDATE, JobsUpdateData,
    STATEMENT_FLAGGED, SYNC_UPDATES_AVAILABLE, StatementFlaggedData, SyncUpdatesAvailableData, UnlinkedAccount,
    UpdatedMeta, WEBHOOK_TEST, WebhookAccount, WebhookEvent, WebhookInstitution, WebhookTestData,
};
use serde::Serialize;

use crate::Timestamp;
use crate::ids;
use crate::model::{Account, AccountId, AppId, Institution, JobKind, JobStatus, NewEvent, SyncStatus};

fn event<T: Serialize>(
    name: &str,
    app_id: &AppId,
    account_id: Option<&AccountId>,
    now: Timestamp,
    data: T,
) -> NewEvent {
    let id = ids::event_id();
    let body =
        WebhookEvent { event: name.to_string(), event_id: id.clone(), timestamp: now.to_iso(), data, sequence: None };
    NewEvent {
        id: id.into(),
        app_id: app_id.clone(),
        account_id: account_id.cloned(),
        event: name.to_string(),
        payload: serde_json::to_string(&body).expect("webhook payloads serialise"),
        created_at: now,
    }
}

/// `mono.events.webhook_test`, sent on request to check an endpoint.
pub fn webhook_test(app_id: &AppId, now: Timestamp) -> NewEvent {
    let data = WebhookTestData {
        app: app_id.to_string(),
        message: "This is a test event from Passbook. Answer with a 2xx status to acknowledge it.".into(),
    };
    event(WEBHOOK_TEST, app_id, None, now, data)
}

/// The body as POSTed: the stored event with its per-account `sequence` at the top level.
/// Stored payloads are JSON objects Passbook serialised itself, so the key is spliced in before
/// the closing brace, keeping the key order of the stored body.
pub fn body_with_sequence(payload: &str, sequence: i64) -> String {
    match payload.trim_end().strip_suffix('}') {
        Some(open) if payload.starts_with('{') => format!("{open},\"sequence\":{sequence}}}"),
        _ => payload.to_string(),
    }
}

/// `mono.events.account_income` (contract §3.2).
pub fn account_income(account: &Account, report: &crate::income::IncomeReport, now: Timestamp) -> NewEvent {
    let data = AccountIncomeData {
        account: account.id.to_string(),
        app: account.app_id.to_string(),
        business: account.app_id.to_string(),
        account_name: account.name.clone(),
        account_number: account.account_number.clone(),
        income_summary: IncomeSummary { total_income: report.total_income, employer: report.employer.clone() },
        income_streams: report.streams.clone(),
        annual_income: report.annual_income,
        monthly_income: report.monthly_income,
    };
    event(ACCOUNT_INCOME, &account.app_id, Some(&account.id), now, data)
}

/// `mono.events.account_credit_worthiness` (contract §3.2).
pub fn account_credit_worthiness(account: &Account, assessment: serde_json::Value, now: Timestamp) -> NewEvent {
    let data = CreditWorthinessData {
        account: account.id.to_string(),
        app: account.app_id.to_string(),
        business: account.app_id.to_string(),
        assessment: match assessment {
            serde_json::Value::Object(fields) => fields,
            _ => serde_json::Map::new(),
        },
    };
    event(ACCOUNT_CREDIT_WORTHINESS, &account.app_id, Some(&account.id), now, data)
}

/// `mono.events.account_unlinked`: the account as both `id` and `_id` (Mono's docs show both).
pub fn account_unlinked(account: &Account, now: Timestamp) -> NewEvent {
    let data = AccountUnlinkedData {
        account: UnlinkedAccount { id: account.id.to_string(), mongo_id: account.id.to_string() },
        customer: account.customer_id.to_string(),
    };
    event(ACCOUNT_UNLINKED, &account.app_id, Some(&account.id), now, data)
}

/// `passbook.events.sync_updates_available`, after a refresh that changed the account's
/// transactions.
pub fn sync_updates_available(
    account: &Account,
    changes: &crate::sync::TransactionChanges,
    now: Timestamp,
) -> NewEvent {
    use crate::sync::ChangeKind;
    let count = |kind| changes.log.iter().filter(|c| c.kind == kind).count() as u64;
    let data = SyncUpdatesAvailableData {
        account: account.id.to_string(),
        added: count(ChangeKind::Added),
        modified: count(ChangeKind::Modified),
        removed: count(ChangeKind::Removed),
    };
    event(SYNC_UPDATES_AVAILABLE, &account.app_id, Some(&account.id), now, data)
}

/// `passbook.events.statement_flagged`, after the first fetch of an account linked from a
/// statement file judged `altered` or `suspicious`.
pub fn statement_flagged(account: &Account, integrity: &crate::integrity::Integrity, now: Timestamp) -> NewEvent {
    let wire = integrity.wire();
    let data = StatementFlaggedData { account: account.id.to_string(), verdict: wire.verdict, signals: wire.signals };
    event(STATEMENT_FLAGGED, &account.app_id, Some(&account.id), now, data)
}

/// `mono.events.account_connected`, sent as soon as an account is linked.
pub fn account_connected(account: &Account, now: Timestamp) -> NewEvent {
    let data = AccountConnectedData {
        id: account.id.to_string(),
        customer: account.customer_id.to_string(),
        meta: ConnectedMeta {
            data_status: account.data_status.as_str().into(),
            auth_method: account.auth_method.as_str().into(),
            reference: account.reference.clone(),
        },
        app: account.app_id.to_string(),
        business: account.app_id.to_string(),
    };
    event(ACCOUNT_CONNECTED, &account.app_id, Some(&account.id), now, data)
}

/// What a refresh adds to `account_updated`.
pub struct SyncMeta {
    pub sync_status: SyncStatus,
    pub job_id: Option<String>,
    pub has_new_data: bool,
}

/// `mono.accounts.jobs.update`: a real-time job's state.
pub fn jobs_update(account: &Account, job_id: &str, kind: &JobKind, status: JobStatus, now: Timestamp) -> NewEvent {
    let data = JobsUpdateData {
        account: account.id.to_string(),
        business: account.app_id.to_string(),
        app: account.app_id.to_string(),
        id: job_id.into(),
        name: kind.mono_name(),
        status: status.as_str().into(),
    };
    event(JOBS_UPDATE, &account.app_id, Some(&account.id), now, data)
}

/// `mono.events.account_reauthorized`: the user logged in again.
pub fn account_reauthorized(account: &Account, now: Timestamp) -> NewEvent {
    let data = AccountReauthorizedData {
        account: AccountRef { id: account.id.to_string() },
        app: account.app_id.to_string(),
        business: account.app_id.to_string(),
    };
    event(ACCOUNT_REAUTHORIZED, &account.app_id, Some(&account.id), now, data)
}

/// `mono.events.account_updated`, sent when a data fetch settles the account's data status, and
/// after every refresh (with `sync`).
pub fn account_updated(
    account: &Account,
    institution: &Institution,
    sync: Option<&SyncMeta>,
    now: Timestamp,
) -> NewEvent {
    let data = AccountUpdatedData {
        account: WebhookAccount {
            id: account.id.to_string(),
            name: account.name.clone(),
            account_number: account.account_number.clone(),
            currency: account.currency.clone(),
            balance: account.balance,
            kind: account.kind.clone(),
            bvn: account.bvn.clone(),
            auth_method: account.auth_method.as_str().into(),
            institution: WebhookInstitution {
                name: institution.name.clone(),
                bank_code: institution.bank_code.clone(),
                kind: institution.kind.as_str().into(),
            },
            customer: account.customer_id.to_string(),
            created_at: account.created_at.to_iso(),
            updated_at: account.updated_at.to_iso(),
        },
        meta: UpdatedMeta {
            data_status: account.data_status.as_str().into(),
            auth_method: account.auth_method.as_str().into(),
            retrieved_data: account.retrieved_data.iter().map(|k| k.as_str().to_string()).collect(),
            reference: account.reference.clone(),
            sync_status: sync.map(|s| s.sync_status.as_str().to_string()),
            job_id: sync.and_then(|s| s.job_id.clone()),
            has_new_data: sync.map(|s| s.has_new_data),
        },
    };
    event(ACCOUNT_UPDATED, &account.app_id, Some(&account.id), now, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_is_added_at_the_top_level() {
        let body = body_with_sequence(r#"{"event":"x","data":{"id":"1"}}"#, 7);
        assert_eq!(body, r#"{"event":"x","data":{"id":"1"},"sequence":7}"#);
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value["sequence"], 7);
    }
}
