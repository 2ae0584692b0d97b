//! Assembles and runs the server: store, connectors, domain, HTTP and workers.
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use passbook_domain::connector_setup::Configurator;
use passbook_domain::model::CreatedApp;
use passbook_domain::services::{Parts, Settings};
use passbook_domain::store::ConsoleStore;
use passbook_domain::{Institutions, Passbook};
use passbook_store::SqlStore;
use passbook_workers::DispatcherOptions;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{Config, keys};

/// Opens the database (applying migrations) and builds the domain services.
pub async fn build(config: &Config, public_url: String) -> anyhow::Result<Passbook> {
    let vault = keys::load_vault(config)?;
    let signer = vault.statement_signer();
    let store = SqlStore::connect(&config.database_url, vault, &config.db)
        .await
        .with_context(|| format!("opening the database {}", config.database_url))?;
    if config.migrate {
        store.migrate(config.migration_lock).await.context("applying database migrations")?;
    }
    let store = Arc::new(store);
    let saved = store.connector_settings().await.context("reading the connectors' saved settings")?;
    let assembly = Arc::new(crate::connectors::Assembly::new(config, &public_url, store.clone()));
    let (configurator, connectors) = Configurator::start(assembly, &saved).await.map_err(anyhow::Error::msg)?;
    let passbook = Passbook::new(Parts {
        institutions: Arc::new(Institutions::new(connectors)),
        configurator: Arc::new(configurator),
        store,
        statements: Arc::new(passbook_statements::FileReader { max_bytes: config.http.max_upload_bytes }),
        readers: Arc::new(passbook_domain::services::ReaderPool::new(config.statement_readers)),
        clock: config.clock.clone(),
        settings: Settings {
            public_url: public_url.trim_end_matches('/').to_string(),
            link_ttl_ms: passbook_domain::numbers::millis(config.link_ttl),
            max_login_attempts: config.max_login_attempts,
            max_pending_jobs_per_app: config.max_pending_jobs_per_app,
            allow_private_webhooks: config.allow_private_webhooks,
            keep_statement_files: config.keep_statement_files,
            console_logins: config.console_logins,
            sandbox: config.sandbox_mode,
            retention_ms: passbook_domain::numbers::millis(config.retention),
        },
        signer,
    });
    // Decrypting every app checks that the master key matches this database.
    if let Err(err) = passbook.list_apps().await {
        let hint = match passbook_store::StoreError::is_key_mismatch(&err) {
            true => "reading the apps; is this the master key this database was created with?",
            false => "reading the apps from the database",
        };
        return Err(anyhow::Error::new(err).context(hint));
    }
    Ok(passbook)
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub public_url: String,
    pub passbook: Passbook,
    /// The sandbox app, when this start created it (its secret key is shown only now).
    pub created_sandbox_app: Option<CreatedApp>,
    /// On a database without operators: the one-time link that makes the console's first owner.
    pub console_setup_link: Option<String>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// How long shutdown waits for requests and workers before stopping them.
    grace: std::time::Duration,
}

impl Server {
    /// Stops accepting requests, lets requests and workers finish what they hold within the
    /// grace period, then stops what is left: whatever the database does, shutdown takes no
    /// longer than the grace. Nothing is lost: a job or a delivery cut off is leased, and its
    /// lease runs out and it runs again.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let deadline = tokio::time::Instant::now() + self.grace + std::time::Duration::from_millis(500);
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout_at(deadline, task).await.is_err() {
                tracing::warn!("a worker was still busy at the end of the shutdown grace; stopped");
                abort.abort();
            }
        }
    }
}

/// Starts only the background workers (`passbook worker`).
pub async fn start_workers(config: Config) -> anyhow::Result<Server> {
    let passbook = build(&config, config.public_url.clone().unwrap_or_default()).await?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut tasks =
        passbook_workers::spawn(passbook.clone(), dispatcher_options(&config), config.job_lease, shutdown_rx.clone());
    tasks.push(crate::memory::give_back_freed_memory(shutdown_rx.clone()));
    tasks.push(passbook_workers::refresh_institutions(
        passbook.clone(),
        config.institutions_refresh,
        shutdown_rx.clone(),
    ));
    tasks.push(passbook_workers::follow_connector_settings(
        passbook.clone(),
        config.connector_settings_poll,
        shutdown_rx,
    ));
    let addr = SocketAddr::from(([0, 0, 0, 0], 0));
    Ok(Server {
        addr,
        public_url: String::new(),
        passbook,
        created_sandbox_app: None,
        console_setup_link: None,
        shutdown,
        tasks,
        grace: config.connections.shutdown_grace,
    })
}

fn dispatcher_options(config: &Config) -> DispatcherOptions {
    DispatcherOptions {
        timeout: config.webhook_timeout,
        per_app: config.webhook_concurrency_per_app,
        schedule: config.webhook_schedule.clone(),
        allow_private: config.allow_private_webhooks,
        lease: config.webhook_lease,
        ..DispatcherOptions::default()
    }
}

/// Starts serving on `listener`: the API, the link pages and (if configured) the workers.
pub async fn start(config: Config, listener: TcpListener) -> anyhow::Result<Server> {
    let addr = listener.local_addr()?;
    let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let passbook = build(&config, public_url.clone()).await?;
    let created_sandbox_app =
        passbook.ensure_sandbox_app(config.sandbox_webhook_url.as_deref()).await.context("creating the sandbox app")?;
    let console_setup_link = match config.http.console {
        true => passbook
            .console()
            .setup_token_if_needed()
            .await
            .context("making the console's setup link")?
            .map(|token| format!("{public_url}/console/join/{token}")),
        false => None,
    };
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut tasks = vec![
        passbook_workers::refresh_institutions(passbook.clone(), config.institutions_refresh, shutdown_rx.clone()),
        passbook_workers::follow_connector_settings(
            passbook.clone(),
            config.connector_settings_poll,
            shutdown_rx.clone(),
        ),
        crate::memory::give_back_freed_memory(shutdown_rx.clone()),
    ];
    if config.workers {
        let options = dispatcher_options(&config);
        tasks.extend(passbook_workers::spawn(passbook.clone(), options, config.job_lease, shutdown_rx.clone()));
    }
    let router = passbook_server::router_with(passbook.clone(), &config.http);
    let connections = config.connections.clone();
    tasks.push(tokio::spawn(passbook_server::serve::serve(listener, router, connections, shutdown_rx)));
    let grace = config.connections.shutdown_grace;
    Ok(Server { addr, public_url, passbook, created_sandbox_app, console_setup_link, shutdown, tasks, grace })
}
