//! Passbook's own API (`/passbook/v1`): the webhook outbox, the endpoint and its secret,
//! statement imports, settings, the sandbox's controls and the transaction change feed.
use passbook_types::PageMeta;
use passbook_types::passbook::{
    EventOut, EventsQuery, ImportOut, ReplayOut, ReplayRequest, RotatedSecretOut, SandboxClockIn, SandboxClockOut,
    SandboxWebhookIn, SettingsIn, SettingsOut, SyncOut, SyncQuery, TestEventOut, WebhookIn, WebhookOut,
};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::{Client, Error, Page};

impl Client {
    /// `GET /passbook/v1/events`: the app's webhook events, newest first, filtered by `query`.
    pub async fn events(&self, query: &EventsQuery) -> Result<Page<EventOut, PageMeta>, Error> {
        let request = self.request(Method::GET, "/passbook/v1/events").query(query);
        self.page(request).await
    }

    /// `GET /passbook/v1/events/{id}`: one event with its delivery attempts.
    pub async fn event(&self, id: &str) -> Result<EventOut, Error> {
        self.get(&format!("/passbook/v1/events/{id}")).await
    }

    /// `POST /passbook/v1/events/{id}/replay`: sends the event again.
    pub async fn replay_event(&self, id: &str) -> Result<ReplayOut, Error> {
        self.post(&format!("/passbook/v1/events/{id}/replay"), &json!({})).await
    }

    /// `POST /passbook/v1/events/replay`: sends the events that match `request` again.
    pub async fn replay_events(&self, request: &ReplayRequest) -> Result<ReplayOut, Error> {
        self.post("/passbook/v1/events/replay", request).await
    }

    /// `GET /passbook/v1/webhook`.
    pub async fn webhook(&self) -> Result<WebhookOut, Error> {
        self.get("/passbook/v1/webhook").await
    }

    /// `PUT /passbook/v1/webhook`: where the app's webhooks go (`None` stops them).
    pub async fn set_webhook(&self, url: Option<&str>) -> Result<WebhookOut, Error> {
        let body = WebhookIn { url: url.map(str::to_string) };
        let request = self.request(Method::PUT, "/passbook/v1/webhook").json(&body);
        self.data(request).await
    }

    /// `POST /passbook/v1/webhook/test`: queues a `mono.events.webhook_test`.
    pub async fn send_test_webhook(&self) -> Result<TestEventOut, Error> {
        self.post("/passbook/v1/webhook/test", &json!({})).await
    }

    /// `POST /passbook/v1/webhook/secret/rotate`: a new signing secret (shown once); the old one
    /// keeps signing alongside for a while.
    pub async fn rotate_webhook_secret(&self) -> Result<RotatedSecretOut, Error> {
        self.post("/passbook/v1/webhook/secret/rotate", &json!({})).await
    }

    /// `POST /passbook/v1/statements`: links the accounts of a statement file (OFX, CAMT.053,
    /// MT940, CSV, XLSX or PDF) for a customer, given as `form` fields (`customer_name`,
    /// `customer_email`, or `customer_id`; `account` to renew one; `institution`, `password`).
    pub async fn import_statement(
        &self,
        file_name: &str,
        file: Vec<u8>,
        fields: &[(&str, &str)],
    ) -> Result<ImportOut, Error> {
        let mut form = Form::new().part("statement", Part::bytes(file).file_name(file_name.to_string()));
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        let request = self.request(Method::POST, "/passbook/v1/statements").multipart(form);
        self.data(request).await
    }

    /// `POST /passbook/v1/sandbox/webhooks`: a webhook about an account, sent now (sandbox mode).
    pub async fn send_sandbox_webhook(&self, request: &SandboxWebhookIn) -> Result<TestEventOut, Error> {
        self.post("/passbook/v1/sandbox/webhooks", request).await
    }

    /// `GET /passbook/v1/sandbox/clock`: the app's sandbox clock (sandbox mode).
    pub async fn sandbox_clock(&self) -> Result<SandboxClockOut, Error> {
        self.get("/passbook/v1/sandbox/clock").await
    }

    /// `POST /passbook/v1/sandbox/clock`: moves the app's sandbox clock ahead, running the
    /// refreshes the days in between bring.
    pub async fn advance_sandbox_clock(&self, request: &SandboxClockIn) -> Result<SandboxClockOut, Error> {
        self.post("/passbook/v1/sandbox/clock", request).await
    }

    /// `GET /passbook/v1/accounts/{id}/transactions/sync`: the account's transaction changes
    /// after `query.cursor`.
    pub async fn sync_transactions(&self, id: &str, query: &SyncQuery) -> Result<SyncOut, Error> {
        let request = self.request(Method::GET, &format!("/passbook/v1/accounts/{id}/transactions/sync")).query(query);
        self.data(request).await
    }

    /// `GET /passbook/v1/settings`.
    pub async fn settings(&self) -> Result<SettingsOut, Error> {
        self.get("/passbook/v1/settings").await
    }

    /// `PUT /passbook/v1/settings`: how often the app's accounts are refreshed (24, 12 or 6 h).
    pub async fn set_refresh_interval(&self, hours: u32) -> Result<SettingsOut, Error> {
        let request = self
            .request(Method::PUT, "/passbook/v1/settings")
            .json(&SettingsIn { refresh_interval_hours: Some(hours) });
        self.data(request).await
    }
}
