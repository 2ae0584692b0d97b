//! The app's view and control of its webhooks, as a service of its own
//! ([`Passbook::webhooks`]): settings, secret rotation, test events, the event log and replays.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use passbook_types::passbook::{EventsQuery, ReplayRequest};

use super::Passbook;
use super::queries::{parse_instant, parse_positive};
use crate::model::{App, EventFilter, EventHistory, EventId, EventStatus, Page, PageRequest, StoredEvent};
use crate::store::{AppStore, EventStore};
use crate::{Error, Result, ids, webhook_payloads};

/// How long the previous secret keeps signing after a rotation.
pub const SECRET_ROTATION_OVERLAP_MS: i64 = 24 * 60 * 60 * 1000;
const DEFAULT_EVENTS_LIMIT: u64 = 50;
const MAX_EVENTS_LIMIT: u64 = 200;

/// The webhooks service: the outbox's events through the [`EventStore`], the app's webhook
/// settings through the [`AppStore`], and nothing else of the store.
#[derive(Clone, Copy)]
pub struct Webhooks<'a> {
    passbook: &'a Passbook,
    events: &'a dyn EventStore,
    app_store: &'a dyn AppStore,
}

impl Passbook {
    /// The app's webhooks: settings, secret rotation, test events, the event log and replays.
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks { passbook: self, events: self.store.as_ref(), app_store: self.store.as_ref() }
    }
}

impl Webhooks<'_> {
    /// Sets or clears where the app's webhooks go; `actor` (`api`, `cli`, `operator:<id>`) goes in
    /// the audit log.
    pub async fn set_url(&self, app: &App, url: Option<&str>, actor: &str) -> Result<App> {
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        self.passbook.set_webhook_url(&app.id, url, actor).await?;
        self.app_store.app(&app.id).await?.ok_or_else(|| Error::not_found("app"))
    }

    /// A new webhook secret; the old one also signs deliveries for the overlap.
    pub async fn rotate_secret(&self, app: &App, actor: &str) -> Result<RotatedSecret> {
        let now = self.passbook.now();
        // The previous secret was promised its overlap; a second rotation would end it early.
        if let Some((_, until)) = &app.previous_webhook_secret
            && *until > now
        {
            return Err(Error::Conflict(format!(
                "The previous webhook secret still signs until {} (the last rotation's overlap); rotate again after then",
                until.to_iso()
            )));
        }
        let secret = new_webhook_secret();
        let until = now.plus_millis(SECRET_ROTATION_OVERLAP_MS);
        let audit = self.passbook.audit_entry(actor, &app.id, "webhook_secret_rotated", &app.id, "");
        let found = self.app_store.rotate_webhook_secret(&app.id, &secret, until, &audit).await?;
        self.passbook.apps.clear();
        if !found {
            return Err(Error::not_found("app"));
        }
        Ok(RotatedSecret { secret, previous_valid_until: until })
    }

    /// Queues `mono.events.webhook_test` through the normal delivery pipeline; `actor` goes in
    /// the audit log.
    pub async fn send_test(&self, app: &App, actor: &str) -> Result<EventId> {
        let event = webhook_payloads::webhook_test(&app.id, self.passbook.now());
        let audit = self.passbook.audit_entry(actor, &app.id, "webhook_test_sent", &event.id, "");
        self.events.insert_event(&event, Some(&audit)).await?;
        self.passbook.metrics.event_created(&event.event);
        self.passbook.wake_dispatcher();
        Ok(event.id)
    }

    pub async fn events(&self, app: &App, query: &EventsQuery) -> Result<EventsPage> {
        let filter = parse_event_filter(
            query.status.as_deref(),
            query.event.as_deref(),
            query.account.as_deref(),
            query.since.as_deref(),
            query.until.as_deref(),
        )?;
        let page = parse_positive("page", query.page.as_deref())?.unwrap_or(1);
        let limit = parse_positive("limit", query.limit.as_deref())?.unwrap_or(DEFAULT_EVENTS_LIMIT);
        if limit > MAX_EVENTS_LIMIT {
            return Err(Error::invalid("limit", format!("limit must be at most {MAX_EVENTS_LIMIT}")));
        }
        let page = PageRequest::new(page, Some(limit));
        Ok(EventsPage { events: self.events.list_events(&app.id, &filter, page.clone()).await?, request: page })
    }

    pub async fn event(&self, app: &App, id: &EventId) -> Result<EventHistory> {
        if !ids::is_event_id(id.as_str()) {
            return Err(Error::not_found(format!("No event with id '{id}' was found for this app")));
        }
        self.events
            .event(&app.id, id)
            .await?
            .ok_or_else(|| Error::not_found(format!("No event with id '{id}' was found for this app")))
    }

    /// Delivers one event again (same `event_id`), with a fresh retry schedule.
    pub async fn replay_event(&self, app: &App, id: &EventId, actor: &str) -> Result<()> {
        let EventHistory { event, .. } = self.event(app, id).await?;
        if event.status == EventStatus::Pending {
            return Err(Error::Conflict(format!("Event '{id}' is still pending delivery")));
        }
        let audit = self.passbook.audit_entry(actor, &app.id, "event_replayed", id.as_str(), "");
        let now = self.passbook.now();
        self.events.replay_events(&app.id, Some(id), &EventFilter::default(), now, Some(&audit)).await?;
        self.passbook.wake_dispatcher();
        Ok(())
    }

    /// Delivers again every matching event that is not pending; `status` defaults to failed.
    pub async fn replay_events(&self, app: &App, req: &ReplayRequest, actor: &str) -> Result<u64> {
        let mut filter = parse_event_filter(
            req.status.as_deref().or(Some("failed")),
            req.event.as_deref(),
            req.account.as_deref(),
            req.since.as_deref(),
            req.until.as_deref(),
        )?;
        if filter.status == Some(EventStatus::Pending) {
            return Err(Error::invalid(
                "status",
                "pending events are delivered already; replay failed or delivered ones",
            ));
        }
        filter.status = filter.status.or(Some(EventStatus::Failed));
        let detail = format!(
            "status {}, event {}, account {}, since {}, until {}",
            filter.status.map_or("failed", EventStatus::as_str),
            req.event.as_deref().unwrap_or("any"),
            req.account.as_deref().unwrap_or("any"),
            req.since.as_deref().unwrap_or("-"),
            req.until.as_deref().unwrap_or("-"),
        );
        let audit = self.passbook.audit_entry(actor, &app.id, "events_replayed", "", &detail);
        let count = self.events.replay_events(&app.id, None, &filter, self.passbook.now(), Some(&audit)).await?;
        self.passbook.wake_dispatcher();
        Ok(count)
    }
}

pub(crate) fn new_webhook_secret() -> String {
    format!("whsec_{}", STANDARD.encode(ids::random_bytes::<32>()))
}

fn parse_event_filter(
    status: Option<&str>,
    event: Option<&str>,
    account: Option<&str>,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<EventFilter> {
    // Query values are read as sent: a blank one is absent, anything else must be exact.
    let present = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_string);
    let status = match present(status) {
        None => None,
        Some(raw) => Some(EventStatus::parse(&raw).ok_or_else(|| {
            Error::invalid("status", format!("status must be pending, delivered or failed, got '{raw}'"))
        })?),
    };
    let since = present(since).map(|s| parse_instant("since", &s)).transpose()?;
    let until = present(until).map(|s| parse_instant("until", &s)).transpose()?;
    if let (Some(a), Some(b)) = (since, until)
        && a > b
    {
        return Err(Error::invalid("since", "since must not be after until"));
    }
    let text = |field: &str, value: Option<&str>| match present(value) {
        Some(v) if v.chars().any(char::is_control) => {
            Err(Error::invalid(field, format!("{field} must not contain control characters")))
        }
        other => Ok(other),
    };
    Ok(EventFilter { status, event: text("event", event)?, account: text("account", account)?, since, until })
}

/// A new webhook secret, and until when the previous one still signs.
pub struct RotatedSecret {
    pub secret: String,
    pub previous_valid_until: crate::Timestamp,
}

/// A page of an app's events, with the page asked for (for the paging links).
pub struct EventsPage {
    pub events: Page<StoredEvent>,
    pub request: PageRequest,
}
