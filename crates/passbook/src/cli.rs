//! The `passbook` command line.
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use passbook_domain::model::{App, CreatedApp};
use serde_json::json;

use crate::{Config, app};

#[derive(Debug, Parser)]
#[command(
    name = "passbook",
    version,
    about = "An open-source, Mono-compatible account-linking and financial-data server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API, the hosted link pages and the background workers.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Manage apps (integrators' keys and webhook URLs).
    Apps {
        #[command(subcommand)]
        command: AppsCommand,
    },
}

#[derive(Debug, Args)]
pub struct DbArgs {
    /// Database URL; SQLite files are created if missing.
    #[arg(long, env = "PASSBOOK_DATABASE_URL", default_value = "sqlite://passbook.db")]
    pub database_url: String,
    /// File holding the base64 master key that encrypts secrets and personal data
    /// [default: the database path + ".key", created on first start].
    #[arg(long, env = "PASSBOOK_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// The master key itself (base64 of 32 bytes), instead of a file.
    #[arg(long, env = "PASSBOOK_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
}

impl DbArgs {
    fn config(&self) -> Config {
        let mut config = Config::new(&self.database_url);
        config.master_key_file = self.master_key_file.clone();
        config.master_key = self.master_key.clone();
        config
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "PASSBOOK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Public base URL (for links and pagination URLs) when behind a proxy.
    #[arg(long, env = "PASSBOOK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Webhook URL for the sandbox app created on an empty database.
    #[arg(long, env = "PASSBOOK_SANDBOX_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// Serve HTTP only; run `passbook serve` elsewhere for the background work.
    #[arg(long)]
    pub no_workers: bool,
}

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
    /// Set or clear an app's webhook URL.
    SetWebhook {
        app_id: String,
        /// The URL; omit to clear it.
        url: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(db) => {
            app::build(&db.config(), String::new()).await?;
            println!("migrations applied to {}", db.database_url);
            Ok(())
        }
        Command::Apps { command } => apps(command).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = args.db.config();
    config.public_url = args.public_url;
    config.sandbox_webhook_url = args.webhook_url;
    config.workers = !args.no_workers;
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let server = crate::start(config, listener).await?;
    if let Some(created) = &server.created_sandbox_app {
        println!("Created the sandbox app. Its secret key is shown only now; keep it:\n");
        print_app_text(created);
        println!();
    }
    println!("Passbook is listening on {} (database {})", server.public_url, args.db.database_url);
    shutdown_signal().await;
    println!("Shutting down…");
    server.shutdown().await;
    Ok(())
}

async fn apps(command: AppsCommand) -> anyhow::Result<()> {
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
        AppsCommand::SetWebhook { app_id, url, db } => {
            let passbook = app::build(&db.config(), String::new()).await?;
            passbook.set_webhook_url(&app_id, url.as_deref()).await?;
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

fn print_app_text(created: &CreatedApp) {
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

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
