//! `passbook serve` and `passbook worker`: their options and the running server.
use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;

use super::DbArgs;
use crate::Config;

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
    /// New link sessions and login or code attempts one address may make per minute (browsers
    /// and public keys).
    #[arg(long, env = "PASSBOOK_LINK_ACTIONS_PER_ADDRESS", default_value_t = 60)]
    pub link_actions_per_address: u32,
    /// New link sessions and login or code attempts one secret key may make per minute (the
    /// Partners API, called from an integrator's backend for all its users).
    #[arg(long, env = "PASSBOOK_LINK_ACTIONS_PER_KEY", default_value_t = 3000)]
    pub link_actions_per_key: u32,
    /// Failed console logins one address may make against one operator in 15 minutes (that
    /// operator still logs in from elsewhere).
    #[arg(long, env = "PASSBOOK_CONSOLE_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", default_value_t = 5)]
    pub console_login_failures_per_account_and_address: u64,
    /// Failed console logins against one operator in 15 minutes, from all addresses.
    #[arg(long, env = "PASSBOOK_CONSOLE_LOGIN_FAILURES_PER_ACCOUNT", default_value_t = 50)]
    pub console_login_failures_per_account: u64,
    /// Failed console logins from one address in 15 minutes, whatever the operator.
    #[arg(long, env = "PASSBOOK_CONSOLE_LOGIN_FAILURES_PER_ADDRESS", default_value_t = 20)]
    pub console_login_failures_per_address: u64,
    /// Proxies (addresses or networks, comma-separated: `10.0.0.0/8,::1`) whose
    /// `X-Forwarded-For` names the client; per-address limits then count by the client.
    #[arg(long, env = "PASSBOOK_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<passbook_server::IpNet>,
    /// Widget sessions one public key may open per minute.
    #[arg(long, env = "PASSBOOK_WIDGET_SESSIONS_PER_KEY", default_value_t = 600)]
    pub widget_sessions_per_key: u32,
    /// Of the public-key limits, what each address uses per minute before drawing on the key's
    /// shared budget (so strangers draining it cannot lock an app's users out); 0: all shared.
    #[arg(long, env = "PASSBOOK_PUBLIC_KEY_SHARE_PER_ADDRESS", default_value_t = 10)]
    pub public_key_share_per_address: u32,
    /// Open connections at once; at the cap the connection idle longest is closed to make room
    /// (a newcomer is refused only when every connection has a request in progress).
    #[arg(long, env = "PASSBOOK_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Open connections from one client address at once (trusted proxies are not held to it);
    /// 0: no per-address cap.
    #[arg(long, env = "PASSBOOK_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 256)]
    pub max_connections_per_address: usize,
    /// Seconds a client has to send a request's headers, and a kept-alive connection may idle.
    #[arg(long, env = "PASSBOOK_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Answers of a megabyte or more (a busy account's unpaginated transactions) one key may
    /// have being written at once; more are answered 429 (0: no cap).
    #[arg(long, env = "PASSBOOK_LARGE_ANSWERS_PER_KEY", default_value_t = 4)]
    pub large_answers_per_key: usize,
    /// Seconds writing an answer may wait for a client that reads none of it before its
    /// connection is closed (a slow reader cannot hold a large answer in memory for long).
    #[arg(long, env = "PASSBOOK_WRITE_TIMEOUT_SECS", default_value_t = 30)]
    pub write_timeout_secs: u64,
    /// Seconds one request may take before it is answered 408.
    #[arg(long, env = "PASSBOOK_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Seconds shutdown waits for requests in flight.
    #[arg(long, env = "PASSBOOK_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// Background jobs (PDF statements) one app may have waiting before more are refused (429).
    #[arg(long, env = "PASSBOOK_MAX_PENDING_JOBS_PER_APP", default_value_t = 100)]
    pub max_pending_jobs_per_app: u64,
    /// Hours built statement PDFs and finished jobs are kept; then the PDF answers 410 and the
    /// job 404 (what a PDF costs the database is given back).
    #[arg(long, env = "PASSBOOK_RETENTION_HOURS", default_value_t = 72)]
    pub retention_hours: u64,
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
                public_key_share_per_address: self.public_key_share_per_address,
                link_actions_per_key: self.link_actions_per_key,
            },
            trusted_proxies: self.trusted_proxies.clone(),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            metrics: self.metrics.unwrap_or(sandbox),
            console: self.console,
            max_upload_bytes: self.max_upload_mb * 1024 * 1024,
            answer_cache_bytes: self.answer_cache_mb * 1024 * 1024,
            large_answers_per_key: self.large_answers_per_key,
        };
        config.keep_statement_files = self.keep_statement_files;
        config.console_logins = passbook_domain::services::console::LoginLimits {
            per_account_and_address: self.console_login_failures_per_account_and_address,
            per_account: self.console_login_failures_per_account,
            per_address: self.console_login_failures_per_address,
        };
        config.statement_readers = passbook_domain::services::ReaderLimits {
            threads: self.statement_readers,
            queue_per_app: self.statement_queue_per_app,
            deadline: Duration::from_secs(self.statement_read_secs),
        };
        config.connections = passbook_server::ConnectionLimits {
            max_connections: self.max_connections,
            max_connections_per_address: self.max_connections_per_address,
            proxies: self.trusted_proxies.clone(),
            header_read_timeout: Duration::from_secs(self.header_timeout_secs),
            write_timeout: Duration::from_secs(self.write_timeout_secs),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
        };
        config.max_pending_jobs_per_app = self.max_pending_jobs_per_app;
        config.retention = Duration::from_secs(self.retention_hours * 3600);
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
    #[command(flatten)]
    pub connectors: super::connectors::ConnectorArgs,
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
        self.connectors.apply(config)?;
        Ok(())
    }
}

pub(super) async fn worker(db: DbArgs, no_migrate: bool, workers: WorkerArgs) -> anyhow::Result<()> {
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

pub(super) async fn serve(args: ServeArgs) -> anyhow::Result<()> {
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
        super::apps::print_app_text(created);
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
