//! `passbook apps`: creating and listing apps, and their webhook URLs.
use clap::Subcommand;
use passbook_domain::model::{App, AppId, CreatedApp};
use serde_json::json;

use super::DbArgs;
use crate::app;

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// Create an app and print its keys (the secret key is shown only once).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        webhook_url: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List apps (secret keys are stored only as hashes and cannot be shown).
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// How often an app's accounts are refreshed: 24, 12 or 6 hours.
    SetRefresh {
        app_id: AppId,
        hours: u32,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set or clear an app's webhook URL.
    SetWebhook {
        app_id: AppId,
        /// The URL; omit to clear it.
        url: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub(super) async fn apps(command: AppsCommand) -> anyhow::Result<()> {
    match command {
        AppsCommand::Create { name, webhook_url, json, db } => {
            let passbook = app::build(&db.config(), String::new()).await?;
            let created = passbook.create_app(&name, webhook_url.as_deref()).await?;
            if json {
                println!("{}", app_json(&created.app, Some(&created.secret_key)));
            } else {
                print_app_text(&created);
            }
        }
        AppsCommand::List { json, db } => {
            let passbook = app::build(&db.config(), String::new()).await?;
            let apps = passbook.list_apps().await?;
            if json {
                let list: Vec<_> = apps.iter().map(|a| app_json(a, None)).collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for a in apps {
                    println!(
                        "{}  {:<24} {}…  {}  webhook: {}",
                        a.id,
                        a.name,
                        a.secret_key_hint,
                        a.public_key,
                        a.webhook_url.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        AppsCommand::SetRefresh { app_id, hours, db } => {
            let passbook = app::build(&db.config(), String::new()).await?;
            passbook.set_refresh_interval(&app_id, hours, "cli").await?;
            println!("accounts of {app_id} refresh every {hours} hours");
        }
        AppsCommand::SetWebhook { app_id, url, db } => {
            let passbook = app::build(&db.config(), String::new()).await?;
            passbook.set_webhook_url(&app_id, url.as_deref(), "cli").await?;
            println!("webhook URL of {app_id}: {}", url.as_deref().unwrap_or("(none)"));
        }
    }
    Ok(())
}

fn app_json(app: &App, secret_key: Option<&str>) -> serde_json::Value {
    let mut value = json!({
        "id": app.id,
        "name": app.name,
        "public_key": app.public_key,
        "webhook_url": app.webhook_url,
        "webhook_secret": app.webhook_secret,
        "created_at": app.created_at.to_iso(),
    });
    match secret_key {
        Some(key) => value["secret_key"] = json!(key),
        None => value["secret_key_hint"] = json!(format!("{}…", app.secret_key_hint)),
    }
    value
}

pub(super) fn print_app_text(created: &CreatedApp) {
    let app = &created.app;
    println!("  app:            {} ({})", app.name, app.id);
    println!("  secret key:     {}", created.secret_key);
    println!("  public key:     {}", app.public_key);
    println!("  webhook secret: {}", app.webhook_secret);
    println!(
        "  webhook URL:    {}",
        app.webhook_url.as_deref().unwrap_or("(none; set one with `passbook apps set-webhook <app id> <url>`)")
    );
}
