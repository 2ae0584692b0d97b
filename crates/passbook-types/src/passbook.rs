//! Passbook's own API (`/passbook/v1`): webhook events, replays and webhook settings. Mono has
//! no equivalent; the envelopes are the same as Mono's.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::integrity::{IntegrityOut, IntegritySignalOut};

/// The query string of `GET /passbook/v1/events`, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct EventsQuery {
    /// `pending`, `delivered` or `failed`.
    #[schemars(pattern(r"^(|pending|delivered|failed)$"))]
    pub status: Option<String>,
    /// An event name, such as `mono.events.account_updated`.
    #[schemars(pattern(crate::patterns::TEXT))]
    pub event: Option<String>,
    /// An account id.
    #[schemars(pattern(crate::patterns::TEXT))]
    pub account: Option<String>,
    /// From this instant: RFC 3339 or a day.
    #[schemars(pattern(crate::patterns::INSTANT))]
    pub since: Option<String>,
    /// Up to this instant: RFC 3339 or a day.
    #[schemars(pattern(crate::patterns::INSTANT))]
    pub until: Option<String>,
    /// The page, from 1.
    #[schemars(pattern(crate::patterns::PAGE))]
    pub page: Option<String>,
    /// Events per page: 1 to 200 (50 when absent).
    #[schemars(pattern(crate::patterns::EVENTS_LIMIT))]
    pub limit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EventOut {
    pub id: String,
    pub event: String,
    pub account: Option<String>,
    pub sequence: i64,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    /// The body as it is POSTed.
    pub payload: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_attempts: Option<Vec<AttemptOut>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AttemptOut {
    pub attempted_at: String,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
    pub next_attempt_at: Option<String>,
}

/// `POST /passbook/v1/events/replay`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ReplayRequest {
    #[schemars(pattern(r"^(|delivered|failed)$"))]
    pub status: Option<String>,
    #[schemars(pattern(crate::patterns::TEXT))]
    pub event: Option<String>,
    #[schemars(pattern(crate::patterns::TEXT))]
    pub account: Option<String>,
    #[schemars(pattern(crate::patterns::INSTANT))]
    pub since: Option<String>,
    #[schemars(pattern(crate::patterns::INSTANT))]
    pub until: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReplayOut {
    pub replayed: u64,
}

/// `GET` / `PUT /passbook/v1/webhook`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WebhookOut {
    pub url: Option<String>,
    pub secret_rotation_overlap_until: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct WebhookIn {
    /// Null (or absent) removes the URL.
    #[schemars(pattern(crate::patterns::WEBHOOK_URL))]
    pub url: Option<String>,
}

/// `POST /passbook/v1/webhook/secret/rotate`: the new secret, shown once.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RotatedSecretOut {
    pub secret: String,
    pub previous_secret_valid_until: String,
}

/// `POST /passbook/v1/webhook/test`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TestEventOut {
    pub event_id: String,
}

/// `GET /healthz` and `GET /readyz` when they pass: `ok` and `ready`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HealthOut {
    pub status: String,
}

/// `POST /passbook/v1/statements`: the accounts linked and what was read from the file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ImportOut {
    pub accounts: Vec<ImportedAccountOut>,
    pub statement: Vec<StatementPreviewOut>,
    pub report: ImportReportOut,
    /// Whether the file was changed after it was made (also on each account's
    /// `passbook.source.integrity`).
    pub integrity: IntegrityOut,
}

/// What the reader made of the file: every row it read is stored (the account's data job fails,
/// and says so, rather than keep fewer); the lines it passed over are listed with why.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ImportReportOut {
    pub rows_read: usize,
    /// How many lines were passed over in all; `skipped` lists the first 50.
    pub lines_skipped: usize,
    pub skipped: Vec<SkippedLineOut>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SkippedLineOut {
    /// Where: `line 12` of a table, `page 2 line 540` of a PDF, `page 3` for a whole page.
    pub at: String,
    /// What the line said (at most 200 characters).
    pub text: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ImportedAccountOut {
    pub id: String,
    pub name: Option<String>,
    pub account_number: String,
    pub currency: String,
    pub institution: String,
    pub data_status: String,
}

/// One account as a statement file states it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StatementPreviewOut {
    pub account_number: String,
    pub name: String,
    /// Empty when neither the file, the uploader nor the institution's country tells it.
    pub currency: String,
    /// `ofx`, `camt053`, `mt940`, `csv`, `xlsx`, `pdf` or `json`.
    pub format: String,
    pub period: OpenPeriodOut,
    pub transactions: usize,
    pub opening_balance: Option<i64>,
    pub closing_balance: Option<i64>,
    /// `balanced`, `unbalanced` or `unverifiable`.
    pub reconciliation: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct OpenPeriodOut {
    pub start: Option<String>,
    pub end: Option<String>,
}

fn require_interval(schema: &mut schemars::Schema) {
    crate::whole::require(schema, &["refresh_interval_hours"]);
}

/// `PUT /passbook/v1/settings`, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = require_interval)]
pub struct SettingsIn {
    /// How often linked accounts are refreshed: 24, 12 or 6 hours.
    #[schemars(required, extend("enum" = [24, 12, 6]))]
    #[serde(default, deserialize_with = "crate::whole::option")]
    pub refresh_interval_hours: Option<u32>,
}

/// `GET` / `PUT /passbook/v1/settings`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SettingsOut {
    /// How often linked accounts are refreshed: 24, 12 or 6 hours.
    pub refresh_interval_hours: u32,
}

/// `POST /passbook/v1/sandbox/webhooks`: a webhook about one account, sent now (sandbox mode).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct SandboxWebhookIn {
    /// The account the webhook is about.
    #[schemars(required, pattern(crate::patterns::OBJECT_ID))]
    pub account: Option<String>,
    /// `mono.events.account_connected`, `mono.events.account_updated`,
    /// `mono.events.account_reauthorized`, `mono.events.account_unlinked`,
    /// `mono.accounts.jobs.update` or `passbook.events.sync_updates_available`.
    #[schemars(required, pattern(crate::patterns::SANDBOX_WEBHOOK))]
    pub event: Option<String>,
    /// For `account_updated`: the refresh outcome to report (none: the data status settling).
    #[schemars(pattern(r"^(|SUCCESSFUL|FAILED|REAUTHORISATION_REQUIRED)$"))]
    pub sync_status: Option<String>,
    /// For `jobs.update`: `processing`, `finished` (the default) or `failed`.
    #[schemars(pattern(r"^(|processing|finished|failed)$"))]
    pub job_status: Option<String>,
}

/// `POST /passbook/v1/sandbox/clock`: how far to move the app's sandbox clock (one of the two).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct SandboxClockIn {
    /// Days ahead, 1 to 366.
    #[schemars(range(min = 1, max = 366))]
    #[serde(default, deserialize_with = "crate::whole::option")]
    pub days: Option<i64>,
    /// The sandbox date to move to, `YYYY-MM-DD`: after today's sandbox date, at most 366 days on.
    #[schemars(pattern(r"^\d{4}-\d{2}-\d{2}$"))]
    pub to: Option<String>,
}

/// `GET` / `POST /passbook/v1/sandbox/clock`: the app's sandbox clock and, after a move, the
/// refreshes the move ran.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SandboxClockOut {
    /// The app's sandbox time (the time its sandbox banks see).
    pub now: String,
    /// How far it is ahead of the time now, in whole days.
    pub days_ahead: i64,
    /// Refreshes run by this move (one per account per refresh interval crossed).
    pub refreshes: u64,
    /// Of those, the ones that failed (a bank down, re-authorisation needed).
    pub failed_refreshes: u64,
    /// Set while a move's refreshes are still running (a move whose request was cut short
    /// finishes them in the background): the sandbox time up to which they run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refreshing_until: Option<String>,
}

/// The query string of `GET /passbook/v1/accounts/{id}/transactions/sync`, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct SyncQuery {
    /// The `next_cursor` of the last page you applied; none to start from the beginning.
    pub cursor: Option<String>,
    /// Changes per page: 1 to 500 (100 when absent).
    #[schemars(pattern(r"^([1-9][0-9]{0,2})?$"))]
    pub count: Option<String>,
}

/// One record in the sync feed: Mono's transaction, and whether it is still pending.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SyncTransactionOut {
    #[serde(flatten)]
    pub transaction: crate::accounts::TransactionOut,
    /// Authorised but not yet posted: Mono's transaction endpoints do not list it.
    pub pending: bool,
}

/// `GET /passbook/v1/accounts/{id}/transactions/sync`: the account's transaction changes after
/// the cursor. Apply `added`, then `modified` (in order, by id), then `removed`; then store
/// `next_cursor`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SyncOut {
    /// Records new to the account, as they were when added (a later change to one comes in
    /// `modified`, on this page or a later one).
    pub added: Vec<SyncTransactionOut>,
    /// Records that changed: a pending record that posted (`pending: false`, possibly with
    /// another amount, narration and date) or changed while pending.
    pub modified: Vec<SyncTransactionOut>,
    /// Ids of pending records that were reversed and are gone.
    pub removed: Vec<String>,
    /// Where the next call starts. Store it once this page is applied.
    pub next_cursor: String,
    /// More changes wait: call again with `next_cursor` now.
    pub has_more: bool,
}

/// `POST /passbook/v1/statements/verify`: whether the file is a statement this Passbook issued,
/// unchanged; what it says it is; and what the file's own history shows.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct VerificationOut {
    /// `intact` (issued by this Passbook, not a byte changed), `edited` (issued by this Passbook,
    /// then changed), `unsigned` (no Passbook signature), `other_key` (signed by another Passbook
    /// installation, whose public key checks it).
    pub signature: String,
    /// True only for `intact`.
    pub intact: bool,
    /// What the signed statement says it is (for `intact`, `other_key`, and `edited` when the
    /// signature line is still readable).
    pub statement: Option<SignedStatementOut>,
    pub integrity: IntegrityOut,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SignedStatementOut {
    /// The installation's public URL.
    pub issuer: String,
    /// The signing key's id (`GET /passbook/v1/statements/signing-key`).
    pub key_id: String,
    pub account: String,
    pub institution: String,
    pub account_number: String,
    pub currency: String,
    pub period: crate::accounts::PeriodOut,
    pub opening_balance: i64,
    pub closing_balance: i64,
    pub transactions: usize,
    pub issued_at: String,
}

/// `GET /passbook/v1/accounts/{id}/statement`: a statement as a JSON file signed by this
/// Passbook (not an envelope: the file itself, to keep and hand on). `signature.sha256` is the
/// SHA-256 of `passbook_statement` in the JSON Canonicalization Scheme (RFC 8785), and
/// `signature.signature` is Ed25519 over `signature` without that field, in the same scheme.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct JsonStatementFile {
    pub passbook_statement: JsonStatementOut,
    pub signature: JsonStatementSignatureOut,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct JsonStatementOut {
    /// The installation's public URL.
    pub issuer: String,
    pub account: String,
    pub institution: String,
    pub account_number: String,
    pub holder: Option<String>,
    pub currency: String,
    /// `YYYY-MM-DD` to `YYYY-MM-DD`.
    pub period: crate::accounts::PeriodOut,
    /// Minor units, before the first row and after the last.
    pub opening_balance: i64,
    pub closing_balance: i64,
    pub issued_at: String,
    /// Oldest first.
    pub transactions: Vec<JsonStatementRowOut>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct JsonStatementRowOut {
    pub id: String,
    /// `credit` or `debit`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Minor units, positive.
    pub amount: i64,
    pub balance: Option<i64>,
    pub date: String,
    pub narration: String,
    pub currency: String,
}

/// What a statement Passbook signs says it is: the line after a signed PDF's `%%EOF`
/// (`%PassbookSignature {…}`, fields in this order) and a signed JSON statement's `signature`,
/// each with the signature beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatementManifest {
    pub v: u32,
    /// The signing key's id (`GET /passbook/v1/statements/signing-key`).
    pub key: String,
    /// The installation's public URL.
    pub issuer: String,
    pub account: String,
    pub institution: String,
    pub account_number: String,
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    pub opening_balance: i64,
    pub closing_balance: i64,
    pub transactions: usize,
    /// When the statement was built, ISO 8601.
    pub issued_at: String,
    /// Of what is signed (a PDF: every byte before the line; JSON: `passbook_statement`,
    /// canonical), hex.
    pub sha256: String,
}

/// A manifest and its signature: Ed25519 (base64) over the manifest without this field.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct JsonStatementSignatureOut {
    #[serde(flatten)]
    pub manifest: StatementManifest,
    pub signature: String,
}

/// `GET /passbook/v1/statements/signing-key`: the public key that checks the statements this
/// Passbook issues, for lenders who do not run Passbook.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SigningKeyOut {
    pub key_id: String,
    /// `Ed25519`.
    pub algorithm: String,
    /// The 32-byte public key, base64.
    pub public_key: String,
    /// How a signature is laid out and checked.
    pub format: String,
}

/// `POST /passbook/v1/customers/{id}/simplefin`: a SimpleFIN setup token for the customer, shown
/// once. Pasted into a SimpleFIN client (Actual Budget, Firefly III), it is claimed once for
/// read access to the customer's linked accounts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SimpleFinTokenOut {
    pub setup_token: String,
    /// When an unclaimed token stops working.
    pub expires_at: String,
}

/// `DELETE /passbook/v1/customers/{id}/simplefin`: the customer's SimpleFIN access ended.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SimpleFinRevokedOut {
    /// Grants and unclaimed tokens that ended.
    pub revoked: u64,
}

/// `POST /passbook/v1/connectors/{name}/notifications`: what an upstream's notification led to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NotificationOut {
    /// Accounts whose data is being fetched again.
    pub refreshing: usize,
}

/// An upstream's notification, as Mono (and most upstreams) send one: the event's name and its
/// data; the connector reads the rest.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NotificationIn {
    pub event: String,
    pub data: serde_json::Map<String, serde_json::Value>,
}
