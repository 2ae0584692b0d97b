use std::sync::Arc;
use std::time::Duration;

use passbook_domain::model::{Job, JobEnd, JobSettlement, QueueClaim};
use passbook_domain::services::JobResult;
use passbook_domain::{Passbook, Timestamp};
use tokio::sync::{Semaphore, watch};

use crate::schedule::{JOB_RETRY_SCHEDULE, next_delay};

const CONCURRENCY: usize = 8;
/// How often (by the server's clock) built PDFs and finished jobs past their retention are
/// forgotten.
const EXPIRY_EVERY_MS: i64 = 10 * 60 * 1000;
/// Jobs one app may hold at once over all workers, so that another app's work always finds a
/// slot.
pub const JOBS_IN_FLIGHT_PER_APP: u32 = 6;

/// Runs background jobs (data fetches) with bounded concurrency.
pub struct JobRunner {
    passbook: Passbook,
    slots: Arc<Semaphore>,
    /// How long a claimed job is ours before another worker may take it over.
    lease: Duration,
}

impl JobRunner {
    pub fn new(passbook: Passbook, lease: Duration) -> Self {
        Self { passbook, slots: Arc::new(Semaphore::new(CONCURRENCY)), lease }
    }

    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut expired_at = Timestamp(0);
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Err(err) = self.passbook.schedule_refreshes().await {
                tracing::error!(error = %err, "could not schedule refreshes");
            }
            let now = self.passbook.now();
            if now.0 - expired_at.0 >= EXPIRY_EVERY_MS {
                expired_at = now;
                match self.passbook.statements().expire_retained().await {
                    Ok(passbook_domain::model::Expired { pdfs, jobs }) if pdfs + jobs > 0 => {
                        tracing::info!(pdfs, jobs, "forgot what was past its retention")
                    }
                    Ok(_) => {}
                    Err(err) => tracing::error!(error = %err, "could not forget what was past its retention"),
                }
            }
            let claimed = self.claim().await;
            if claimed == 0 && crate::idle(self.passbook.job_queue().new_jobs(), &mut shutdown).await {
                return;
            }
        }
    }

    async fn claim(&self) -> usize {
        let free = self.slots.available_permits();
        if free == 0 {
            tokio::time::sleep(crate::POLL_INTERVAL).await;
            return 0;
        }
        let now = self.passbook.now();
        let lease_until = now.plus(self.lease);
        let claim = QueueClaim {
            now,
            lease_until,
            limit: passbook_domain::numbers::narrow(free),
            per_app: JOBS_IN_FLIGHT_PER_APP,
            ahead: 1,
            owner: 0,
        };
        let jobs = match self.passbook.job_queue().claim(&claim).await {
            Ok(jobs) => jobs,
            Err(err) => {
                tracing::error!(error = %err, "could not claim jobs");
                return 0;
            }
        };
        let count = jobs.len();
        for job in jobs {
            let permit = self.slots.clone().acquire_owned().await.expect("semaphore never closes");
            let (passbook, lease) = (self.passbook.clone(), self.lease);
            tokio::spawn(async move {
                run_one(&passbook, job, lease).await;
                drop(permit);
            });
        }
        count
    }
}

async fn run_one(passbook: &Passbook, job: Job, lease: Duration) {
    let name = job.kind.name();
    let outcome = {
        let _lease = LeaseKeeper::start(passbook.clone(), &job, lease);
        passbook.run_job(&job).await
    };
    crate::crash_point("job-ran");
    let now = passbook.now();
    // Half the lease, as for deliveries: the job is still ours while its outcome is written.
    let patience = lease / 2;
    let settled = match outcome {
        Ok(JobResult::Done(outcome)) => {
            let done = JobSettlement::of(&job, JobEnd::Done { outcome });
            let queue = passbook.job_queue();
            crate::patiently(patience, "settling a job", || queue.settle(&done, now)).await.map(JobResult::from)
        }
        Ok(result @ (JobResult::Settled | JobResult::TakenOver)) => Ok(result),
        Ok(JobResult::Retry(reason)) => {
            crate::patiently(patience, "rescheduling a job", || retry_or_give_up(passbook, &job, now, &reason)).await
        }
        Err(err) => {
            tracing::error!(job = name, id = %job.id, error = %err, "job failed");
            let reason = err.to_string();
            crate::patiently(patience, "rescheduling a job", || retry_or_give_up(passbook, &job, now, &reason)).await
        }
    };
    match settled {
        Ok(JobResult::TakenOver) => {
            tracing::warn!(job = name, id = %job.id, "job's lease ran out and another worker took it over; its work is discarded")
        }
        Ok(_) => {}
        Err(err) => {
            tracing::error!(job = name, id = %job.id, error = %err, "could not record the job's outcome; it runs again after its lease")
        }
    }
}

async fn retry_or_give_up(
    passbook: &Passbook,
    job: &Job,
    now: Timestamp,
    reason: &str,
) -> passbook_domain::Result<JobResult> {
    match next_delay(&JOB_RETRY_SCHEDULE, job.attempts) {
        Some(delay) => {
            let at = now.plus(delay);
            Ok(passbook.job_queue().retry(&job.id, job.attempts, at, reason).await?.into())
        }
        None => {
            tracing::warn!(job = job.kind.name(), id = %job.id, reason, "job gave up after its last attempt");
            passbook.job_exhausted(job, reason).await
        }
    }
}

/// Renews a running job's lease every third of it, so that a job that runs longer than its
/// lease is not taken over (and run a second time) by another worker. Stops when dropped.
struct LeaseKeeper(tokio::task::JoinHandle<()>);

impl LeaseKeeper {
    fn start(passbook: Passbook, job: &Job, lease: Duration) -> Self {
        let (id, attempt) = (job.id.clone(), job.attempts);
        Self(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(lease / 3);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let until = passbook.now().plus(lease);
                match passbook.job_queue().extend_lease(&id, attempt, until).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(err) => tracing::warn!(id = %id, error = %err, "could not renew a job's lease"),
                }
            }
        }))
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}
