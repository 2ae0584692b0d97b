//! `passbook events` and `passbook webhook`: an app's webhook events and endpoint.
use clap::Subcommand;
use passbook_domain::model::EventId;
use passbook_domain::services::{EventHistory, EventsPage, RotatedSecret};
use passbook_types::passbook::{EventsQuery, ReplayRequest};
use serde_json::json;

use super::{AppArgs, app_context};

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// List events, newest first.
    List {
        /// pending, delivered or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        event: Option<String>,
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        page: Option<String>,
        #[command(flatten)]
        app: AppArgs,
    },
    /// One event with its delivery attempts, as JSON.
    Show {
        event_id: String,
        #[command(flatten)]
        app: AppArgs,
    },
    /// Deliver one event again, or every matching event with the filters (status defaults to failed).
    Replay {
        event_id: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[command(flatten)]
        app: AppArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Show the webhook URL.
    Get {
        #[command(flatten)]
        app: AppArgs,
    },
    /// Set the webhook URL (omit it to clear).
    Set {
        url: Option<String>,
        #[command(flatten)]
        app: AppArgs,
    },
    /// Send `mono.events.webhook_test` through the delivery pipeline.
    Test {
        #[command(flatten)]
        app: AppArgs,
    },
    /// Make a new webhook secret (printed once); the old one keeps signing for 24 hours.
    RotateSecret {
        #[command(flatten)]
        app: AppArgs,
    },
}

pub(super) async fn events(command: EventsCommand) -> anyhow::Result<()> {
    match command {
        EventsCommand::List { status, event, account, since, until, page, app } => {
            let (passbook, app) = app_context(&app).await?;
            let query = EventsQuery { status, event, account, since, until, page, limit: None };
            let EventsPage { events: found, request: page } = passbook.webhooks().events(&app, &query).await?;
            println!("{} events (page {})", found.total, page.page);
            for e in found.items {
                println!(
                    "{}  {:<9} {:<36} account {:<24} seq {:<3} attempts {}  {}{}",
                    e.created_at,
                    e.status.as_str(),
                    e.event,
                    e.account_id.as_deref().unwrap_or("-"),
                    e.sequence,
                    e.attempts,
                    e.id,
                    e.last_error.map(|err| format!("  ({err})")).unwrap_or_default()
                );
            }
        }
        EventsCommand::Show { event_id, app } => {
            let (passbook, app) = app_context(&app).await?;
            let EventHistory { event, attempts } = passbook.webhooks().event(&app, &EventId(event_id.clone())).await?;
            let attempts: Vec<_> = attempts
                .iter()
                .map(|a| {
                    json!({"attempted_at": a.attempted_at.to_iso(), "status_code": a.status_code,
                           "latency_ms": a.latency_ms, "error": a.error,
                           "next_attempt_at": a.next_attempt_at.map(|t| t.to_iso())})
                })
                .collect();
            let body = passbook_domain::webhook_payloads::body_with_sequence(&event.payload, event.sequence);
            let shown = json!({
                "id": event.id, "event": event.event, "status": event.status.as_str(), "attempts": event.attempts,
                "last_error": event.last_error, "payload": serde_json::from_str::<serde_json::Value>(&body)?,
                "delivery_attempts": attempts,
            });
            println!("{}", serde_json::to_string_pretty(&shown)?);
        }
        EventsCommand::Replay { event_id, status, since, until, app } => {
            let (passbook, app) = app_context(&app).await?;
            match event_id {
                Some(id) => {
                    passbook.webhooks().replay_event(&app, &EventId(id.clone()), "cli").await?;
                    println!("event {id} queued for delivery");
                }
                None => {
                    let req = ReplayRequest { status, since, until, ..ReplayRequest::default() };
                    let n = passbook.webhooks().replay_events(&app, &req, "cli").await?;
                    println!("{n} events queued for delivery");
                }
            }
        }
    }
    Ok(())
}

pub(super) async fn webhook(command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Get { app } => {
            let (_, app) = app_context(&app).await?;
            println!("{}", app.webhook_url.as_deref().unwrap_or("(none)"));
        }
        WebhookCommand::Set { url, app } => {
            let (passbook, app) = app_context(&app).await?;
            let app = passbook.webhooks().set_url(&app, url.as_deref(), "cli").await?;
            println!("webhook URL of {}: {}", app.id, app.webhook_url.as_deref().unwrap_or("(none)"));
        }
        WebhookCommand::Test { app } => {
            let (passbook, app) = app_context(&app).await?;
            let id = passbook.webhooks().send_test(&app, "cli").await?;
            println!("queued mono.events.webhook_test as event {id}; a running `passbook serve` delivers it");
        }
        WebhookCommand::RotateSecret { app } => {
            let (passbook, app) = app_context(&app).await?;
            let RotatedSecret { secret, previous_valid_until: until } =
                passbook.webhooks().rotate_secret(&app, "cli").await?;
            println!("new webhook secret (shown only now): {secret}\nthe previous secret keeps signing until {until}");
        }
    }
    Ok(())
}
