//! The `webhooks` section: every event Passbook POSTs to an app's webhook URL, with its body's
//! schema and the headers that authenticate it.
use passbook_types::webhooks::{
    ACCOUNT_CONNECTED, ACCOUNT_CREDIT_WORTHINESS, ACCOUNT_INCOME, ACCOUNT_REAUTHORIZED, ACCOUNT_UNLINKED,
    ACCOUNT_UPDATED, AccountConnectedData, AccountIncomeData, AccountReauthorizedData, AccountUnlinkedData,
    AccountUpdatedData, CreditWorthinessData, JOBS_UPDATE, JobsUpdateData, STATEMENT_FLAGGED, SYNC_UPDATES_AVAILABLE,
    StatementFlaggedData, SyncUpdatesAvailableData, WEBHOOK_TEST, WebhookEvent, WebhookTestData,
};
use serde_json::{Map, Value, json};

use super::Schemas;
use super::operation::SchemaFn;

fn body<T: schemars::JsonSchema>(generator: &mut schemars::generate::SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<WebhookEvent<T>>()
}

/// Each event: its name, what it tells, and its body's type.
const EVENTS: &[(&str, &str, SchemaFn)] = &[
    (ACCOUNT_CONNECTED, "An account was linked; its data is being fetched.", body::<AccountConnectedData>),
    (
        ACCOUNT_UPDATED,
        "The account's data status changed, or a refresh finished (`meta.sync_status`).",
        body::<AccountUpdatedData>,
    ),
    (ACCOUNT_UNLINKED, "The account was unlinked.", body::<AccountUnlinkedData>),
    (ACCOUNT_REAUTHORIZED, "The user logged in again to an account that needed it.", body::<AccountReauthorizedData>),
    (JOBS_UPDATE, "A real-time refresh (`x-realtime`) changed state.", body::<JobsUpdateData>),
    (ACCOUNT_INCOME, "The income asked for with `GET /v2/accounts/{id}/income`.", body::<AccountIncomeData>),
    (
        ACCOUNT_CREDIT_WORTHINESS,
        "The assessment asked for with `POST /v2/accounts/{id}/creditworthiness`.",
        body::<CreditWorthinessData>,
    ),
    (
        SYNC_UPDATES_AVAILABLE,
        "Passbook's own: a refresh changed the account's transactions; read them from `GET \
         /passbook/v1/accounts/{id}/transactions/sync` with your stored cursor. Not sent for the first fetch \
         (`account_updated` says the data is ready).",
        body::<SyncUpdatesAvailableData>,
    ),
    (
        STATEMENT_FLAGGED,
        "Passbook's own: the statement file an account was linked from is `altered` or `suspicious` (after its \
         `account_updated`); the signals say why, as on the account's `passbook.source.integrity`.",
        body::<StatementFlaggedData>,
    ),
    (WEBHOOK_TEST, "Sent on request (`POST /passbook/v1/webhook/test`) to check an endpoint.", body::<WebhookTestData>),
];

const HEADERS: &[(&str, &str)] = &[
    ("mono-webhook-secret", "The app's webhook secret, as Mono sends it: compare it in constant time."),
    ("webhook-id", "The event's id (Standard Webhooks); the same on every retry and replay."),
    ("webhook-timestamp", "Unix seconds of this attempt (Standard Webhooks)."),
    (
        "webhook-signature",
        "`v1,<base64 HMAC-SHA256 of \"{webhook-id}.{webhook-timestamp}.{body}\">`, one per valid secret, \
         space-separated (Standard Webhooks).",
    ),
];

pub(super) fn describe(schemas: &mut Schemas) -> Map<String, Value> {
    let parameters: Vec<Value> = HEADERS
        .iter()
        .map(|(name, description)| {
            json!({"name": name, "in": "header", "required": true, "description": description,
                   "schema": {"type": "string"}})
        })
        .collect();
    EVENTS
        .iter()
        .map(|(event, description, schema)| {
            let schema = schema(&mut schemas.written).to_value();
            let operation = json!({"post": {
                "operationId": event.replace('.', "_"),
                "summary": event,
                "description": format!("{description} Events about one account arrive in order (`sequence`); \
                                        an answer other than 2xx is retried with backoff."),
                "tags": ["Webhooks"],
                "parameters": parameters,
                "requestBody": {"required": true, "content": {"application/json": {"schema": schema}}},
                "responses": {"200": {"description": "Any 2xx acknowledges the event."}},
            }});
            (event.to_string(), operation)
        })
        .collect()
}
