//! Statements: the account's transactions over the last 1–12 months, as JSON or as a PDF built
//! in the background.
use passbook_types::accounts::{PeriodOut, StatementQuery};
use passbook_types::passbook::{JsonStatementOut, JsonStatementRowOut};

use super::Passbook;
use super::fetch::JobResult;
use crate::model::{
    Account, AccountId, App, DataKind, JobKind, NewJob, PageRequest, StatementId, StatementJob, StatementStatus,
    Transaction, TransactionFilter, TxKind,
};
use crate::statement_pdf::{StatementDoc, render};
use crate::statement_signature::Manifest;

/// Statement PDFs one account may have built in an hour (requests that join a build waiting for
/// the same period are free): one app cycling periods cannot take every build slot and the disk.
const MAX_PDF_BUILDS_PER_ACCOUNT_HOUR: u32 = 10;
use crate::store::{AccountStore, JobStore, ReportStore};
use crate::{Error, Result, Timestamp, ids};

const DAY_MS: i64 = 86_400_000;
/// A month of a statement period, in days.
const MONTH_DAYS: i64 = 30;

pub enum StatementOutput {
    Json,
    Pdf,
}

/// `period=lastNmonths` (N from 1 to 12) and `output=json|pdf` (JSON by default).
pub fn parse_statement_query(q: &StatementQuery) -> Result<(u32, StatementOutput)> {
    let raw = q.period.as_deref().unwrap_or_default();
    let months = raw
        .strip_prefix("last")
        .and_then(|r| r.strip_suffix("months").or_else(|| r.strip_suffix("month")))
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0'))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=12).contains(n))
        .ok_or_else(|| Error::invalid("period", format!("period must be last1months to last12months, got '{raw}'")))?;
    let output = match q.output.as_deref() {
        None | Some("") | Some("json") => StatementOutput::Json,
        Some("pdf") => StatementOutput::Pdf,
        Some(other) => return Err(Error::invalid("output", format!("output must be json or pdf, got '{other}'"))),
    };
    Ok((months, output))
}

/// The JSON statement: the transactions of the period, newest first.
pub struct Statement {
    pub transactions: Vec<Transaction>,
    pub requested_days: i64,
    pub available_days: i64,
}

/// The statements service: statements issued for an account (JSON, signed JSON, PDF builds)
/// through the [`ReportStore`], the rows they show through the [`AccountStore`], and the
/// app's job allowance through the [`JobStore`].
#[derive(Clone, Copy)]
pub struct Statements<'a> {
    passbook: &'a Passbook,
    reports: &'a dyn ReportStore,
    accounts: &'a dyn AccountStore,
    jobs: &'a dyn JobStore,
}

impl Passbook {
    /// Statements of an account: the JSON one, the signed one, and PDFs built in the background.
    pub fn statements(&self) -> Statements<'_> {
        let store = self.store.as_ref();
        Statements { passbook: self, reports: store, accounts: store, jobs: store }
    }
}

impl Statements<'_> {
    pub async fn period(&self, app: &App, id: &AccountId, months: u32) -> Result<Statement> {
        let account = self.passbook.accounts().get(app, id).await?;
        let requested_days = months as i64 * MONTH_DAYS;
        if !account.has(DataKind::Transactions) {
            return Ok(Statement { transactions: Vec::new(), requested_days, available_days: 0 });
        }
        let (transactions, available_days) = self.period_transactions(&account, months).await?;
        Ok(Statement { transactions, requested_days, available_days })
    }

    pub(crate) async fn period_transactions(&self, account: &Account, months: u32) -> Result<(Vec<Transaction>, i64)> {
        let now = self.passbook.now();
        let filter = TransactionFilter {
            start: Some(now.plus_millis(-(months as i64) * MONTH_DAYS * DAY_MS)),
            ..Default::default()
        };
        let page = self
            .accounts
            .transactions(&account.id, &filter, PageRequest::new(1, None), account.transaction_count)
            .await?;
        let requested_days = months as i64 * MONTH_DAYS;
        // Days of data the period can show: all of it when older records exist (a quiet first
        // week of the period is still covered), else back to the account's oldest record.
        let available_days = if account.transaction_count > page.items.len() as u64 {
            requested_days
        } else {
            page.items.last().map_or(0, |t| (now.0 - t.date.0) / DAY_MS).min(requested_days)
        };
        Ok((page.items, available_days))
    }

    /// `output=pdf`: queues the build and answers at once with the job.
    pub async fn request_pdf(&self, app: &App, id: &AccountId, months: u32) -> Result<StatementJob> {
        let account = self.passbook.accounts().get(app, id).await?;
        if !account.has(DataKind::Transactions) {
            return Err(Error::Conflict(format!(
                "The account's transactions are not available (data_status {}); a statement can be built once they are",
                account.data_status.as_str()
            )));
        }
        let pending = self.jobs.pending_jobs(&app.id).await?;
        if pending >= self.passbook.settings.max_pending_jobs_per_app {
            return Err(Error::TooManyAttempts(format!(
                "This app has {pending} background jobs waiting (the limit is {}); ask again when they have finished",
                self.passbook.settings.max_pending_jobs_per_app
            )));
        }
        let now = self.passbook.now();
        let statement = StatementJob {
            id: ids::object_id(now).into(),
            app_id: app.id.clone(),
            account_id: account.id.clone(),
            months,
            status: StatementStatus::Building,
            created_at: now,
        };
        let job = NewJob {
            id: ids::object_id(now).into(),
            app_id: app.id.clone(),
            kind: JobKind::BuildStatement { statement_id: statement.id.clone() },
            run_at: now,
        };
        let limit = (MAX_PDF_BUILDS_PER_ACCOUNT_HOUR, now.plus_millis(-3_600_000));
        let Some(statement) = self.reports.insert_statement(&statement, &job, limit).await? else {
            return Err(Error::TooManyAttempts(format!(
                "This account has had {MAX_PDF_BUILDS_PER_ACCOUNT_HOUR} statement PDFs built in the last hour; ask \
                 again later, or fetch one already built"
            )));
        };
        self.passbook.wake_runner();
        Ok(statement)
    }

    pub async fn job(&self, app: &App, id: &AccountId, job_id: &StatementId) -> Result<StatementJob> {
        let account = self.passbook.accounts().get(app, id).await?;
        if !ids::is_object_id(job_id.as_str()) {
            return Err(Error::not_found(format!("No statement job with id '{job_id}' for this account")));
        }
        self.reports
            .statement(&app.id, &account.id, job_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("No statement job with id '{job_id}' for this account")))
    }

    pub async fn pdf(&self, app: &App, id: &AccountId, job_id: &StatementId) -> Result<Vec<u8>> {
        let job = self.job(app, id, job_id).await?;
        if job.status == StatementStatus::Expired {
            return Err(Error::Gone(format!(
                "This statement's PDF was built more than {} hours ago and is no longer kept; ask for a new one",
                self.passbook.settings.retention_ms / 3_600_000
            )));
        }
        if job.status != StatementStatus::Built {
            return Err(Error::Conflict(format!("The statement is {}, not BUILT yet", job.status.as_str())));
        }
        self.reports.statement_pdf(&job.id).await?.ok_or_else(|| Error::not_found("statement file"))
    }

    /// Forgets what is past the retention: built PDFs (a file per request, megabytes each) and
    /// finished jobs. The workers call it now and then.
    pub async fn expire_retained(&self) -> Result<crate::model::Expired> {
        let before = self.passbook.now().plus_millis(-self.passbook.settings.retention_ms);
        self.reports.expire_statements_and_jobs(before).await
    }

    pub(crate) async fn build(&self, statement_id: &StatementId) -> Result<JobResult> {
        let Some(statement) = self.reports.statement_by_id(statement_id).await? else {
            return Ok(JobResult::Done(None));
        };
        let Some(account) = self.accounts.account_by_id(&statement.account_id).await? else {
            self.reports.finish_statement(statement_id, None, self.passbook.now()).await?;
            return Ok(JobResult::Done(None));
        };
        let facts = self.issued(&account, statement.months).await?;
        let to = facts.to;
        let (signer, public_url) = (self.passbook.signer.clone(), self.passbook.settings.public_url.clone());
        // Drawing a year of a busy account takes a while: on a blocking thread, so that the async
        // threads keep answering every other request meanwhile, and on at most half the cores,
        // so that a flood of builds leaves the rest to everything else.
        let _slot = render_slots().acquire().await.map_err(|e| Error::Internal(e.to_string()))?;
        let pdf = tokio::task::spawn_blocking(move || {
            let pdf = render(&StatementDoc {
                institution: &facts.institution,
                holder: account.name.as_deref().unwrap_or("Account holder"),
                account_number: &account.account_number,
                currency: &account.currency,
                from: facts.from,
                to: facts.to,
                opening_balance: facts.opening,
                closing_balance: facts.closing,
                transactions: &facts.transactions,
            });
            signer.sign(pdf, facts.manifest(&public_url, &account))
        })
        .await
        .map_err(|e| Error::Internal(format!("building a statement PDF stopped: {e}")))?;
        self.reports.finish_statement(statement_id, Some(&pdf), to).await?;
        Ok(JobResult::Done(None))
    }

    /// `GET /passbook/v1/accounts/{id}/statement`: the period's statement as a JSON document
    /// signed like the PDFs, made at once (it is small beside a PDF), to keep or hand to a lender.
    pub async fn signed_json(&self, app: &App, id: &AccountId, months: u32) -> Result<Vec<u8>> {
        let account = self.passbook.accounts().get(app, id).await?;
        if !account.has(DataKind::Transactions) {
            return Err(Error::Conflict(format!(
                "The account's transactions are not available (data_status {}); a statement can be made once they are",
                account.data_status.as_str()
            )));
        }
        let facts = self.issued(&account, months).await?;
        let manifest = facts.manifest(&self.passbook.settings.public_url, &account);
        let transactions = facts
            .transactions
            .iter()
            .map(|t| JsonStatementRowOut {
                id: t.id.clone(),
                kind: t.kind.as_str().into(),
                amount: t.amount,
                balance: t.balance,
                date: t.date.to_iso(),
                narration: t.narration.clone(),
                currency: t.currency.clone(),
            })
            .collect();
        let statement = JsonStatementOut {
            issuer: manifest.issuer.clone(),
            account: manifest.account.clone(),
            institution: facts.institution,
            account_number: account.account_number.clone(),
            holder: account.name.clone(),
            currency: account.currency.clone(),
            period: PeriodOut { start: manifest.from.clone(), end: manifest.to.clone() },
            opening_balance: facts.opening,
            closing_balance: facts.closing,
            issued_at: manifest.issued_at.clone(),
            transactions,
        };
        let statement = serde_json::to_value(statement).expect("a statement serialises");
        Ok(self.passbook.signer.sign_json(statement, manifest))
    }

    /// What a statement Passbook issues states: the period's rows oldest first, and the balances
    /// before and after them.
    async fn issued(&self, account: &Account, months: u32) -> Result<IssuedStatement> {
        let (mut transactions, _) = self.period_transactions(account, months).await?;
        transactions.reverse();
        let now = self.passbook.now();
        let signed = |t: &Transaction| if t.kind == TxKind::Credit { t.amount } else { -t.amount };
        let opening =
            transactions.first().and_then(|t| t.balance.map(|b| b - signed(t))).or(account.balance).unwrap_or(0);
        let closing = transactions.last().and_then(|t| t.balance).or(account.balance).unwrap_or(opening);
        let institution =
            self.passbook.institutions().get(&account.institution_id).map_or_else(|| "Bank".to_string(), |i| i.name);
        let from = Timestamp(now.0 - months as i64 * MONTH_DAYS * DAY_MS);
        Ok(IssuedStatement { transactions, opening, closing, institution, from, to: now })
    }
}

struct IssuedStatement {
    transactions: Vec<Transaction>,
    opening: i64,
    closing: i64,
    institution: String,
    from: Timestamp,
    /// When it is issued: the period ends then.
    to: Timestamp,
}

impl IssuedStatement {
    fn manifest(&self, issuer: &str, account: &Account) -> Manifest {
        Manifest {
            v: 1,
            key: String::new(),
            issuer: issuer.to_string(),
            account: account.id.to_string(),
            institution: self.institution.clone(),
            account_number: account.account_number.clone(),
            currency: account.currency.clone(),
            from: self.from.to_iso()[..10].to_string(),
            to: self.to.to_iso()[..10].to_string(),
            opening_balance: self.opening,
            closing_balance: self.closing,
            transactions: self.transactions.len(),
            issued_at: self.to.to_iso(),
            sha256: String::new(),
        }
    }
}

/// PDFs drawn at once in this process: half the cores, at least one.
fn render_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        tokio::sync::Semaphore::new((cores / 2).max(1))
    })
}
