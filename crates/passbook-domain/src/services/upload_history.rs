//! Signals across uploads, within one app: the same file uploaded for another customer, the same
//! account number under another customer, and an earlier statement of the same account whose
//! rows disagree with this one where their periods overlap (a row deleted or an amount changed,
//! the balances fixed to match, passes every check within the file). Nothing of another app is
//! read, and what a signal says names no other customer.
use std::collections::HashMap;

use super::Linking;
use crate::Result;
use crate::integrity::{Signal, Weight};
use crate::model::{Account, AppId, AuthMethod, CustomerId};
use crate::statement_file::{FileAccount, StatementFile};

/// The most earlier accounts of one number looked at.
const MAX_EARLIER: u32 = 20;
const DAY_MS: i64 = 86_400_000;

impl Linking<'_> {
    pub(super) async fn upload_history(
        &self,
        app_id: &AppId,
        customer_id: &CustomerId,
        file_sha256: &str,
        file: &StatementFile,
    ) -> Result<Vec<Signal>> {
        let mut signals = Vec::new();
        let others = self
            .imports
            .statement_imports_of_file(app_id, file_sha256)
            .await?
            .into_iter()
            .filter(|earlier| &earlier.customer_id != customer_id)
            .count();
        if others > 0 {
            signals.push(Signal::against(
                "same_file_other_customer",
                Weight::Strong,
                format!("The same file, byte for byte, was uploaded for {others} other customer(s) of this app"),
                "the whole file",
            ));
        }
        for account in &file.accounts {
            let Some(number) = account.account_number.as_deref() else { continue };
            let earlier = self.accounts.accounts_with_number(app_id, number, MAX_EARLIER).await?;
            let mut customers: Vec<&str> =
                earlier.iter().map(|a| a.customer_id.as_str()).filter(|c| *c != customer_id.as_str()).collect();
            customers.sort();
            customers.dedup();
            if !customers.is_empty() {
                signals.push(Signal::against(
                    "account_number_other_customers",
                    Weight::Weak,
                    format!("Account {number} is already linked for {} other customer(s) of this app", customers.len()),
                    format!("account {number}"),
                ));
            }
            if let Some(signal) = self.disagreement(app_id, number, account, &earlier).await? {
                signals.push(signal);
            }
        }
        Ok(signals)
    }

    /// The first earlier statement of this account whose rows differ from `account`'s over the
    /// days both cover in full.
    async fn disagreement(
        &self,
        app_id: &AppId,
        number: &str,
        account: &FileAccount,
        earlier: &[Account],
    ) -> Result<Option<Signal>> {
        let Some(mine) = span(account) else { return Ok(None) };
        for other in earlier.iter().filter(|a| a.auth_method == AuthMethod::StatementUpload) {
            let Some((import_id, index)) = crate::statement_account::parse_handle(&other.connector_ref) else {
                continue;
            };
            let Some(import) = self.imports.statement_import(app_id, &import_id).await? else { continue };
            let Some(theirs) = import.file.accounts.get(index) else { continue };
            let Some(their_span) = span(theirs) else { continue };
            // Whole days inside both periods: the first and last day of a statement may be cut.
            let (from, to) = (mine.0.max(their_span.0) + DAY_MS, mine.1.min(their_span.1) - DAY_MS);
            if from > to {
                continue;
            }
            let (missing, extra) = differences(theirs, account, from, to);
            if missing + extra > 0 {
                let day = |ms: i64| crate::Timestamp(ms).to_iso()[..10].to_string();
                return Ok(Some(Signal::against(
                    "disagrees_with_earlier_upload",
                    Weight::Strong,
                    format!(
                        "An earlier statement of account {number} (uploaded {}) disagrees with this one between {} \
                         and {}: it has {missing} row(s) this one lacks, and this one {extra} it lacks",
                        day(import.created_at.0),
                        day(from),
                        day(to)
                    ),
                    format!("rows dated {} to {}", day(from), day(to)),
                )));
            }
        }
        Ok(None)
    }
}

/// The first and last day a statement covers.
fn span(account: &FileAccount) -> Option<(i64, i64)> {
    account.period.map(|(a, b)| (a.0, b.0)).or_else(|| {
        let first = account.rows.iter().map(|r| r.date.0).min()?;
        Some((first, account.rows.iter().map(|r| r.date.0).max()?))
    })
}

/// Rows of `earlier` between `from` and `to` (by day and amount) that `later` lacks, and the
/// other way round.
fn differences(earlier: &FileAccount, later: &FileAccount, from: i64, to: i64) -> (usize, usize) {
    let count = |a: &FileAccount| {
        let mut rows: HashMap<(i64, i64), usize> = HashMap::new();
        for row in a.rows.iter().filter(|r| r.date.0 >= from && r.date.0 <= to) {
            *rows.entry((row.date.0 / DAY_MS, row.amount)).or_default() += 1;
        }
        rows
    };
    let (a, b) = (count(earlier), count(later));
    let lacking = |x: &HashMap<(i64, i64), usize>, y: &HashMap<(i64, i64), usize>| {
        x.iter().map(|(k, n)| n.saturating_sub(*y.get(k).unwrap_or(&0))).sum()
    };
    (lacking(&a, &b), lacking(&b, &a))
}
