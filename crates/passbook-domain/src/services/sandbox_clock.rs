//! The sandbox clock: each app's sandbox banks live at the time now plus the app's offset, and
//! moving the offset ahead runs the refreshes the days in between would have run, in order, so
//! history, balances, pending card payments and webhooks unfold as they would have.
use passbook_types::passbook::{SandboxClockIn, SandboxClockOut};
use time::Date;

use super::Passbook;
use super::fetch::Fetching;
use crate::model::{Account, AccountId, App, AppId, AuthMethod, PageRequest, SyncStatus};
use crate::store::{CatchUp, SandboxMove};
use crate::{Error, Result, Timestamp};

const DAY_MS: i64 = 86_400_000;
/// The most one move may cross: a year, leap or not.
const MAX_DAYS: i64 = 366;
/// The furthest the clock goes ahead in all: generated history and refreshes stay bounded, and
/// dates stay far from the end of the calendar.
const MAX_DAYS_AHEAD: i64 = 3_660;
/// A catch-up nobody has moved on for this long is taken over by a worker.
const STALLED_AFTER_MS: i64 = 60_000;

/// The refreshes a clock move runs: one per refresh interval crossed.
fn refresh_step_ms(app: &App) -> i64 {
    i64::from(app.refresh_interval_hours.max(1)) * 3_600_000
}

impl Passbook {
    pub async fn sandbox_clock(&self, app: &App) -> Result<SandboxClockOut> {
        let offset = self.sandboxed_offset(app).await?;
        let mut out = clock_out(self.clock.now(), offset, 0, 0);
        out.refreshing_until = self.store.sandbox_catch_up(&app.id).await?.map(|c| c.until.to_iso());
        Ok(out)
    }

    /// Moves the app's sandbox clock ahead and runs each refresh its accounts would have had
    /// on the way (one per refresh interval crossed), before answering. The move commits at
    /// once; its refreshes run in a task of their own, step by step, each step recorded, so a
    /// request cut short leaves them running and a crash leaves them to a worker
    /// ([`Passbook::resume_sandbox_catch_ups`]): a move is never left half-done.
    /// `actor` (`api:…`, `cli`, `operator:<id>`) goes in the audit log.
    pub async fn advance_sandbox_clock(
        &self,
        app: &App,
        request: &SandboxClockIn,
        actor: &str,
    ) -> Result<SandboxClockOut> {
        let offset = self.sandboxed_offset(app).await?;
        let days = days_to_move(request, self.clock.now().plus_millis(offset))?;
        let audit = self.audit_entry(actor, &app.id, "sandbox_clock_advanced", &app.id, &format!("{days} days"));
        let by = SandboxMove {
            by_ms: days * DAY_MS,
            max_ms: MAX_DAYS_AHEAD * DAY_MS,
            step_ms: refresh_step_ms(app),
            now: self.clock.now(),
        };
        let Some(moved_to) = self.store.advance_sandbox_clock(&app.id, &by, &audit).await? else {
            let field = if request.days.is_some() { "days" } else { "to" };
            return Err(Error::invalid(
                field,
                format!(
                    "the sandbox clock goes at most {MAX_DAYS_AHEAD} days (ten years) ahead of today; it is {} days \
                     ahead, and {days} more would pass that",
                    offset / DAY_MS
                ),
            ));
        };
        let passbook = self.clone();
        let app_id = app.id.clone();
        let catch_up = tokio::spawn(async move { passbook.catch_up_sandbox(&app_id).await });
        let (refreshes, failed) =
            catch_up.await.map_err(|e| Error::Internal(format!("the sandbox clock's refreshes stopped: {e}")))??;
        tracing::info!(app = %app.id, days, refreshes, failed, "sandbox clock moved");
        Ok(clock_out(self.clock.now(), moved_to, refreshes, failed))
    }

    /// Runs the refreshes the app's clock moves still owe, one step (a refresh of every
    /// account at one sandbox time) after another, until none is owed; the refreshes of the
    /// steps this call recorded, and how many of them failed. A step another process recorded
    /// first was run twice: harmless, as a refresh at the same time finds no new change.
    pub async fn catch_up_sandbox(&self, app_id: &AppId) -> Result<(u64, u64)> {
        let (mut refreshes, mut failed) = (0, 0);
        while let Some(CatchUp { at, .. }) = self.store.sandbox_catch_up(app_id).await? {
            let Some(app) = self.store.app(app_id).await? else { break };
            let (mut step_refreshes, mut step_failed) = (0, 0);
            for id in self.sandbox_refreshable(&app).await? {
                match self.refresh_at(&id, at).await? {
                    Some(SyncStatus::Successful) => step_refreshes += 1,
                    Some(_) => (step_refreshes, step_failed) = (step_refreshes + 1, step_failed + 1),
                    None => {}
                }
            }
            let next = at.plus_millis(refresh_step_ms(&app));
            if self.store.sandbox_step_done(app_id, at, next, self.clock.now()).await? {
                (refreshes, failed) = (refreshes + step_refreshes, failed + step_failed);
            }
        }
        Ok((refreshes, failed))
    }

    /// Finishes the catch-ups a crashed or stopped process left: those nobody has moved on for
    /// a minute. Sandbox mode only; how many were finished.
    pub async fn resume_sandbox_catch_ups(&self) -> Result<usize> {
        if !self.settings.sandbox {
            return Ok(0);
        }
        let now = self.clock.now();
        let stalled = self.store.claim_stalled_catch_ups(now.plus_millis(-STALLED_AFTER_MS), now).await?;
        for app_id in &stalled {
            let (refreshes, failed) = self.catch_up_sandbox(app_id).await?;
            tracing::info!(app = %app_id, refreshes, failed, "finished a sandbox clock move left half-done");
        }
        Ok(stalled.len())
    }

    async fn sandboxed_offset(&self, app: &App) -> Result<i64> {
        if !self.settings.sandbox {
            return Err(Error::not_found("The sandbox clock exists only in sandbox mode"));
        }
        self.store.sandbox_offset(&app.id).await
    }

    /// The app's accounts that refreshes reach (not statement uploads).
    async fn sandbox_refreshable(&self, app: &App) -> Result<Vec<AccountId>> {
        let mut ids = Vec::new();
        let mut page = 1;
        loop {
            let found = self.store.list_accounts(&app.id, PageRequest::new(page, Some(100))).await?;
            let done = found.items.len() < 100;
            ids.extend(
                found
                    .items
                    .into_iter()
                    .map(|found| found.account)
                    .filter(|a| a.auth_method != AuthMethod::StatementUpload)
                    .map(|a| a.id),
            );
            if done {
                return Ok(ids);
            }
            page += 1;
        }
    }

    /// One refresh of the account as of sandbox time `at`, unless it waits for its user
    /// (re-authorisation) or is gone; its outcome.
    async fn refresh_at(&self, id: &AccountId, at: Timestamp) -> Result<Option<SyncStatus>> {
        let Some(account) = self.store.account_by_id(id).await?.filter(|a: &Account| !a.needs_reauth) else {
            return Ok(None);
        };
        let result = match self.fetch(&account, true, false, at).await {
            Ok(result) => result,
            Err(reason) => {
                tracing::info!(account = %id, %reason, "sandbox refresh failed for now");
                return Ok(Some(SyncStatus::Failed));
            }
        };
        let sync = result.sync;
        self.apply_sync(account, Fetching::SandboxClock, result, None).await?;
        Ok(Some(sync))
    }
}

fn days_to_move(request: &SandboxClockIn, now: Timestamp) -> Result<i64> {
    let days = match (request.days, request.to.as_deref()) {
        (Some(days), None) => days,
        (None, Some(to)) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let date = Date::parse(to, format)
                .map_err(|_| Error::invalid("to", format!("to must be a date as YYYY-MM-DD, got '{to}'")))?;
            (date - now.to_datetime().date()).whole_days()
        }
        (Some(_), Some(_)) => return Err(Error::invalid("days", "send days or to, not both")),
        (None, None) => {
            return Err(Error::invalid("days", "days (how many days ahead) or to (a YYYY-MM-DD date) is required"));
        }
    };
    if !(1..=MAX_DAYS).contains(&days) {
        let field = if request.days.is_some() { "days" } else { "to" };
        return Err(Error::invalid(
            field,
            format!(
                "the sandbox clock moves ahead 1 to {MAX_DAYS} days at a time (it never goes back); this is {days}"
            ),
        ));
    }
    Ok(days)
}

fn clock_out(now: Timestamp, offset: i64, refreshes: u64, failed_refreshes: u64) -> SandboxClockOut {
    SandboxClockOut {
        now: now.plus_millis(offset).to_iso(),
        days_ahead: offset / DAY_MS,
        refreshes,
        failed_refreshes,
        refreshing_until: None,
    }
}
