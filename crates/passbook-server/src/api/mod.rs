//! The Mono v2 JSON API.
mod accounts;
pub(crate) mod answer_cache;
mod conditional;
mod connect;
mod connectors;
mod customers;
mod events;
mod health;
mod imports;
mod initiate;
mod insights;
mod institutions;
mod investments;
mod partners;
mod sandbox;
mod simplefin;
mod statements;
mod sync;
mod verification;
mod wire;

use passbook_types::accounts::{
    AccountDetails, AccountListItem, AssetsOut, BalanceOut, CreditworthinessRequest, EarningOut, IdentityOut,
    IncomeQuery, IncomeRecordOut, JobOut, SignedStatementQuery, StatementAnswer, StatementJobOut, StatementQuery,
    TransactionOut, TransactionsQuery,
};
use passbook_types::connect::{ExchangeAnswer, ExchangeRequest, SandboxOut};
use passbook_types::customers::{CustomerChanges, CustomerIn, CustomerOut};
use passbook_types::institutions::{InstitutionOut, InstitutionsQuery};
use passbook_types::linking::{InitiateRequest, InitiateResponse};
use passbook_types::partners::{PartnerAnswer, ReauthSessionRequest, SessionAnswer, SessionRequest};
use passbook_types::passbook::{
    EventOut, EventsQuery, HealthOut, ImportOut, JsonStatementFile, NotificationIn, NotificationOut, ReplayOut,
    ReplayRequest, RotatedSecretOut, SandboxClockIn, SandboxClockOut, SandboxWebhookIn, SettingsIn, SettingsOut,
    SigningKeyOut, SimpleFinRevokedOut, SimpleFinTokenOut, SyncOut, SyncQuery, TestEventOut, VerificationOut,
    WebhookIn, WebhookOut,
};
use passbook_types::{ListMeta, PageMeta, PageQuery, Success};
use serde_json::json;

use crate::AppState;
use crate::openapi::Operation;

type Done = Success<Option<()>>;

const REALTIME: (&str, &str) = (
    "x-realtime",
    "`true`: refresh from the bank first; the job is described in `x-job-id`, `x-job-status` and `x-has-new-data`.",
);
const SESSION: (&str, &str) = ("x-session-id", "The session's id, from `data.session.id` of the session answer.");

/// Every endpoint of the JSON API, with what the OpenAPI document says of it. Statement imports
/// may be up to `upload_limit` bytes.
pub fn operations(upload_limit: usize) -> Vec<Operation> {
    let mut all = Vec::new();
    all.extend(linking());
    all.extend(account_data());
    all.extend(insights());
    all.extend(customers_and_institutions());
    all.extend(passbook_api(upload_limit));
    all.extend(operations_endpoints());
    all
}

fn linking() -> Vec<Operation> {
    vec![
        Operation::post("/v2/accounts/initiate", initiate::initiate)
            .named("Linking", "initiateLink", "Start linking an account (or re-authorising one): the link for the user")
            .describe("With `customer` and `scope: \"auth\"` a new link; with `account` and `scope: \"reauth\"` a re-authorisation. The user opens `mono_url`; the account id arrives by `mono.events.account_connected`.")
            .json_body::<InitiateRequest>()
            .returns::<Success<InitiateResponse>>(200, "The link for the user."),
        Operation::post("/v2/accounts/auth", connect::exchange)
            .named("Linking", "exchangeToken", "Exchange the widget's code for the account id")
            .json_body::<ExchangeRequest>()
            .returns::<ExchangeAnswer>(200, "The account id, in `data.id` and `id`."),
        Operation::get("/v2/connect/sandbox", connect::sandbox)
            .named("Linking", "sandboxLogins", "The sandbox's logins and what each one does")
            .returns::<Success<SandboxOut>>(200, "Logins and challenge answers."),
        Operation::post("/v2/connect/session", partners::create_session)
            .named("Partners API", "createSession", "Start linking without the widget")
            .link("login", "sessionLogin", &[("header.x-session-id", "$response.body#/data/session/id")])
            .json_body::<SessionRequest>()
            .returns::<Success<SessionAnswer>>(200, "The session and the bank's login form."),
        Operation::post("/v2/connect/login", partners::login)
            .named("Partners API", "sessionLogin", "Log in with the bank's form")
            .link("commit", "sessionCommit", &[("header.x-session-id", "$request.header.x-session-id")])
            .describe("`responseCode` 99: linked (`data.code`); 101: choose an account; 102: more input (`data.userInput`); 400: refused.")
            .required_header(SESSION.0, SESSION.1)
            .fields_body()
            .returns::<PartnerAnswer>(200, "Where the session stands."),
        Operation::post("/v2/connect/commit", partners::commit)
            .named("Partners API", "sessionCommit", "Answer a challenge or choose the account")
            .required_header(SESSION.0, SESSION.1)
            .fields_body()
            .returns::<PartnerAnswer>(200, "Where the session stands."),
        Operation::post("/v2/connect/reauth/session", partners::reauth_session)
            .named("Partners API", "reauthSession", "Start re-authorising an account without the widget")
            .link("login", "reauthLogin", &[("header.x-session-id", "$response.body#/data/session/id")])
            .json_body::<ReauthSessionRequest>()
            .returns::<Success<SessionAnswer>>(200, "The session, or the code when the bank renewed access by itself."),
        Operation::post("/v2/connect/reauth/login", partners::login)
            .named("Partners API", "reauthLogin", "Log in again to re-authorise")
            .required_header(SESSION.0, SESSION.1)
            .fields_body()
            .returns::<PartnerAnswer>(200, "Where the session stands."),
    ]
}

fn account_data() -> Vec<Operation> {
    vec![
        Operation::get("/v2/accounts", accounts::list)
            .named("Accounts", "listAccounts", "The app's linked accounts")
            .query::<PageQuery>()
            .returns::<Success<Vec<AccountListItem>, ListMeta>>(200, "A page of accounts."),
        Operation::get("/v2/accounts/{id}", accounts::details)
            .named("Accounts", "accountDetails", "An account, its customer and its data status")
            .link("job", "accountJob", &[("id", "$request.path.id"), ("job_id", "$response.header.x-job-id")])
            .header(REALTIME.0, REALTIME.1)
            .conditional()
            .returns::<Success<AccountDetails>>(200, "The account."),
        Operation::get("/v2/accounts/{id}/balance", accounts::balance)
            .named("Accounts", "accountBalance", "The account's balance (`data` is null until retrieved)")
            .header(REALTIME.0, REALTIME.1)
            .conditional()
            .returns::<Success<Option<BalanceOut>>>(200, "The balance."),
        Operation::get("/v2/accounts/{id}/identity", accounts::identity)
            .named("Accounts", "accountIdentity", "The account holder's identity (`data` is null until retrieved)")
            .conditional()
            .returns::<Success<Option<IdentityOut>>>(200, "The identity."),
        Operation::get("/v2/accounts/{id}/transactions", accounts::transactions)
            .named("Accounts", "accountTransactions", "The account's transactions, newest first")
            .describe("`paginate=false` returns every match in one answer. Following `meta.next` costs the same on every page (it carries a cursor).")
            .header(REALTIME.0, REALTIME.1)
            .query::<TransactionsQuery>()
            .conditional()
            .returns::<Success<Vec<TransactionOut>, PageMeta>>(200, "A page of transactions."),
        Operation::get("/v2/accounts/{id}/statement", statements::statement)
            .named("Accounts", "accountStatement", "A statement over the last months, as JSON or as a PDF job")
            .link("job", "statementJob", &[("id", "$request.path.id"), ("job_id", "$response.body#/data/id")])
            .link("pdf", "statementPdf", &[("id", "$request.path.id"), ("job_id", "$response.body#/data/id")])
            .query::<StatementQuery>()
            .returns::<Success<StatementAnswer>>(200, "The rows, or the PDF job."),
        Operation::get("/v2/accounts/{id}/statement/jobs/{job_id}", statements::job)
            .named("Accounts", "statementJob", "A PDF statement's job")
            .returns::<Success<StatementJobOut>>(200, "The job; `path` once built."),
        Operation::get("/v2/accounts/{id}/statement/jobs/{job_id}/pdf", statements::pdf)
            .named("Accounts", "statementPdf", "A built PDF statement")
            .returns_other("application/pdf", "The statement as a PDF file."),
        Operation::get("/v2/accounts/{id}/jobs/{job_id}", accounts::job)
            .named("Accounts", "accountJob", "A real-time refresh's job")
            .returns::<Success<JobOut>>(200, "The job."),
        Operation::post("/v2/accounts/{id}/unlink", accounts::unlink)
            .named("Accounts", "unlinkAccount", "Unlink an account: its data is deleted")
            .returns::<Done>(200, "Unlinked."),
        Operation::get("/v2/accounts/{id}/earnings", investments::earnings)
            .named("Accounts", "accountEarnings", "What an investment account earned")
            .returns::<Success<Vec<EarningOut>>>(200, "Earnings."),
        Operation::get("/v2/accounts/{id}/assets", investments::assets)
            .named("Accounts", "accountAssets", "An investment account's holdings")
            .returns::<Success<AssetsOut>>(200, "Assets and cash balances."),
    ]
}

fn insights() -> Vec<Operation> {
    vec![
        Operation::get("/v2/accounts/{id}/income", insights::income)
            .named("Insights", "accountIncome", "Ask for the account's income; it arrives by webhook")
            .query::<IncomeQuery>()
            .returns::<Done>(200, "Being processed; `mono.events.account_income` follows."),
        Operation::get("/v2/accounts/{id}/income-records", insights::income_records)
            .named("Insights", "accountIncomeRecords", "Income reports made earlier")
            .query::<PageQuery>()
            .returns::<Success<Vec<IncomeRecordOut>, ListMeta>>(200, "A page of reports."),
        Operation::post("/v2/accounts/{id}/creditworthiness", insights::creditworthiness)
            .named(
                "Insights",
                "accountCreditworthiness",
                "Ask whether the customer can afford a loan; the answer arrives by webhook",
            )
            .json_body::<CreditworthinessRequest>()
            .returns::<Done>(200, "Being processed; `mono.events.account_credit_worthiness` follows."),
        Operation::post("/v2/accounts/{id}/creditworthiness/", insights::creditworthiness)
            .named(
                "Insights",
                "accountCreditworthinessSlash",
                "The same, spelt with the trailing slash Mono's docs show",
            )
            .json_body::<CreditworthinessRequest>()
            .returns::<Done>(200, "Being processed; `mono.events.account_credit_worthiness` follows."),
    ]
}

fn customers_and_institutions() -> Vec<Operation> {
    vec![
        Operation::get("/v2/customers", customers::list)
            .named("Customers", "listCustomers", "The app's customers")
            .query::<PageQuery>()
            .returns::<Success<Vec<CustomerOut>, ListMeta>>(200, "A page of customers."),
        Operation::post("/v2/customers", customers::create)
            .named("Customers", "createCustomer", "Create a customer")
            .link("get", "getCustomer", &[("id", "$response.body#/data/id")])
            .link("update", "updateCustomer", &[("id", "$response.body#/data/id")])
            .link("delete", "deleteCustomer", &[("id", "$response.body#/data/id")])
            .json_body::<CustomerIn>()
            .returns::<Success<CustomerOut>>(201, "The customer."),
        Operation::get("/v2/customers/{id}", customers::show)
            .named("Customers", "getCustomer", "A customer")
            .returns::<Success<CustomerOut>>(200, "The customer."),
        Operation::patch("/v2/customers/{id}", customers::update)
            .named("Customers", "updateCustomer", "Change a customer")
            .json_body::<CustomerChanges>()
            .returns::<Done>(200, "Changed."),
        Operation::delete("/v2/customers/{id}", customers::delete)
            .named("Customers", "deleteCustomer", "Delete a customer without linked accounts")
            .returns::<Done>(200, "Deleted."),
        Operation::get("/v3/institutions", institutions::list)
            .named("Institutions", "listInstitutions", "The institutions users can link, and how they log in")
            .public()
            .query::<InstitutionsQuery>()
            .returns::<Success<Vec<InstitutionOut>>>(200, "Institutions."),
    ]
}

fn passbook_api(upload_limit: usize) -> Vec<Operation> {
    vec![
        Operation::post("/passbook/v1/statements", imports::import)
            .named("Passbook", "importStatement", "Link the accounts of a statement file without a browser")
            .describe("OFX, CAMT.053, MT940, CSV, XLSX, PDF or Passbook's JSON. The same webhooks follow as for a link made on the page.")
            .multipart_body(import_form)
            .body_limit(crate::upload::form_limit(upload_limit))
            .returns::<Success<ImportOut>>(200, "The accounts linked and what the file states."),
        Operation::post("/passbook/v1/statements/verify", verification::verify)
            .named("Passbook", "verifyStatement", "Check whether a statement is one this Passbook issued, unchanged")
            .describe("A multipart form: `statement` (the file) and `password` (when it has one). Answers the Passbook signature's check, what the signed statement says it is, and what the file's own history shows (the integrity an import records).")
            .multipart_body(verify_form)
            .body_limit(crate::upload::form_limit(upload_limit))
            .returns::<Success<VerificationOut>>(200, "What the file came to."),
        Operation::get("/passbook/v1/accounts/{id}/statement", statements::signed_json)
            .named("Passbook", "signedStatement", "A statement as a JSON file signed by this Passbook")
            .describe("The last 1–12 months of the account's rows, oldest first, with the balances before and after them, as one JSON document signed with the installation's statement key (the same key as the PDFs). Not an envelope: the file itself, to keep or hand to a lender, who checks it with `POST /passbook/v1/statements/verify` or with the public key alone. Uploaded to `POST /passbook/v1/statements`, it is read as a statement and is `original` while unchanged.")
            .query::<SignedStatementQuery>()
            .returns::<JsonStatementFile>(200, "The signed statement."),
        Operation::get("/passbook/v1/statements/signing-key", verification::signing_key)
            .named("Passbook", "statementSigningKey", "The public key that checks the statements this Passbook issues")
            .public()
            .returns::<Success<SigningKeyOut>>(200, "The key, and how a signature is laid out."),
        Operation::post("/passbook/v1/customers/{id}/simplefin", simplefin::create_token)
            .named("Passbook", "createSimpleFinToken", "A SimpleFIN setup token for the customer's linked accounts")
            .describe("The customer pastes it into a SimpleFIN client (Actual Budget, Firefly III), which claims it once at `/simplefin/claim/…` for read access to the customer's accounts at `/simplefin/accounts`. Unclaimed, it expires after three days.")
            .returns::<Success<SimpleFinTokenOut>>(200, "The token, shown once."),
        Operation::delete("/passbook/v1/customers/{id}/simplefin", simplefin::revoke)
            .named("Passbook", "revokeSimpleFin", "End the customer's SimpleFIN access")
            .returns::<Success<SimpleFinRevokedOut>>(200, "How many grants and tokens ended."),
        Operation::post("/passbook/v1/connectors/{name}/notifications", connectors::notification)
            .named("Passbook", "connectorNotification", "Where an upstream's webhooks arrive (Mono's, for the `mono` connector)")
            .describe("Set this URL as the webhook URL in the upstream's dashboard. The connector checks the notification (Mono's `mono-webhook-secret`, in constant time) and fetches again the accounts it names.")
            .public()
            .json_body::<NotificationIn>()
            .returns::<Success<NotificationOut>>(200, "Taken."),
        Operation::get("/passbook/v1/events", events::list)
            .named("Passbook", "listEvents", "The app's webhook events, newest first")
            .link("event", "getEvent", &[("id", "$response.body#/data/0/id")])
            .link("replay", "replayEvent", &[("id", "$response.body#/data/0/id")])
            .query::<EventsQuery>()
            .returns::<Success<Vec<EventOut>, PageMeta>>(200, "A page of events."),
        Operation::get("/passbook/v1/events/{id}", events::show)
            .named("Passbook", "getEvent", "One event with every delivery attempt")
            .returns::<Success<EventOut>>(200, "The event."),
        Operation::post("/passbook/v1/events/{id}/replay", events::replay_one)
            .named("Passbook", "replayEvent", "Send an event again")
            .returns::<Success<ReplayOut>>(200, "Queued again."),
        Operation::post("/passbook/v1/events/replay", events::replay_many)
            .named("Passbook", "replayEvents", "Send the events a filter matches again")
            .json_body::<ReplayRequest>()
            .returns::<Success<ReplayOut>>(200, "How many were queued again."),
        Operation::get("/passbook/v1/webhook", events::get_webhook)
            .named("Passbook", "getWebhook", "The app's webhook URL")
            .returns::<Success<WebhookOut>>(200, "The webhook."),
        Operation::put("/passbook/v1/webhook", events::put_webhook)
            .named("Passbook", "putWebhook", "Set the app's webhook URL")
            .json_body::<WebhookIn>()
            .returns::<Success<WebhookOut>>(200, "The webhook."),
        Operation::post("/passbook/v1/webhook/test", events::send_test)
            .named("Passbook", "testWebhook", "Send `mono.events.webhook_test`")
            .link("event", "getEvent", &[("id", "$response.body#/data/event_id")])
            .returns::<Success<TestEventOut>>(200, "The test event's id."),
        Operation::post("/passbook/v1/webhook/secret/rotate", events::rotate_secret)
            .named("Passbook", "rotateWebhookSecret", "A new webhook secret; the old one signs too for 24 hours")
            .returns::<Success<RotatedSecretOut>>(200, "The new secret, shown once."),
        Operation::post("/passbook/v1/sandbox/webhooks", events::send_sandbox_webhook)
            .named("Passbook", "sendSandboxWebhook", "Send any webhook about an account now (sandbox mode)")
            .describe("Builds the webhook from the account as it stands and queues it in order with the account's other events; the account itself does not change. Income, creditworthiness and the test webhook have their own requests.")
            .json_body::<SandboxWebhookIn>()
            .link("event", "getEvent", &[("id", "$response.body#/data/event_id")])
            .returns::<Success<TestEventOut>>(200, "The queued event's id."),
        Operation::get("/passbook/v1/sandbox/clock", sandbox::clock)
            .named("Passbook", "getSandboxClock", "The app's sandbox clock (sandbox mode)")
            .returns::<Success<SandboxClockOut>>(200, "The clock."),
        Operation::post("/passbook/v1/sandbox/clock", sandbox::advance_clock)
            .named("Passbook", "advanceSandboxClock", "Move the app's sandbox clock ahead (sandbox mode)")
            .describe("By `days`, or `to` a date. Every linked account of the app is refreshed once per refresh interval crossed, in order, before the answer: new days of history arrive, card payments post or are reversed, scenario logins fail as they would (re-authorisation after its window, `user_outage`'s bank on its down days), and each refresh sends its webhooks as a scheduled one does. The clock never goes back.")
            .json_body::<SandboxClockIn>()
            .returns::<Success<SandboxClockOut>>(200, "Where the clock is now, and the refreshes run."),
        Operation::get("/passbook/v1/accounts/{id}/transactions/sync", sync::sync)
            .named("Passbook", "syncTransactions", "The account's transaction changes since a cursor")
            .describe("A feed of every change to the account's transactions, in order: records added (posted, or pending), pending records that posted or changed (`modified`, same id), and pending records reversed (`removed`). Apply a page (`added`, then `modified`, then `removed`), store `next_cursor`, and call again while `has_more`. Each change comes once; a lost cursor is recovered by starting again without one, which replays the feed from the account's first record and ends in the same state. `passbook.events.sync_updates_available` says when a refresh left new changes. Mono's endpoints list posted records only, as before.")
            .link("next", "syncTransactions", &[("id", "$request.path.id"), ("cursor", "$response.body#/data/next_cursor")])
            .query::<SyncQuery>()
            .returns::<Success<SyncOut>>(200, "A page of changes."),
        Operation::get("/passbook/v1/settings", events::get_settings)
            .named("Passbook", "getSettings", "How often accounts are refreshed")
            .returns::<Success<SettingsOut>>(200, "The settings."),
        Operation::put("/passbook/v1/settings", events::put_settings)
            .named("Passbook", "putSettings", "Set how often accounts are refreshed")
            .json_body::<SettingsIn>()
            .returns::<Success<SettingsOut>>(200, "The settings."),
    ]
}

fn operations_endpoints() -> Vec<Operation> {
    vec![
        Operation::get("/healthz", health::healthz)
            .named("Operations", "healthz", "The process answers")
            .public()
            .returns::<HealthOut>(200, "`{\"status\":\"ok\"}`"),
        Operation::get("/readyz", health::readyz)
            .named("Operations", "readyz", "The database answers and its migrations are current (503 otherwise)")
            .public()
            .returns::<HealthOut>(200, "`{\"status\":\"ready\"}`"),
        Operation::get("/metrics", metrics)
            .named("Operations", "metrics", "Prometheus metrics (sandbox mode, or with `--metrics true`)")
            .public()
            .returns_other("text/plain", "Prometheus text."),
        Operation::get("/openapi.json", health::openapi_document)
            .named("Operations", "openapi", "This document")
            .public()
            .returns::<serde_json::Value>(200, "The OpenAPI 3.1 document."),
    ]
}

/// The file part of the statement forms: any non-empty bytes.
fn statement_file() -> serde_json::Value {
    json!({"type": "string", "contentMediaType": "application/octet-stream", "minLength": 1, "description": "The statement file."})
}

/// The form fields of `POST /passbook/v1/statements/verify`.
fn verify_form() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["statement"],
        "additionalProperties": false,
        "properties": {
            "statement": statement_file(),
            "password": {"type": "string", "description": "The file's password, when it has one"}
        }
    })
}

/// The form fields of `POST /passbook/v1/statements`.
fn import_form() -> serde_json::Value {
    let text = |description: &str| json!({"type": "string", "description": description});
    json!({
        "type": "object",
        "required": ["statement"],
        "additionalProperties": false,
        "properties": {
            "statement": statement_file(),
            "password": text("The file's password, if it has one."),
            "customer": text("JSON: `{\"id\"}` or `{\"name\", \"email\"}`."),
            "customer_id": text("Instead of `customer`."),
            "customer_name": text("Instead of `customer`."),
            "customer_email": text("Instead of `customer`."),
            "institution": text("The institution's id, when the file does not say."),
            "reference": text("Your reference, sent back in webhooks."),
            "account": text("An account to renew with a newer statement (instead of a customer)."),
        },
    })
}

/// `meta` of a list endpoint: `link(n)` is the absolute URL of page `n`.
fn list_meta(
    page: &passbook_domain::model::PageRequest,
    total: u64,
    link: impl Fn(u64) -> String,
) -> passbook_types::ListMeta {
    let pages = total.div_ceil(page.limit.unwrap_or(1).max(1));
    passbook_types::ListMeta {
        total,
        pages,
        previous: (page.page > 1).then(|| link(page.page - 1)),
        next: (page.page < pages).then(|| link(page.page + 1)),
    }
}

/// The success envelope with Mono's message for the endpoint.
fn success<T, M>(state: &AppState, message: &str, data: T) -> passbook_types::Success<T, M> {
    passbook_types::Success::new(message, state.passbook.now().to_iso(), data)
}

/// `GET /metrics`: Prometheus text.
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> crate::error::ApiResult<impl axum::response::IntoResponse> {
    let text = state.passbook.render_metrics().await?;
    Ok(([("content-type", "text/plain; version=0.0.4; charset=utf-8")], text))
}
