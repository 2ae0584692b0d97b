//! The published contract against the real server: `/openapi.json` is the committed document,
//! `/docs` renders it, and real answers and webhooks of every kind fit their schemas. The answers
//! seen here are the document's examples (`crates/passbook-server/src/openapi/examples.json`);
//! write them again with `PASSBOOK_WRITE_OPENAPI_EXAMPLES=1 cargo test -p passbook --test it contract::`.
use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

const GTBANK: &str = "5f2d08be60b92e2888287702";
const RISEVEST: &str = "5f2d08d460b92e288828771a";
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../passbook-server/src/openapi/examples.json");

/// Real answers, by operation id, each checked against the document as it arrives.
struct Recorder<'a> {
    t: &'a TestApp,
    document: Value,
    seen: BTreeMap<String, Value>,
}

impl<'a> Recorder<'a> {
    fn new(t: &'a TestApp) -> Self {
        Self { t, document: passbook_server::openapi_document(), seen: BTreeMap::new() }
    }

    /// The operation's schema for `status`.
    fn answer_schema(&self, id: &str, status: u16) -> Value {
        let operation = self.document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|methods| methods.as_object().unwrap().values())
            .find(|op| op["operationId"] == id)
            .unwrap_or_else(|| panic!("no operation {id}"));
        operation["responses"][status.to_string()]["content"]["application/json"]["schema"].clone()
    }

    async fn call(
        &mut self,
        id: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Value {
        let mut request =
            self.t.http.request(method, format!("{}{path}", self.t.base)).header("mono-sec-key", self.t.key());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        self.keep(id, response).await
    }

    async fn keep(&mut self, id: &str, response: reqwest::Response) -> Value {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert!((200..300).contains(&status), "{id}: {status} {body}");
        let schema = self.answer_schema(id, status);
        assert!(!schema.is_null(), "{id}: the document has no {status} answer");
        if let Err(problem) = passbook_server::openapi::conforms(&self.document, &schema, &body) {
            panic!("{id}: the answer does not fit the document: {problem}\n{body:#}");
        }
        self.seen.entry(id.to_string()).or_insert_with(|| shortened(&body, &self.t.base));
        body
    }

    async fn get(&mut self, id: &str, path: &str) -> Value {
        self.call(id, Method::GET, path, None, &[]).await
    }

    async fn post(&mut self, id: &str, path: &str, body: Value) -> Value {
        self.call(id, Method::POST, path, Some(body), &[]).await
    }
}

/// Examples stay readable: lists keep their first two items, secrets are not published, and the
/// test server's address is the default one.
fn shortened(value: &Value, base: &str) -> Value {
    match value {
        Value::String(text) => json!(text.replace(base, "http://127.0.0.1:8080")),
        Value::Array(items) => Value::Array(items.iter().take(2).map(|v| shortened(v, base)).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("secret", Value::String(_)) => (k.clone(), json!("whsec_(shown once, here left out)")),
                    _ => (k.clone(), shortened(v, base)),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[tokio::test]
async fn the_server_serves_the_committed_document_and_its_page() {
    let t = TestApp::spawn().await;
    let served: Value = t.http.get(format!("{}/openapi.json", t.base)).send().await.unwrap().json().await.unwrap();
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json")).unwrap(),
    )
    .unwrap();
    assert!(served == committed, "GET /openapi.json differs from openapi.json");
    assert_eq!(served["openapi"], "3.1.0");

    let page = t.http.get(format!("{}/docs", t.base)).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.contains("default-src 'none'") && policy.contains("style-src 'self'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script"), "the page works without script");
    for (path, methods) in served["paths"].as_object().unwrap() {
        for op in methods.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            assert!(html.contains(&format!("id=\"op-{id}\"")), "/docs lacks {id} ({path})");
        }
    }
    assert!(html.contains("id=\"op-mono-events-account-connected\""), "webhooks are on the page");
    let css = t.http.get(format!("{}/docs/docs.css", t.base)).send().await.unwrap();
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
}

/// Walks every kind of answer and webhook a sandbox app meets, checks each against the document,
/// and keeps them as the document's examples.
#[tokio::test]
async fn real_answers_and_webhooks_fit_the_document() {
    let t = TestApp::spawn().await;
    let mut r = Recorder::new(&t);
    r.get("healthz", "/healthz").await;
    r.get("readyz", "/readyz").await;
    r.get("listInstitutions", "/v3/institutions?bank_code=058").await;
    r.get("sandboxLogins", "/v2/connect/sandbox").await;

    // Linking: the widget's code, the Partners API with a one-time code, and a renewal.
    let initiated = r
        .post(
            "initiateLink",
            "/v2/accounts/initiate",
            json!({"customer": {"name": "Ada Obi", "email": "ada@contract.ng"}, "meta": {"ref": "contract-1"},
                   "scope": "auth", "redirect_url": "https://app.example/linked"}),
        )
        .await;
    let customer = initiated["data"]["customer"].as_str().unwrap().to_string();
    let session = r
        .post(
            "createSession",
            "/v2/connect/session",
            json!({"institution": GTBANK, "auth_method": "internet_banking", "customer": {"id": customer}}),
        )
        .await;
    let token = session["data"]["session"]["id"].as_str().unwrap().to_string();
    let session_header = [("x-session-id", token.as_str())];
    let asked = r
        .call(
            "sessionLogin",
            Method::POST,
            "/v2/connect/login",
            Some(json!({"username": "user_mfa", "password": "123456"})),
            &session_header,
        )
        .await;
    assert_eq!(asked["responseCode"], 102, "{asked}");
    let linked = r
        .call("sessionCommit", Method::POST, "/v2/connect/commit", Some(json!({"otp": "123456"})), &session_header)
        .await;
    let exchanged = r.post("exchangeToken", "/v2/accounts/auth", json!({"code": linked["data"]["code"]})).await;
    let id = exchanged["id"].as_str().unwrap().to_string();
    t.wait_for_data(&id).await;
    r.post("reauthSession", "/v2/connect/reauth/session", json!({"account": id})).await;

    // The account's data.
    r.get("listAccounts", "/v2/accounts").await;
    let details =
        r.call("accountDetails", Method::GET, &format!("/v2/accounts/{id}"), None, &[("x-realtime", "true")]).await;
    assert_eq!(details["data"]["account"]["id"], id.as_str());
    let job = latest_job(&t, &id).await;
    r.get("accountJob", &format!("/v2/accounts/{id}/jobs/{job}")).await;
    r.get("accountBalance", &format!("/v2/accounts/{id}/balance")).await;
    r.get("accountIdentity", &format!("/v2/accounts/{id}/identity")).await;
    r.get("accountTransactions", &format!("/v2/accounts/{id}/transactions?limit=2")).await;
    r.get("accountStatement", &format!("/v2/accounts/{id}/statement?period=last1months")).await;
    let pdf = r.get("accountStatement", &format!("/v2/accounts/{id}/statement?period=last1months&output=pdf")).await;
    r.get("statementJob", &format!("/v2/accounts/{id}/statement/jobs/{}", pdf["data"]["id"].as_str().unwrap())).await;
    r.get("signedStatement", &format!("/passbook/v1/accounts/{id}/statement?period=last1months")).await;
    r.get("accountIncome", &format!("/v2/accounts/{id}/income")).await;
    t.receiver.wait_for("mono.events.account_income", 1).await;
    r.get("accountIncomeRecords", &format!("/v2/accounts/{id}/income-records")).await;
    let loan = json!({"bvn": "22300000965", "principal": 30_000_000, "interest_rate": 5, "term": 12,
                      "existing_loans": [{"tenor": 12, "institution": "FairMoney", "repayment_amount": 500_000, "opening_balance": 6_000_000}]});
    r.post("accountCreditworthiness", &format!("/v2/accounts/{id}/creditworthiness"), loan).await;
    t.receiver.wait_for("mono.events.account_credit_worthiness", 1).await;

    // An investment platform.
    let risevest = t.initiate("contract-2", json!({"institution": {"id": RISEVEST}})).await;
    t.open(risevest["mono_url"].as_str().unwrap()).await.login("user_good", "123456").await;
    let platform = connected_ids(&t.receiver, 2).await.remove(1);
    r.get("accountEarnings", &format!("/v2/accounts/{platform}/earnings")).await;
    r.get("accountAssets", &format!("/v2/accounts/{platform}/assets")).await;

    // A statement file.
    let (content_type, body) = multipart(
        &[("customer_name", "Chidi Eze"), ("customer_email", "chidi@contract.ng")],
        &[("statement", "statement.xml", &sample_statement("camt053/viafintech__valid_example_v4.xml"))],
    );
    let imported = t
        .http
        .post(format!("{}/passbook/v1/statements", t.base))
        .header("mono-sec-key", t.key())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    r.keep("importStatement", imported).await;
    // The same file for another customer: reused, so flagged (and the app told).
    let statement = sample_statement("camt053/viafintech__valid_example_v4.xml");
    let upload = |email: &str, path: &str| {
        let (content_type, body) = multipart(
            &[("customer_name", "Bola Ade"), ("customer_email", email)],
            &[("statement", "statement.xml", &statement)],
        );
        t.http
            .post(format!("{}{path}", t.base))
            .header("mono-sec-key", t.key())
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let reused = r.keep("importStatement", upload("bola@contract.ng", "/passbook/v1/statements").await.unwrap()).await;
    assert_eq!(reused["data"]["integrity"]["verdict"], "altered", "{reused}");
    t.receiver.wait_for("passbook.events.statement_flagged", 1).await;
    r.keep("verifyStatement", upload("", "/passbook/v1/statements/verify").await.unwrap()).await;
    r.get("statementSigningKey", "/passbook/v1/statements/signing-key").await;

    // Customers.
    let created = r
        .post(
            "createCustomer",
            "/v2/customers",
            json!({"email": "tolu@contract.ng", "first_name": "Tolu", "last_name": "Ade"}),
        )
        .await;
    let person = created["data"]["id"].as_str().unwrap().to_string();
    r.get("listCustomers", "/v2/customers").await;
    r.get("getCustomer", &format!("/v2/customers/{person}")).await;
    r.call(
        "updateCustomer",
        Method::PATCH,
        &format!("/v2/customers/{person}"),
        Some(json!({"address": "1 Marina, Lagos"})),
        &[],
    )
    .await;
    r.post("createSimpleFinToken", &format!("/passbook/v1/customers/{person}/simplefin"), json!({})).await;
    r.call("revokeSimpleFin", Method::DELETE, &format!("/passbook/v1/customers/{person}/simplefin"), None, &[]).await;
    r.call("deleteCustomer", Method::DELETE, &format!("/v2/customers/{person}"), None, &[]).await;

    // Passbook's own API.
    r.get("getSettings", "/passbook/v1/settings").await;
    r.call("putSettings", Method::PUT, "/passbook/v1/settings", Some(json!({"refresh_interval_hours": 12})), &[]).await;
    r.get("getWebhook", "/passbook/v1/webhook").await;
    r.call("putWebhook", Method::PUT, "/passbook/v1/webhook", Some(json!({"url": t.receiver.url})), &[]).await;
    let test = r.post("testWebhook", "/passbook/v1/webhook/test", json!({})).await;
    t.receiver.wait_for("mono.events.webhook_test", 1).await;
    r.get("listEvents", "/passbook/v1/events?limit=2").await;
    let event = test["data"]["event_id"].as_str().unwrap();
    // The receiver has the test event; its delivery is recorded a moment later.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while t.get(&format!("/passbook/v1/events/{event}")).await.1["data"]["status"] == "pending" {
        assert!(std::time::Instant::now() < deadline, "the test event's delivery was never recorded");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    r.get("getEvent", &format!("/passbook/v1/events/{event}")).await;
    r.post("replayEvent", &format!("/passbook/v1/events/{event}/replay"), json!({})).await;
    r.post(
        "replayEvents",
        "/passbook/v1/events/replay",
        json!({"status": "delivered", "event": "mono.events.webhook_test"}),
    )
    .await;
    r.post("rotateWebhookSecret", "/passbook/v1/webhook/secret/rotate", json!({})).await;
    let trigger = json!({"account": id, "event": "mono.events.account_updated", "sync_status": "SUCCESSFUL"});
    r.post("sendSandboxWebhook", "/passbook/v1/sandbox/webhooks", trigger).await;
    r.get("syncTransactions", &format!("/passbook/v1/accounts/{id}/transactions/sync?count=2")).await;
    r.get("getSandboxClock", "/passbook/v1/sandbox/clock").await;
    r.post("advanceSandboxClock", "/passbook/v1/sandbox/clock", json!({"days": 3})).await;
    t.receiver.wait_for("passbook.events.sync_updates_available", 1).await;
    r.post("unlinkAccount", &format!("/v2/accounts/{id}/unlink"), json!({})).await;
    t.receiver.wait_for("mono.events.account_unlinked", 1).await;

    // Every webhook that arrived fits its event's schema.
    let mut hooks = BTreeMap::new();
    for received in t.receiver.all() {
        let body = received.json();
        let event = received.event();
        let schema = &r.document["webhooks"][&event]["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert!(!schema.is_null(), "{event} is not in the document's webhooks");
        if let Err(problem) = passbook_server::openapi::conforms(&r.document, schema, &body) {
            panic!("{event}: the webhook does not fit the document: {problem}\n{body:#}");
        }
        hooks.entry(event).or_insert_with(|| shortened(&body, &t.base));
    }
    for event in [
        "account_connected",
        "account_updated",
        "account_reauthorized",
        "account_unlinked",
        "account_income",
        "account_credit_worthiness",
        "webhook_test",
    ] {
        assert!(hooks.contains_key(&format!("mono.events.{event}")), "no {event} webhook arrived");
    }
    assert!(hooks.contains_key("passbook.events.sync_updates_available"));
    assert!(hooks.contains_key("passbook.events.statement_flagged"));

    // An upstream's notification, at a Passbook in front of "Mono" (another Passbook).
    let (mono, fronting) = crate::mono_upstream::mono_and_passbook().await;
    let mut front = Recorder::new(&fronting);
    let update =
        json!({"event": "mono.events.account_updated", "data": {"account": {"_id": "65c4c03aa66a95b572cb5a86"}}});
    let secret = [("mono-webhook-secret", mono.app.app.webhook_secret.as_str())];
    front
        .call(
            "connectorNotification",
            Method::POST,
            "/passbook/v1/connectors/mono/notifications",
            Some(update),
            &secret,
        )
        .await;
    r.seen.extend(front.seen);

    let examples = json!({"operations": r.seen, "webhooks": hooks});
    if std::env::var_os("PASSBOOK_WRITE_OPENAPI_EXAMPLES").is_some() {
        std::fs::write(EXAMPLES, format!("{}\n", serde_json::to_string_pretty(&examples).unwrap())).unwrap();
    }
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(EXAMPLES).unwrap()).unwrap();
    for part in ["operations", "webhooks"] {
        let keys = |v: &Value| v[part].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&committed), keys(&examples), "the document's examples cover other {part} than this walk");
    }
}

/// The newest real-time job of an account, from `mono.accounts.jobs.update`.
async fn latest_job(t: &TestApp, id: &str) -> String {
    let update = t.receiver.wait_for("mono.accounts.jobs.update", 1).await.pop().unwrap().json();
    assert_eq!(update["data"]["account"], id);
    update["data"]["id"].as_str().unwrap().to_string()
}
