//! The `passbook` command line: the arguments of every command, and `run`, which hands each to
//! its module.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use passbook_domain::model::{App, AppId};

use crate::{Config, app};

mod apps;
mod connector_settings;
mod connectors;
mod events;
mod operators;
mod sandbox;
mod serve;
mod statements;

pub use apps::AppsCommand;
pub use connector_settings::ConnectorsCommand;
pub use events::{EventsCommand, WebhookCommand};
pub use operators::OperatorsCommand;
pub use sandbox::SandboxCommand;
pub use serve::{HttpArgs, ServeArgs, WorkerArgs};
pub use statements::{ImportArgs, StatementsCommand};

#[derive(Debug, Parser)]
#[command(
    name = "passbook",
    version,
    about = "An open-source, Mono-compatible account-linking and financial-data server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log lines as `text` or `json` (one object a line, with the request's fields, for log
    /// collectors). The level comes from RUST_LOG (default
    /// `info,sqlx=warn,sqlx::postgres::notice=error`: behind a pooler, nested `BEGIN` notices
    /// are expected).
    #[arg(long, global = true, env = "PASSBOOK_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API, the hosted link pages and the background workers.
    Serve(Box<ServeArgs>),
    /// Run only the background workers (data fetches, refreshes, webhook deliveries).
    Worker {
        #[command(flatten)]
        db: DbArgs,
        /// Do not apply migrations at start.
        #[arg(long)]
        no_migrate: bool,
        #[command(flatten)]
        workers: Box<WorkerArgs>,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
        /// Without PostgreSQL's advisory lock, for engines that lack one (YugabyteDB, Citus
        /// with some settings); run it from one process only.
        #[arg(long)]
        no_lock: bool,
    },
    /// Manage apps (integrators' keys and webhook URLs).
    Apps {
        #[command(subcommand)]
        command: AppsCommand,
    },
    /// The master key that encrypts secrets and personal data.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Inspect and replay an app's webhook events.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// An app's webhook endpoint: URL, test event, secret rotation.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// The people who use the console at /console.
    Operators {
        #[command(subcommand)]
        command: OperatorsCommand,
    },
    /// The sandbox's clock: accounts that live through time.
    Sandbox {
        #[command(subcommand)]
        command: SandboxCommand,
    },
    /// Configure the live connectors (SimpleFIN, Mono, Enable Banking) without flags.
    Connectors {
        #[command(subcommand)]
        command: ConnectorsCommand,
    },
    /// Link accounts from statement files, without a browser.
    Statements {
        #[command(subcommand)]
        command: StatementsCommand,
    },
    /// Print the API's OpenAPI 3.1 document (the same as `GET /openapi.json`).
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random master key (base64 of 32 bytes).
    Generate,
    /// Re-encrypt the database under a new key. Stop every Passbook server on it first.
    Rotate {
        /// The new key (base64); by default a new random one.
        #[arg(long, env = "PASSBOOK_NEW_MASTER_KEY", hide_env_values = true)]
        new_key: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Which app a command is about; may be left out when there is only one.
#[derive(Debug, Args)]
pub struct AppArgs {
    #[arg(long = "app")]
    pub app_id: Option<AppId>,
    #[command(flatten)]
    pub db: DbArgs,
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
    /// Connections in this process's database pool.
    #[arg(long, env = "PASSBOOK_DB_MAX_CONNECTIONS", default_value_t = 8)]
    pub db_max_connections: u32,
    /// PostgreSQL: statements running longer than this many seconds are cancelled.
    #[arg(long, env = "PASSBOOK_DB_STATEMENT_TIMEOUT_SECS", default_value_t = 30)]
    pub db_statement_timeout_secs: u64,
    /// How long a request waits for a database connection before it is answered 503.
    #[arg(long, env = "PASSBOOK_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 3)]
    pub db_acquire_timeout_secs: u64,
    /// PostgreSQL: prepare statements under a name and reuse them (`false` behind pgbouncer in
    /// transaction mode before 1.21; run `passbook migrate` against the database directly).
    #[arg(long, env = "PASSBOOK_DB_PREPARED_STATEMENTS", default_value_t = true, action = clap::ArgAction::Set)]
    pub db_prepared_statements: bool,
}

impl DbArgs {
    fn config(&self) -> Config {
        let mut config = Config::new(&self.database_url);
        config.master_key_file = self.master_key_file.clone();
        config.master_key = self.master_key.clone();
        config.db = passbook_store::DbOptions {
            max_connections: self.db_max_connections,
            statement_timeout: std::time::Duration::from_secs(self.db_statement_timeout_secs),
            acquire_timeout: std::time::Duration::from_secs(self.db_acquire_timeout_secs),
            prepared_statements: self.db_prepared_statements,
        };
        config
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::serve(*args).await,
        Command::Worker { db, no_migrate, workers } => serve::worker(db, no_migrate, *workers).await,
        Command::Migrate { db, no_lock } => {
            let mut config = db.config();
            config.migration_lock = !no_lock;
            app::build(&config, String::new()).await?;
            println!("migrations applied to {}", db.database_url);
            Ok(())
        }
        Command::Apps { command } => apps::apps(command).await,
        Command::Events { command } => events::events(command).await,
        Command::Openapi => {
            println!("{}", passbook_server::openapi_pretty());
            Ok(())
        }
        Command::Keys { command: KeysCommand::Generate } => {
            println!("{}", passbook_domain::Vault::generate_key());
            Ok(())
        }
        Command::Keys { command: KeysCommand::Rotate { new_key, db } } => {
            let new_key = new_key.unwrap_or_else(passbook_domain::Vault::generate_key);
            println!("{}", crate::keys::rotate(&db.config(), &new_key).await?);
            Ok(())
        }
        Command::Webhook { command } => events::webhook(command).await,
        Command::Statements { command } => statements::statements(command).await,
        Command::Sandbox { command } => sandbox::sandbox(command).await,
        Command::Operators { command } => operators::operators(command).await,
        Command::Connectors { command } => connector_settings::connectors(command).await,
    }
}

async fn app_context(args: &AppArgs) -> anyhow::Result<(passbook_domain::Passbook, App)> {
    let passbook = app::build(&args.db.config(), String::new()).await?;
    let app = passbook.find_app(args.app_id.as_ref()).await?;
    Ok((passbook, app))
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
