//! Background workers: the job runner (data fetches), the webhook dispatcher, and in sandbox
//! mode the finisher of sandbox clock moves cut short. The first two claim
//! their work from the database with leases, so several processes can run them and a crashed
//! worker's work is picked up again once its lease runs out.
mod delivery;
mod dispatcher;
mod in_flight;
mod lanes;
mod runner;
mod schedule;

use std::time::Duration;

use passbook_domain::Passbook;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use dispatcher::{Dispatcher, DispatcherOptions};
pub use passbook_egress::is_internal;
pub use runner::JobRunner;
pub use schedule::{JOB_RETRY_SCHEDULE, WEBHOOK_RETRY_SCHEDULE};

/// How often idle workers look for work that no in-process signal announced (work written by
/// another process, retries coming due).
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Default lease of a background job: longer than any fetch should take.
pub const JOB_LEASE: Duration = Duration::from_secs(120);

/// Starts both workers; they stop when `shutdown` turns true.
pub fn spawn(
    passbook: Passbook,
    options: DispatcherOptions,
    job_lease: Duration,
    shutdown: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let runner = JobRunner::new(passbook.clone(), job_lease);
    let mut workers = vec![tokio::spawn(runner.run(shutdown.clone()))];
    if passbook.sandbox_mode() {
        workers.push(tokio::spawn(finish_sandbox_moves(passbook.clone(), shutdown.clone())));
    }
    workers.push(tokio::spawn(Dispatcher::new(passbook.outbox(), options).run(shutdown)));
    workers
}

/// How often a worker looks for sandbox clock moves a stopped process left half-done.
const SANDBOX_MOVES_EVERY: Duration = Duration::from_secs(30);

/// Finishes the sandbox clock moves a crashed or stopped process left half-done, until
/// `shutdown` (a step cut short by it is run again by whoever finishes the move).
async fn finish_sandbox_moves(passbook: Passbook, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SANDBOX_MOVES_EVERY) => {
                if let Err(err) = passbook.resume_sandbox_catch_ups().await {
                    tracing::error!(error = %err, "could not finish a sandbox clock move");
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// How soon an institution list that could not be read is asked for again.
const RETRY_UNREAD_LISTS: Duration = Duration::from_secs(30);

/// Reads the connectors' institution lists again every `every` (an upstream aggregator's
/// coverage and banks' status change), until `shutdown`. Every process that serves the link page
/// or the API runs it: each keeps its own list.
pub fn refresh_institutions(
    passbook: Passbook,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Soon after start too: an upstream down while Passbook started is listed once it is up.
        let mut wait = every.min(RETRY_UNREAD_LISTS);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {
                    let refreshed = passbook.institutions().refresh().await;
                    if refreshed.changed > 0 {
                        tracing::info!(connectors = refreshed.changed, "institution lists changed upstream");
                    }
                    // An upstream that did not answer (down when Passbook started, say) is asked
                    // again soon rather than at the next full interval.
                    wait = if refreshed.failed > 0 { every.min(RETRY_UNREAD_LISTS) } else { every };
                }
                _ = shutdown.changed() => return,
            }
        }
    })
}

/// Builds this process's connectors again whenever an operator saved or removed a connector's
/// settings in another process (the console of another replica, `passbook connectors set`):
/// compares the saved versions every `every` (one small read), until `shutdown`.
pub fn follow_connector_settings(
    passbook: Passbook,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => match passbook.follow_connector_settings().await {
                    Ok(true) => tracing::info!("connector settings changed; the connectors were built again"),
                    Ok(false) => {}
                    Err(err) => tracing::warn!(error = %err, "could not read the connectors' saved settings"),
                },
                _ = shutdown.changed() => return,
            }
        }
    })
}

/// A test hook: when `PASSBOOK_CRASH_AT` names this point, the process aborts here, as a
/// `kill -9` at exactly that moment would. Read once; costs a comparison otherwise.
pub(crate) fn crash_point(name: &str) {
    static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if AT.get_or_init(|| std::env::var("PASSBOOK_CRASH_AT").ok()).as_deref() == Some(name) {
        eprintln!("PASSBOOK_CRASH_AT={name}: aborting");
        std::process::abort();
    }
}

/// Runs `write` again while it fails only because the database is unavailable, for up to
/// `patience`: a failover takes seconds, and work done (a delivery made, a fetch run) must not
/// be done again because it could not be written down.
pub(crate) async fn patiently<T, W, F>(patience: Duration, what: &str, mut write: W) -> passbook_domain::Result<T>
where
    W: FnMut() -> F,
    F: std::future::Future<Output = passbook_domain::Result<T>>,
{
    let give_up = tokio::time::Instant::now() + patience;
    let mut pause = Duration::from_millis(100);
    loop {
        match write().await {
            Err(passbook_domain::Error::Unavailable(why)) if tokio::time::Instant::now() + pause < give_up => {
                tracing::warn!(%why, "{what}: trying again once the database is back");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            other => return other,
        }
    }
}

/// Waits for the poll interval, a wake-up, or shutdown; true when shutting down.
pub(crate) async fn idle(wakeup: impl Future<Output = ()>, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(POLL_INTERVAL) => false,
        _ = wakeup => false,
        _ = shutdown.changed() => true,
    }
}
