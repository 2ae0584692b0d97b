//! The operations Passbook offers, one module per area. Handlers and workers call these;
//! these call the [`Store`] and the [`Connector`]s. The larger areas are services of their own,
//! each reached from [`Passbook`] and holding only its part of the store: [`Passbook::linking`],
//! [`Passbook::accounts`], [`Passbook::customers`], [`Passbook::statements`],
//! [`Passbook::webhooks`], [`Passbook::console`], and the workers' [`Outbox`] and [`JobQueue`].
mod accounts;
mod app_cache;
mod apps;
mod connector_settings;
pub mod console;
mod customers;
mod fetch;
mod idempotency;
mod initiate;
mod insights;
mod institutions;
mod investments;
mod link_flow;
mod link_view;
mod partners;
mod queries;
mod reader_pool;
mod sandbox;
mod sandbox_clock;
mod simplefin;
mod statement_uploads;
mod statements;
mod sync_feed;
mod upload_history;
mod upstream;
mod verification;
mod webhooks;
mod widget;
mod work_queues;

use std::sync::Arc;

pub use crate::model::EventHistory;
pub use accounts::Accounts;
pub use app_cache::{APP_CACHE_TTL, AppCache};
pub use apps::key_hint;
pub use connector_settings::ConnectorSetting;
pub use customers::Customers;
pub use fetch::JobResult;
pub use idempotency::{IDEMPOTENCY_TTL_MS, request_fingerprint};
pub use initiate::{CustomerSpec, InitiateLink, InitiatedLink};
pub use investments::AccountInvestments;
pub use link_flow::{Advanced, Linking};
pub use link_view::{LinkView, StepView};
pub use partners::PartnerSession;
pub use queries::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, parse_list_page, parse_transactions_query};
pub use reader_pool::{ReaderLimits, ReaderPool};
pub use simplefin::{SIMPLEFIN_TOKEN_TTL_MS, SharedAccount, SharedAccounts, SimpleFinQuery, SimpleFinToken};
pub use statement_uploads::{AccountSource, ImportedStatement, StatementImportRequest, stated_currency};
pub use statements::{Statement, StatementOutput, Statements, parse_statement_query};
pub use verification::Verification;
pub use webhooks::SECRET_ROTATION_OVERLAP_MS;
pub use webhooks::{EventsPage, RotatedSecret, Webhooks};
pub use work_queues::{JobQueue, Outbox};

use crate::{Clock, Institutions, Store};

/// Settings the domain needs from the operator's configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Absolute base URL that links and page URLs are built on, without a trailing slash.
    pub public_url: String,
    /// How long a link from `POST /v2/accounts/initiate` stays usable.
    pub link_ttl_ms: i64,
    /// Logins (and, separately, answers to the bank's questions) allowed in one link session
    /// before it is closed.
    pub max_login_attempts: u32,
    /// Background jobs one app may have waiting before requests that queue more are refused.
    pub max_pending_jobs_per_app: u64,
    /// Sandbox mode: webhook URLs may point at loopback and private addresses.
    pub allow_private_webhooks: bool,
    /// Keep uploaded statement files (sealed) after reading them; by default only what was read
    /// is kept.
    pub keep_statement_files: bool,
    /// Sandbox mode (the default): sandbox triggers such as on-demand webhooks are served.
    pub sandbox: bool,
    /// Failed console logins allowed per account and address, per account, and per address.
    pub console_logins: console::LoginLimits,
    /// How long built statement PDFs and finished jobs are kept.
    pub retention_ms: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            link_ttl_ms: 24 * 60 * 60 * 1000,
            max_login_attempts: 5,
            max_pending_jobs_per_app: 100,
            allow_private_webhooks: true,
            keep_statement_files: false,
            sandbox: true,
            console_logins: Default::default(),
            retention_ms: 72 * 60 * 60 * 1000,
        }
    }
}

/// How long readiness waits for the database before answering that it does not answer.
pub const READINESS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The domain services, shared by the HTTP layer and the workers: every operation Passbook
/// offers is a method of it or of one of its services (see the module's head). Built once by
/// the composition root from [`Parts`]; what it holds is reached only through its operations.
#[derive(Clone)]
pub struct Passbook {
    store: Arc<dyn Store>,
    institutions: Arc<Institutions>,
    /// Builds the connectors from flags and the operator's saved settings, again when those change.
    configurator: Arc<crate::connector_setup::Configurator>,
    /// The file way in: reads uploaded statements, on the reader pool's threads.
    statements: Arc<dyn crate::statement_file::StatementReader>,
    readers: Arc<ReaderPool>,
    clock: Arc<dyn Clock>,
    settings: Settings,
    /// Wakes the background workers when new work is written, so that they need not wait
    /// for their next poll.
    work: Arc<Wakeups>,
    metrics: Arc<crate::metrics::Metrics>,
    /// Apps by secret-key hash, for authentication.
    apps: Arc<AppCache>,
    /// Signs the statements this installation issues, and checks uploaded ones.
    signer: crate::statement_signature::Signer,
}

/// What the composition root (the `passbook` binary) builds the services from.
pub struct Parts {
    pub store: Arc<dyn Store>,
    pub institutions: Arc<Institutions>,
    pub configurator: Arc<crate::connector_setup::Configurator>,
    pub statements: Arc<dyn crate::statement_file::StatementReader>,
    pub readers: Arc<ReaderPool>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    pub signer: crate::statement_signature::Signer,
}

/// One signal per worker: a single shared one would wake whichever worker waits first, and
/// the other would sleep until its next poll.
#[derive(Debug, Default)]
pub struct Wakeups {
    /// Jobs were queued.
    pub jobs: tokio::sync::Notify,
    /// Webhook events were written or released.
    pub events: tokio::sync::Notify,
}

impl Passbook {
    pub fn new(parts: Parts) -> Self {
        let Parts { store, institutions, configurator, statements, readers, clock, settings, signer } = parts;
        Self {
            store,
            institutions,
            configurator,
            statements,
            readers,
            clock,
            settings,
            signer,
            work: Default::default(),
            metrics: Default::default(),
            apps: Default::default(),
        }
    }

    /// The storage port itself, for what works below the services: benchmarks of one storage
    /// path, and tests that set up a state no request makes.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The time by this installation's clock (the tests' manual clock, in tests).
    pub fn now(&self) -> crate::Timestamp {
        self.clock.now()
    }

    /// The clock itself, for what keeps time outside the domain (the HTTP edge's rate limits).
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// The address this installation is reached at, without a trailing slash.
    pub fn public_url(&self) -> &str {
        &self.settings.public_url
    }

    /// Whether this installation runs as a sandbox (`--mode sandbox`).
    pub fn sandbox_mode(&self) -> bool {
        self.settings.sandbox
    }

    /// The institutions users may link, with their connectors.
    pub fn institutions(&self) -> &Institutions {
        &self.institutions
    }

    /// What signs the statements this installation issues and checks uploaded ones.
    pub fn signer(&self) -> &crate::statement_signature::Signer {
        &self.signer
    }

    /// An audit line of an action taken now, for the store to write (with the change, where the
    /// change's own store method takes it).
    pub(crate) fn audit_entry(
        &self,
        actor: &str,
        app_id: &str,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> crate::model::AuditEntry {
        crate::model::AuditEntry {
            actor: actor.to_string(),
            app_id: app_id.to_string(),
            action: action.to_string(),
            subject: subject.to_string(),
            detail: detail.to_string(),
            at: self.clock.now(),
        }
    }

    /// Webhook events were written: the dispatcher looks at once (a signal keeps one wake-up
    /// for a dispatcher that is busy now).
    pub(crate) fn wake_dispatcher(&self) {
        self.work.events.notify_one();
    }

    /// Jobs were queued: the job runner looks at once.
    pub(crate) fn wake_runner(&self) {
        self.work.jobs.notify_one();
    }

    /// Ready to serve: within `READINESS_TIMEOUT`, the database answers, takes writes (it is
    /// not a standby) and has every migration of this build.
    pub async fn readiness(&self) -> crate::Result<()> {
        let unavailable = |why: &str| crate::Error::Unavailable(why.to_string());
        let check = async {
            let pending = self.store.pending_migrations().await?;
            let writable = self.store.accepts_writes().await?;
            Ok::<_, crate::Error>((pending, writable))
        };
        let (pending, writable) = match tokio::time::timeout(READINESS_TIMEOUT, check).await {
            Err(_) => return Err(unavailable("The database does not answer within 2 s")),
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "readiness: the database does not answer");
                return Err(unavailable("The database does not answer"));
            }
            Ok(Ok(answer)) => answer,
        };
        if !writable {
            return Err(unavailable("The database is a standby (read-only); the proxy has not moved to the primary"));
        }
        if !pending.is_empty() {
            return Err(crate::Error::Unavailable(format!(
                "The database lacks migrations {pending:?} of this version; run `passbook migrate`"
            )));
        }
        Ok(())
    }

    /// Prometheus text for `/metrics`.
    pub async fn render_metrics(&self) -> crate::Result<String> {
        let counts = self.store.event_counts().await?;
        Ok(self.metrics.render(&counts))
    }
}
