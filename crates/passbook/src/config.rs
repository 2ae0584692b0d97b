use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use passbook_domain::{Clock, SystemClock};
use passbook_institutions::{EnableBankingOptions, MonoOptions, SandboxOptions, SimpleFinOptions};
use passbook_store::DbOptions;

/// Everything a running server needs; built from flags and `PASSBOOK_*` variables by the CLI,
/// or directly by tests.
#[derive(Clone)]
pub struct Config {
    /// `sqlite://path/to/file.db` (created if missing).
    pub database_url: String,
    /// The base URL that links and pagination URLs are built on; defaults to
    /// `http://<listen address>`.
    pub public_url: Option<String>,
    /// Base64 of the 32-byte master key. When absent, the key is read from (or created in)
    /// `master_key_file`.
    pub master_key: Option<String>,
    pub master_key_file: Option<PathBuf>,
    /// Webhook URL of the sandbox app created on an empty database.
    pub sandbox_webhook_url: Option<String>,
    /// Run the background workers in this process.
    pub workers: bool,
    pub link_ttl: Duration,
    pub max_login_attempts: u32,
    /// Background jobs one app may have waiting before requests that queue more get `429`.
    pub max_pending_jobs_per_app: u64,
    /// How long built statement PDFs and finished jobs are kept.
    pub retention: Duration,
    pub webhook_timeout: Duration,
    /// Webhook deliveries in flight to one app at once, over all workers.
    pub webhook_concurrency_per_app: u32,
    /// Delay before each webhook attempt (see `passbook_workers::WEBHOOK_RETRY_SCHEDULE`).
    pub webhook_schedule: Vec<Duration>,
    /// Deliver webhooks to private, loopback and link-local addresses.
    pub allow_private_webhooks: bool,
    /// How long a worker holds a claimed webhook event / job before another may take it.
    pub webhook_lease: Duration,
    pub job_lease: Duration,
    pub sandbox: SandboxOptions,
    /// The SimpleFIN connector (US and Canadian banks through the user's bridge), when enabled.
    pub simplefin: Option<SimpleFinOptions>,
    /// Mono as the upstream (Nigerian banks through the operator's Mono keys), when set; the
    /// sandbox banks are then not offered (they share Mono's institution ids).
    pub mono: Option<MonoOptions>,
    /// Enable Banking (UK and EU banks by PSD2 consent), when set.
    pub enable_banking: Option<EnableBankingOptions>,
    /// How often the connectors' institution lists are read again.
    pub institutions_refresh: Duration,
    /// How often a process looks for connector settings another process saved.
    pub connector_settings_poll: Duration,
    /// Connectors a program embedding Passbook adds to the configured ones (its own bank's,
    /// a test's).
    pub connectors: Vec<Arc<dyn passbook_domain::Connector>>,
    pub clock: Arc<dyn Clock>,
    /// Connection pool size and statement timeout.
    pub db: DbOptions,
    /// Rate limits, request timeout, `/metrics`.
    pub http: passbook_server::HttpOptions,
    /// Connection cap, header and idle timeouts, shutdown grace.
    pub connections: passbook_server::ConnectionLimits,
    /// Apply pending migrations at start (`serve --no-migrate` leaves it to `passbook migrate`).
    pub migrate: bool,
    /// Migrate under PostgreSQL's advisory lock (off for engines that lack advisory locks).
    pub migration_lock: bool,
    /// Keep uploaded statement files (sealed) after reading them.
    pub keep_statement_files: bool,
    /// Failed console logins allowed (per account and address, per account, per address).
    pub console_logins: passbook_domain::services::console::LoginLimits,
    /// Reader threads, each app's queue, and how long one file may take to read.
    pub statement_readers: passbook_domain::services::ReaderLimits,
    /// `--mode sandbox` (the default): sandbox triggers are served.
    pub sandbox_mode: bool,
}

impl Config {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            public_url: None,
            master_key: None,
            master_key_file: None,
            sandbox_webhook_url: None,
            workers: true,
            link_ttl: Duration::from_secs(24 * 3600),
            max_login_attempts: 5,
            max_pending_jobs_per_app: 100,
            retention: Duration::from_secs(72 * 3600),
            webhook_timeout: Duration::from_secs(10),
            webhook_concurrency_per_app: 4,
            webhook_schedule: passbook_workers::WEBHOOK_RETRY_SCHEDULE.to_vec(),
            allow_private_webhooks: true,
            webhook_lease: Duration::from_secs(60),
            job_lease: passbook_workers::JOB_LEASE,
            sandbox: SandboxOptions::default(),
            simplefin: None,
            mono: None,
            enable_banking: None,
            institutions_refresh: Duration::from_secs(3600),
            connector_settings_poll: Duration::from_secs(5),
            connectors: Vec::new(),
            clock: Arc::new(SystemClock),
            db: DbOptions::default(),
            migrate: true,
            migration_lock: true,
            keep_statement_files: false,
            console_logins: Default::default(),
            statement_readers: Default::default(),
            sandbox_mode: true,
            http: passbook_server::HttpOptions::default(),
            connections: passbook_server::ConnectionLimits::default(),
        }
    }
}
