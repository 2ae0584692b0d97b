//! The `passbook` command line.
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use passbook_domain::model::{App, CreatedApp, EventId};
use passbook_domain::services::{EventHistory, EventsPage, RotatedSecret};
use passbook_types::passbook::{EventsQuery, ReplayRequest, SandboxClockIn};
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
    Serve(ServeArgs),
    /// Run only the background workers (data fetches, refreshes, webhook deliveries).
    Worker {
        #[command(flatten)]
        db: DbArgs,
        /// Do not apply migrations at start.
        #[arg(long)]
        no_migrate: bool,
        #[command(flatten)]
        workers: WorkerArgs,
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
    /// Link accounts from statement files, without a browser.
    Statements {
        #[command(subcommand)]
        command: StatementsCommand,
    },
    /// Print the API's OpenAPI 3.1 document (the same as `GET /openapi.json`).
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum StatementsCommand {
    /// Read a statement file (PDF, Excel, CSV, OFX, CAMT.053, MT940) and link its accounts for a
    /// customer; the app gets the same webhooks as for a link made on the page once a worker
    /// (`passbook serve` or `passbook worker`) fetches the accounts.
    Import(ImportArgs),
    /// Check whether a statement file is one this installation issued, unchanged (its Passbook
    /// signature), and what the file's own history shows; no server needed, only the master key.
    Verify {
        file: PathBuf,
        #[arg(long, env = "PASSBOOK_STATEMENT_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the public key that checks the statements this installation issues (the same as
    /// `GET /passbook/v1/statements/signing-key`), for lenders who do not run Passbook.
    SigningKey {
        #[command(flatten)]
        db: DbArgs,
    },
}

/// What `passbook statements import` takes.
#[derive(Debug, Args)]
pub struct ImportArgs {
    file: PathBuf,
    /// The file's password, if it has one.
    #[arg(long, env = "PASSBOOK_STATEMENT_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    #[arg(long)]
    customer_name: Option<String>,
    #[arg(long)]
    customer_email: Option<String>,
    /// An existing customer instead of name and e-mail.
    #[arg(long)]
    customer_id: Option<String>,
    /// The institution (an id from /v3/institutions); by default "another bank".
    #[arg(long)]
    institution: Option<String>,
    /// The account's currency (ISO 4217), for a file that does not state it.
    #[arg(long)]
    currency: Option<String>,
    /// Renew this account with a newer statement instead of linking new ones.
    #[arg(long)]
    account: Option<String>,
    #[arg(long)]
    reference: Option<String>,
    /// The largest file accepted, in megabytes.
    #[arg(long, default_value_t = 200)]
    max_mb: usize,
    #[command(flatten)]
    app: AppArgs,
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
    pub app_id: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

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
pub enum SandboxCommand {
    /// Show the app's sandbox clock.
    Clock {
        #[command(flatten)]
        app: AppArgs,
    },
    /// Move the app's sandbox clock ahead by `--days` or `--to` a date (YYYY-MM-DD), running the
    /// refreshes the days in between bring; a running `passbook serve` delivers their webhooks.
    Advance {
        #[arg(long)]
        days: Option<i64>,
        #[arg(long)]
        to: Option<String>,
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
    /// Serve HTTP only; run `passbook worker` (or `serve`) elsewhere for the background work.
    #[arg(long)]
    pub no_workers: bool,
    /// Do not apply migrations at start (apply them with `passbook migrate`).
    #[arg(long)]
    pub no_migrate: bool,
    #[command(flatten)]
    pub workers: WorkerArgs,
    #[command(flatten)]
    pub http: HttpArgs,
}

/// Limits of the HTTP surface. Rates are per minute and per process; 0 switches one off.
#[derive(Debug, Args)]
pub struct HttpArgs {
    /// Requests one client address may make per minute.
    #[arg(long, env = "PASSBOOK_RATE_LIMIT_PER_ADDRESS", default_value_t = 6000)]
    pub rate_limit_per_address: u32,
    /// Requests one secret or public key may make per minute.
    #[arg(long, env = "PASSBOOK_RATE_LIMIT_PER_KEY", default_value_t = 6000)]
    pub rate_limit_per_key: u32,
    /// New link sessions and login or code attempts one address may make per minute.
    #[arg(long, env = "PASSBOOK_LINK_ACTIONS_PER_ADDRESS", default_value_t = 60)]
    pub link_actions_per_address: u32,
    /// Widget sessions one public key may open per minute.
    #[arg(long, env = "PASSBOOK_WIDGET_SESSIONS_PER_KEY", default_value_t = 600)]
    pub widget_sessions_per_key: u32,
    /// Open connections at once; more are closed when accepted.
    #[arg(long, env = "PASSBOOK_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers, and a kept-alive connection may idle.
    #[arg(long, env = "PASSBOOK_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds one request may take before it is answered 408.
    #[arg(long, env = "PASSBOOK_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Seconds shutdown waits for requests in flight.
    #[arg(long, env = "PASSBOOK_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// Background jobs (PDF statements) one app may have waiting before more are refused (429).
    #[arg(long, env = "PASSBOOK_MAX_PENDING_JOBS_PER_APP", default_value_t = 100)]
    pub max_pending_jobs_per_app: u64,
    /// Serve Prometheus metrics at /metrics [default: yes in sandbox mode, no in production].
    #[arg(long, env = "PASSBOOK_METRICS")]
    pub metrics: Option<bool>,
    /// Serve the operator console at /console (`false` to run a replica without it).
    #[arg(long, env = "PASSBOOK_CONSOLE", default_value_t = true, action = clap::ArgAction::Set)]
    pub console: bool,
    /// The largest statement file accepted, in megabytes (link pages and the import API).
    #[arg(long, env = "PASSBOOK_MAX_UPLOAD_MB", default_value_t = 20)]
    pub max_upload_mb: usize,
    /// Keep uploaded statement files (encrypted) after reading them; by default only what was
    /// read from them is kept.
    #[arg(long, env = "PASSBOOK_KEEP_STATEMENT_FILES", default_value_t = false)]
    pub keep_statement_files: bool,
    /// Threads that read statement files (at most this many files are read at once).
    #[arg(long, env = "PASSBOOK_STATEMENT_READERS", default_value_t = 2)]
    pub statement_readers: usize,
    /// Statement files one app may have being read or waiting before more are refused (429).
    #[arg(long, env = "PASSBOOK_STATEMENT_QUEUE_PER_APP", default_value_t = 4)]
    pub statement_queue_per_app: usize,
    /// How long reading one statement file may take, in seconds, before it is refused.
    #[arg(long, env = "PASSBOOK_STATEMENT_READ_SECS", default_value_t = 5)]
    pub statement_read_secs: u64,
    /// Memory for rendered account answers (details, balance, identity, transaction pages),
    /// kept by their ETag until a fetch changes them, in megabytes (0: none).
    #[arg(long, env = "PASSBOOK_ANSWER_CACHE_MB", default_value_t = 8)]
    pub answer_cache_mb: usize,
}

impl HttpArgs {
    fn apply(&self, config: &mut Config, sandbox: bool) {
        use std::time::Duration;
        config.http = passbook_server::HttpOptions {
            rate_limits: passbook_server::RateLimits {
                per_address: self.rate_limit_per_address,
                per_key: self.rate_limit_per_key,
                link_actions_per_address: self.link_actions_per_address,
                widget_sessions_per_key: self.widget_sessions_per_key,
            },
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            metrics: self.metrics.unwrap_or(sandbox),
            console: self.console,
            max_upload_bytes: self.max_upload_mb * 1024 * 1024,
            answer_cache_bytes: self.answer_cache_mb * 1024 * 1024,
        };
        config.keep_statement_files = self.keep_statement_files;
        config.statement_readers = passbook_domain::services::ReaderLimits {
            threads: self.statement_readers,
            queue_per_app: self.statement_queue_per_app,
            deadline: Duration::from_secs(self.statement_read_secs),
        };
        config.connections = passbook_server::ConnectionLimits {
            max_connections: self.max_connections,
            header_read_timeout: Duration::from_secs(self.header_timeout_secs),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
        };
        config.max_pending_jobs_per_app = self.max_pending_jobs_per_app;
    }
}

/// Settings of the background workers.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// `sandbox` (the default: webhooks may go to localhost) or `production` (they may not,
    /// unless --allow-private-webhooks).
    #[arg(long, env = "PASSBOOK_MODE", default_value = "sandbox", value_parser = ["sandbox", "production"])]
    pub mode: String,
    /// Deliver webhooks to private, loopback and link-local addresses [default: yes in
    /// sandbox mode, no in production mode].
    #[arg(long, env = "PASSBOOK_WEBHOOK_ALLOW_PRIVATE")]
    pub allow_private_webhooks: Option<bool>,
    /// Timeout of one webhook delivery attempt, in seconds.
    #[arg(long, env = "PASSBOOK_WEBHOOK_TIMEOUT_SECS", default_value_t = 10)]
    pub webhook_timeout_secs: u64,
    /// How long a worker holds a claimed webhook event before another may deliver it (it must
    /// exceed the timeout).
    #[arg(long, env = "PASSBOOK_WEBHOOK_LEASE_SECS", default_value_t = 60)]
    pub webhook_lease_secs: u64,
    /// Webhook deliveries in flight to one app at once, over all workers: how hard Passbook
    /// may press one receiver.
    #[arg(long, env = "PASSBOOK_WEBHOOK_CONCURRENCY_PER_APP", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub webhook_concurrency_per_app: u32,
    /// How long a worker holds a claimed background job before another may run it.
    #[arg(long, env = "PASSBOOK_JOB_LEASE_SECS", default_value_t = 120)]
    pub job_lease_secs: u64,
}

#[derive(Debug, Subcommand)]
pub enum OperatorsCommand {
    /// Create an operator. The password is read from standard input with --password-stdin;
    /// otherwise one is made and shown once.
    Create {
        #[arg(long)]
        email: String,
        /// owner, admin, developer or viewer.
        #[arg(long, default_value = "owner")]
        role: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List operators and their roles.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
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
    /// How often an app's accounts are refreshed: 24, 12 or 6 hours.
    SetRefresh {
        app_id: String,
        hours: u32,
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
        Command::Worker { db, no_migrate, workers } => worker(db, no_migrate, workers).await,
        Command::Migrate { db, no_lock } => {
            let mut config = db.config();
            config.migration_lock = !no_lock;
            app::build(&config, String::new()).await?;
            println!("migrations applied to {}", db.database_url);
            Ok(())
        }
        Command::Apps { command } => apps(command).await,
        Command::Events { command } => events(command).await,
        Command::Openapi => {
            println!("{}", passbook_server::openapi::pretty());
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
        Command::Webhook { command } => webhook(command).await,
        Command::Statements { command } => statements(command).await,
        Command::Sandbox { command } => sandbox(command).await,
        Command::Operators { command } => operators(command).await,
    }
}

async fn operators(command: OperatorsCommand) -> anyhow::Result<()> {
    match command {
        OperatorsCommand::Create { email, role, password_stdin, db } => {
            let passbook = app::build(&db.config(), String::new()).await?;
            let (password, made) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (passbook_domain::ids::random_alnum(20), true)
            };
            let operator = passbook.create_operator(&email, &password, &role).await?;
            println!("created {} operator {} ({})", operator.role.as_str(), operator.email, operator.id);
            if made {
                println!("password (shown only now): {password}");
            }
        }
        OperatorsCommand::List { db } => {
            let passbook = app::build(&db.config(), String::new()).await?;
            for operator in passbook.operators().await? {
                println!("{}  {:<9}  {}", operator.id, operator.role.as_str(), operator.email);
            }
        }
    }
    Ok(())
}

async fn sandbox(command: SandboxCommand) -> anyhow::Result<()> {
    let clock = match command {
        SandboxCommand::Clock { app } => {
            let (passbook, app) = app_context(&app).await?;
            passbook.sandbox_clock(&app).await?
        }
        SandboxCommand::Advance { days, to, app } => {
            let (passbook, app) = app_context(&app).await?;
            passbook.advance_sandbox_clock(&app, &SandboxClockIn { days, to }, "cli").await?
        }
    };
    println!(
        "sandbox time {} ({} days ahead); {} refreshes run, {} failed",
        clock.now, clock.days_ahead, clock.refreshes, clock.failed_refreshes
    );
    Ok(())
}

async fn statements(command: StatementsCommand) -> anyhow::Result<()> {
    match command {
        StatementsCommand::Verify { file, password, db } => verify_statement(&file, password.as_deref(), &db),
        StatementsCommand::SigningKey { db } => {
            let signer = crate::keys::load_vault(&db.config())?.statement_signer();
            println!(
                "key id      {}\nalgorithm   Ed25519\npublic key  {}",
                signer.key_id(),
                signer.public_key_base64()
            );
            Ok(())
        }
        StatementsCommand::Import(import) => import_statement(import).await,
    }
}

/// `passbook statements verify`: the signature and the file's evidence, judged as an import is.
fn verify_statement(file: &std::path::Path, password: Option<&str>, db: &DbArgs) -> anyhow::Result<()> {
    use passbook_domain::statement_file::StatementReader;
    use passbook_domain::statement_signature::SignatureCheck;
    let signer = crate::keys::load_vault(&db.config())?.statement_signer();
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let check = signer.check(&bytes);
    let reader = passbook_statements::FileReader { max_bytes: usize::MAX };
    let evidence = reader.read(&bytes, None, password).map(|f| f.evidence).unwrap_or_default();
    let integrity = passbook_domain::integrity::Integrity::of_file(evidence, &check);
    match &check {
        SignatureCheck::Intact(m) => println!(
            "signature   intact: issued by {} (key {}) for account {} at {}, {} to {}",
            m.issuer, m.key, m.account_number, m.institution, m.from, m.to
        ),
        SignatureCheck::Edited { why, .. } => println!("signature   EDITED: {why}"),
        SignatureCheck::OtherKey(m) => println!("signature   by another installation ({}, key {})", m.issuer, m.key),
        SignatureCheck::Unsigned => println!("signature   none"),
    }
    println!("verdict     {}", integrity.verdict.as_str());
    for signal in &integrity.signals {
        println!("  {:<26} {} ({})", signal.code, signal.explanation, signal.place);
    }
    Ok(())
}

async fn import_statement(command: ImportArgs) -> anyhow::Result<()> {
    let ImportArgs {
        file,
        password,
        customer_name,
        customer_email,
        customer_id,
        institution,
        currency,
        account,
        reference,
        max_mb,
        app,
    } = command;
    let mut config = app.db.config();
    config.http.max_upload_bytes = max_mb * 1024 * 1024;
    // The operator's own machine and file: a long read is theirs to wait for.
    config.statement_readers.deadline = std::time::Duration::from_secs(600);
    let passbook = app::build(&config, String::new()).await?;
    let found = passbook.find_app(app.app_id.as_deref()).await?;
    let bytes = read_with_progress(&file)?;
    eprintln!("reading the statement…");
    let customer = match (&account, customer_id, customer_name, customer_email) {
        (Some(_), ..) => None,
        (None, id, name, email) => {
            Some(passbook_domain::services::CustomerSpec::parse(Some(passbook_types::linking::CustomerIn {
                id,
                name,
                email,
            }))?)
        }
    };
    let request = passbook_domain::services::StatementImportRequest {
        customer,
        institution,
        account,
        reference,
        upload: passbook_domain::linking::StatementUpload {
            file: bytes,
            file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
            password,
            currency: passbook_domain::services::stated_currency(currency.as_deref())?,
        },
    };
    let imported = passbook.import_statement(&found, request).await?;
    for (account, preview) in imported.accounts.iter().zip(&imported.previews) {
        let currency = if account.currency.is_empty() { "(currency not stated)" } else { &account.currency };
        println!(
            "linked {}  {} {currency}  {} transactions  {}  ({})",
            account.id,
            account.account_number,
            preview.transactions,
            preview.reconciliation.as_str(),
            preview.format.as_str()
        );
    }
    let report = &imported.report;
    println!("{} transactions read; {} lines passed over", report.rows_read, report.skipped_total);
    for line in &report.skipped {
        println!("  skipped {}: {}  ({})", line.at, line.text, line.reason);
    }
    if report.skipped_total > report.skipped.len() {
        println!("  and {} more", report.skipped_total - report.skipped.len());
    }
    Ok(())
}

/// Reads the file in chunks, drawing a progress bar on stderr.
fn read_with_progress(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let total = file.metadata()?.len().max(1);
    let mut out = Vec::with_capacity(total as usize);
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&chunk[..n]);
        let done = out.len() as u64 * 30 / total;
        eprint!(
            "\rreading [{:<30}] {:>3}%  {:.1}/{:.1} MB",
            "#".repeat(done as usize),
            out.len() as u64 * 100 / total,
            out.len() as f64 / 1e6,
            total as f64 / 1e6
        );
    }
    eprintln!();
    Ok(out)
}

async fn app_context(args: &AppArgs) -> anyhow::Result<(passbook_domain::Passbook, App)> {
    let passbook = app::build(&args.db.config(), String::new()).await?;
    let app = passbook.find_app(args.app_id.as_deref()).await?;
    Ok((passbook, app))
}

async fn events(command: EventsCommand) -> anyhow::Result<()> {
    match command {
        EventsCommand::List { status, event, account, since, until, page, app } => {
            let (passbook, app) = app_context(&app).await?;
            let query = EventsQuery { status, event, account, since, until, page, limit: None };
            let EventsPage { events: found, request: page } = passbook.list_events(&app, &query).await?;
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
            let EventHistory { event, attempts } = passbook.event(&app, &EventId(event_id.clone())).await?;
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
                    passbook.replay_event(&app, &EventId(id.clone()), "cli").await?;
                    println!("event {id} queued for delivery");
                }
                None => {
                    let req = ReplayRequest { status, since, until, ..ReplayRequest::default() };
                    let n = passbook.replay_events(&app, &req, "cli").await?;
                    println!("{n} events queued for delivery");
                }
            }
        }
    }
    Ok(())
}

async fn webhook(command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Get { app } => {
            let (_, app) = app_context(&app).await?;
            println!("{}", app.webhook_url.as_deref().unwrap_or("(none)"));
        }
        WebhookCommand::Set { url, app } => {
            let (passbook, app) = app_context(&app).await?;
            let app = passbook.update_webhook_url(&app, url.as_deref(), "cli").await?;
            println!("webhook URL of {}: {}", app.id, app.webhook_url.as_deref().unwrap_or("(none)"));
        }
        WebhookCommand::Test { app } => {
            let (passbook, app) = app_context(&app).await?;
            let id = passbook.send_test_webhook(&app, "cli").await?;
            println!("queued mono.events.webhook_test as event {id}; a running `passbook serve` delivers it");
        }
        WebhookCommand::RotateSecret { app } => {
            let (passbook, app) = app_context(&app).await?;
            let RotatedSecret { secret, previous_valid_until: until } =
                passbook.rotate_webhook_secret(&app, "cli").await?;
            println!("new webhook secret (shown only now): {secret}\nthe previous secret keeps signing until {until}");
        }
    }
    Ok(())
}

impl WorkerArgs {
    fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        config.sandbox_mode = self.mode == "sandbox";
        config.allow_private_webhooks = self.allow_private_webhooks.unwrap_or(config.sandbox_mode);
        if self.webhook_lease_secs <= self.webhook_timeout_secs {
            anyhow::bail!("--webhook-lease-secs must be longer than --webhook-timeout-secs");
        }
        config.webhook_timeout = std::time::Duration::from_secs(self.webhook_timeout_secs);
        config.webhook_lease = std::time::Duration::from_secs(self.webhook_lease_secs);
        config.webhook_concurrency_per_app = self.webhook_concurrency_per_app;
        config.job_lease = std::time::Duration::from_secs(self.job_lease_secs);
        Ok(())
    }
}

async fn worker(db: DbArgs, no_migrate: bool, workers: WorkerArgs) -> anyhow::Result<()> {
    let mut config = db.config();
    config.migrate = !no_migrate;
    workers.apply(&mut config)?;
    let running = crate::app::start_workers(config).await?;
    println!("Passbook worker running (database {})", db.database_url);
    shutdown_signal().await;
    println!("Shutting down…");
    running.shutdown().await;
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = args.db.config();
    config.public_url = args.public_url;
    config.sandbox_webhook_url = args.webhook_url;
    config.workers = !args.no_workers;
    config.migrate = !args.no_migrate;
    args.workers.apply(&mut config)?;
    args.http.apply(&mut config, args.workers.mode == "sandbox");
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let server = crate::start(config, listener).await?;
    if let Some(created) = &server.created_sandbox_app {
        println!("Created the sandbox app. Its secret key is shown only now; keep it:\n");
        print_app_text(created);
        println!();
    }
    if let Some(link) = &server.console_setup_link {
        println!("No operator can use the console yet. Open this link once to make the first owner:\n\n  {link}\n");
    }
    println!("Passbook is listening on {} (database {})", server.public_url, args.db.database_url);
    if args.http.console {
        println!("Console: {}/console", server.public_url);
    }
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
