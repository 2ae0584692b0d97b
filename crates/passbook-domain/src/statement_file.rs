//! A bank statement file as read: its accounts, their rows and stated balances, and whether they
//! reconcile. Reading the file formats is the job of a [`StatementReader`] (the file way into an
//! institution, beside credentials and consent redirects); everything here is plain data and
//! pure checks.
use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// The file formats banks export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// OFX 1.x (SGML), 2.x (XML) and QFX.
    Ofx,
    /// ISO 20022 bank-to-customer statement, `camt.053.001.02` to `.08`.
    Camt053,
    /// SWIFT MT940.
    Mt940,
    Csv,
    /// Excel (XLSX, XLS) and OpenDocument spreadsheets.
    Spreadsheet,
    /// A PDF statement with a text layer.
    Pdf,
    /// Passbook's own signed JSON statement.
    Json,
}

impl FileFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ofx => "ofx",
            Self::Camt053 => "camt053",
            Self::Mt940 => "mt940",
            Self::Csv => "csv",
            Self::Spreadsheet => "spreadsheet",
            Self::Pdf => "pdf",
            Self::Json => "json",
        }
    }
}

/// Everything read from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementFile {
    pub format: FileFormat,
    pub accounts: Vec<FileAccount>,
    /// Lines of the file's table that hold no transaction (balance rows, page headers and
    /// footers, totals), each with why it was passed over: the import report lists them.
    #[serde(default)]
    pub skipped: Vec<SkippedLine>,
    /// What the file itself says about its history (software, updates, drawing), for its
    /// integrity verdict.
    #[serde(default)]
    pub evidence: Vec<crate::integrity::Signal>,
}

impl StatementFile {
    pub fn new(format: FileFormat, accounts: Vec<FileAccount>) -> Self {
        Self { format, accounts, skipped: Vec::new(), evidence: Vec::new() }
    }
}

/// A line the reader passed over: where (1-based line of the table, or `page:line` in a PDF),
/// what it said (cut to 200 characters), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedLine {
    pub at: String,
    pub text: String,
    pub reason: String,
}

/// The most skipped lines an import keeps (a report, not a copy of the file).
pub const MAX_SKIPPED_LINES: usize = 500;

/// What a read made of a file, for the import report (each account's rows and reconciliation
/// are in its preview): how many rows were read and which lines were passed over, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadReport {
    pub rows_read: usize,
    /// The first lines passed over (the review step and the account's source show these).
    pub skipped: Vec<SkippedLine>,
    /// How many were passed over in all (up to `MAX_SKIPPED_LINES`).
    pub skipped_total: usize,
}

/// The most skipped lines a report carries with it.
pub const REPORTED_SKIPPED_LINES: usize = 50;

impl ReadReport {
    pub fn of(file: &StatementFile) -> Self {
        Self {
            rows_read: file.accounts.iter().map(|a| a.rows.len()).sum(),
            skipped: file.skipped.iter().take(REPORTED_SKIPPED_LINES).cloned().collect(),
            skipped_total: file.skipped.len(),
        }
    }
}

impl SkippedLine {
    pub fn new(at: impl Into<String>, text: &str, reason: impl Into<String>) -> Self {
        let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(200).collect();
        Self { at: at.into(), text, reason: reason.into() }
    }
}

/// One account's statement (several statements of one account in a file are joined).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileAccount {
    /// The account number or IBAN as the file gives it.
    pub account_number: Option<String>,
    /// The bank's identifier (routing number, BIC, sort code), where given.
    pub bank_id: Option<String>,
    /// The account holder's name, where given.
    pub holder: Option<String>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// `CHECKING`, `SAVINGS`, `CREDITCARD`, … as the file says.
    pub kind: Option<String>,
    pub opening: Option<StatedBalance>,
    pub closing: Option<StatedBalance>,
    /// First and last day the statement covers (from its header, else its rows).
    pub period: Option<(Timestamp, Timestamp)>,
    /// In the file's order.
    pub rows: Vec<FileRow>,
    /// Totals the file states about itself (CAMT's `TxsSummry`), checked against the rows.
    pub stated: StatedTotals,
    /// Where the file holds several statements of this account (MT940 and CAMT files often do),
    /// each one's rows and balances, so that each is checked on its own; empty for one statement.
    pub segments: Vec<Segment>,
}

/// One statement of an account within a file: `rows` rows from `first_row`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub first_row: usize,
    pub rows: usize,
    pub opening: Option<i64>,
    pub closing: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatedBalance {
    /// Minor units (kobo, cents), signed.
    pub amount: i64,
    pub date: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatedTotals {
    pub entries: Option<u64>,
    pub credits: Option<i64>,
    pub debits: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRow {
    /// The booking date (midnight UTC), or its exact time where the file states one (Passbook's
    /// JSON).
    pub date: Timestamp,
    /// Minor units: positive money in, negative money out.
    pub amount: i64,
    pub narration: String,
    /// The bank's id for the row (OFX `FITID`, CAMT `AcctSvcrRef`), where given.
    pub reference: Option<String>,
    /// The running balance after this row, where the file shows one.
    pub balance: Option<i64>,
}

/// Why a file could not be read. Every message says what the user can do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("This file is protected by a password. Enter the password to open it.")]
    PasswordRequired,
    #[error("The password is not correct for this file. Check it and try again.")]
    WrongPassword,
    #[error(
        "This PDF has no text layer (it is a scan or a photo), so its transactions cannot be read. \
         Download the e-statement from your bank's app or internet banking instead."
    )]
    NoTextLayer,
    #[error("{0}")]
    Unsupported(String),
    #[error("The file is empty.")]
    Empty,
    #[error("The file is over the {limit_mb} MB limit.")]
    TooLarge { limit_mb: u64 },
    #[error("The file could not be read: {0}")]
    Malformed(String),
    #[error("The file was refused: {0}")]
    Unsafe(String),
    #[error("No transactions or balances were found in this file: {0}")]
    NothingFound(String),
}

/// An uploaded statement as kept: what was read from it (personal data: sealed at rest) and,
/// only when the operator turned retention on, the file itself.
#[derive(Debug, Clone)]
pub struct StatementImport {
    pub id: String,
    pub app_id: String,
    pub file: StatementFile,
    pub original: Option<Vec<u8>>,
    pub created_at: Timestamp,
    /// Of the file, hex: the same file uploaded again is found by it.
    pub file_sha256: String,
    /// The customer it was uploaded for (empty for imports made before this was kept).
    pub customer_id: String,
}

impl StatementImport {
    /// What describes the import's accounts without their rows, worked out once.
    pub fn summary(&self) -> ImportSummary {
        ImportSummary {
            format: self.file.format,
            created_at: self.created_at,
            accounts: self
                .file
                .accounts
                .iter()
                .map(|a| AccountSummary {
                    rows_read: a.rows.len(),
                    period: a.period,
                    account_number_stated: a.account_number.is_some(),
                    reconciliation: a.reconcile(),
                })
                .collect(),
            report: ReadReport::of(&self.file),
            integrity: crate::integrity::Integrity::judge(self.file.evidence.clone()),
        }
    }
}

/// An import's accounts without their rows: what an account's source shows, kept apart so that
/// showing it never reads (or reconciles) every row again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub format: FileFormat,
    pub created_at: Timestamp,
    pub accounts: Vec<AccountSummary>,
    #[serde(default)]
    pub report: ReadReport,
    /// How far the file can be trusted (imports made before this was judged: unknown).
    #[serde(default)]
    pub integrity: crate::integrity::Integrity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    #[serde(default)]
    pub rows_read: usize,
    pub period: Option<(Timestamp, Timestamp)>,
    pub account_number_stated: bool,
    pub reconciliation: Reconciliation,
}

/// The file way in: reads a statement file into accounts and rows.
pub trait StatementReader: Send + Sync {
    fn read(&self, file: &[u8], file_name: Option<&str>, password: Option<&str>) -> Result<StatementFile, ReadError>;
}

/// Whether a statement's numbers hold together: the opening balance plus the rows gives the
/// closing balance, every running balance follows from the one before, and the totals the file
/// states match its rows. Edited statements (a row changed, added or removed) break at least one
/// of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub status: ReconciliationStatus,
    pub opening: Option<i64>,
    pub closing: Option<i64>,
    pub credits: i64,
    pub debits: i64,
    /// Closing minus (opening + credits − debits), when both balances are stated.
    pub difference: Option<i64>,
    /// Rows whose running balance does not follow from the row before (at most 20 listed).
    pub broken_rows: Vec<BrokenRow>,
    /// Where the file's own totals disagree with its rows.
    pub mismatched_totals: Vec<String>,
    /// Between consecutive statements, where one closes at another balance than the next opens
    /// at (statements missing from the file).
    pub gaps: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReconciliationStatus {
    /// Every check the file allows passed, and at least one could be made.
    Balanced,
    /// A check failed.
    Unbalanced,
    /// The file states no balances or totals to check the rows against.
    Unverifiable,
}

impl ReconciliationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Balanced => "balanced",
            Self::Unbalanced => "unbalanced",
            Self::Unverifiable => "unverifiable",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenRow {
    /// Position in the file's order, from 1.
    pub row: usize,
    pub expected_balance: i64,
    pub stated_balance: i64,
}

const MAX_BROKEN_ROWS: usize = 20;

impl FileAccount {
    /// The balance at the statement's end: the closing balance it states, else the running
    /// balance after its newest row. Files list rows oldest or newest first: the running
    /// balance's chain tells which, and where it cannot, the dates do.
    pub fn closing_balance(&self) -> Option<i64> {
        if let Some(closing) = self.closing {
            return Some(closing.amount);
        }
        let rows = &self.rows;
        if rows.len() < 2 || rows.iter().any(|r| r.balance.is_none()) {
            // Without a full chain, the newest dated row that shows a balance.
            return rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.balance.is_some())
                .max_by_key(|(i, r)| (r.date, *i))?
                .1
                .balance;
        }
        let order = self.reading_orders().into_iter().min_by_key(|o| self.breaks(o).len())?;
        rows[*order.last()?].balance
    }

    pub fn reconcile(&self) -> Reconciliation {
        let credits: i64 = self.rows.iter().filter(|r| r.amount > 0).map(|r| r.amount).sum();
        let debits: i64 = self.rows.iter().filter(|r| r.amount < 0).map(|r| -r.amount).sum();
        let (opening, closing) = (self.opening.map(|b| b.amount), self.closing.map(|b| b.amount));
        let difference = if self.segments.is_empty() {
            opening.zip(closing).map(|(o, c)| c - (o + credits - debits))
        } else {
            self.segment_differences()
        };
        let running = self.running_balance_breaks();
        let mut mismatched_totals = self.mismatched_totals(credits, debits);
        mismatched_totals.extend(self.closing_disagrees());
        let checked = difference.is_some() || running.is_some() || self.stated != StatedTotals::default();
        let broken_rows = running.unwrap_or_default();
        let status = if difference.is_some_and(|d| d != 0) || !broken_rows.is_empty() || !mismatched_totals.is_empty() {
            ReconciliationStatus::Unbalanced
        } else if checked {
            ReconciliationStatus::Balanced
        } else {
            ReconciliationStatus::Unverifiable
        };
        Reconciliation {
            status,
            opening,
            closing,
            credits,
            debits,
            difference,
            broken_rows: broken_rows.into_iter().take(MAX_BROKEN_ROWS).collect(),
            mismatched_totals,
            gaps: self.gaps(),
        }
    }

    /// The sum of each statement's difference, over the statements that state both balances;
    /// `None` when none does.
    fn segment_differences(&self) -> Option<i64> {
        let mut total = None;
        for segment in &self.segments {
            let rows = self.rows.iter().skip(segment.first_row).take(segment.rows);
            let net: i64 = rows.map(|r| r.amount).sum();
            if let (Some(o), Some(c)) = (segment.opening, segment.closing) {
                *total.get_or_insert(0) += c - (o + net);
            }
        }
        total
    }

    fn gaps(&self) -> Vec<String> {
        self.segments
            .windows(2)
            .enumerate()
            .filter_map(|(i, pair)| match (pair[0].closing, pair[1].opening) {
                (Some(closed), Some(opened)) if closed != opened => Some(format!(
                    "statement {} closes at {} but statement {} opens at {}",
                    i + 1,
                    minor(closed),
                    i + 2,
                    minor(opened)
                )),
                _ => None,
            })
            .collect()
    }

    /// The rows whose running balance breaks the chain, reading the rows in the file's order,
    /// newest first, or by date (exports are not always in order), whichever breaks least;
    /// `None` unless every row shows a balance and there are two or more.
    fn running_balance_breaks(&self) -> Option<Vec<BrokenRow>> {
        let rows = &self.rows;
        if rows.len() < 2 || rows.iter().any(|r| r.balance.is_none()) {
            return None;
        }
        self.reading_orders().iter().map(|order| self.breaks(order)).min_by_key(Vec::len)
    }

    /// The ways a statement's rows can run, oldest to newest: by date (exports are not always
    /// in order), as the file lists them, and newest first. Ties go to the first.
    fn reading_orders(&self) -> [Vec<usize>; 3] {
        let file_order: Vec<usize> = (0..self.rows.len()).collect();
        let newest_first: Vec<usize> = file_order.iter().rev().copied().collect();
        let mut by_date = file_order.clone();
        by_date.sort_by_key(|&i| self.rows[i].date);
        [by_date, file_order, newest_first]
    }

    /// Where the running balance breaks, reading the rows in `order`: from the stated opening
    /// balance to the first row (for one statement; several carry their own), then row to row.
    fn breaks(&self, order: &[usize]) -> Vec<BrokenRow> {
        let rows = &self.rows;
        let opening = self.opening.filter(|_| self.segments.is_empty()).map(|b| b.amount);
        let first = order.first().zip(opening).and_then(|(&i, opening)| {
            let expected = opening + rows[i].amount;
            (Some(expected) != rows[i].balance).then(|| BrokenRow {
                row: i + 1,
                expected_balance: expected,
                stated_balance: rows[i].balance.unwrap_or_default(),
            })
        });
        let chain = order.windows(2).filter_map(|pair| {
            let (before, after) = (&rows[pair[0]], &rows[pair[1]]);
            let expected = before.balance.unwrap_or_default() + after.amount;
            (Some(expected) != after.balance).then(|| BrokenRow {
                row: pair[1] + 1,
                expected_balance: expected,
                stated_balance: after.balance.unwrap_or_default(),
            })
        });
        first.into_iter().chain(chain).collect()
    }

    /// A stated closing balance that is not the last row's running balance (for one statement).
    fn closing_disagrees(&self) -> Option<String> {
        let closing = self.closing.filter(|_| self.segments.is_empty())?.amount;
        if self.rows.len() < 2 || self.rows.iter().any(|r| r.balance.is_none()) {
            return None;
        }
        let order = self.reading_orders().into_iter().min_by_key(|o| self.breaks(o).len())?;
        let last = self.rows[*order.last()?].balance?;
        (last != closing).then(|| {
            format!(
                "the file states a closing balance of {} but its last row's balance is {}",
                minor(closing),
                minor(last)
            )
        })
    }

    fn mismatched_totals(&self, credits: i64, debits: i64) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(entries) = self.stated.entries
            && entries != self.rows.len() as u64
        {
            out.push(format!("the file states {entries} entries but lists {}", self.rows.len()));
        }
        if let Some(stated) = self.stated.credits
            && stated != credits
        {
            out.push(format!("the file states credits of {} but its rows add up to {}", minor(stated), minor(credits)));
        }
        if let Some(stated) = self.stated.debits
            && stated != debits
        {
            out.push(format!("the file states debits of {} but its rows add up to {}", minor(stated), minor(debits)));
        }
        out
    }
}

/// Minor units as a decimal amount (`-1234` → `-12.34`).
pub fn minor(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", amount.unsigned_abs() / 100, amount.unsigned_abs() % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(amount: i64, balance: Option<i64>) -> FileRow {
        FileRow { date: Timestamp(0), amount, narration: "x".into(), reference: None, balance }
    }

    fn account(rows: Vec<FileRow>, opening: Option<i64>, closing: Option<i64>) -> FileAccount {
        FileAccount {
            opening: opening.map(|amount| StatedBalance { amount, date: None }),
            closing: closing.map(|amount| StatedBalance { amount, date: None }),
            rows,
            ..FileAccount::default()
        }
    }

    #[test]
    fn balances_that_add_up_reconcile() {
        let good = account(vec![row(500, Some(1500)), row(-200, Some(1300))], Some(1000), Some(1300));
        let r = good.reconcile();
        assert_eq!((r.status, r.credits, r.debits, r.difference), (ReconciliationStatus::Balanced, 500, 200, Some(0)));
    }

    #[test]
    fn an_edited_row_breaks_the_balance_and_names_the_row() {
        let edited =
            account(vec![row(500, Some(1500)), row(-100, Some(1300)), row(-50, Some(1250))], Some(1000), Some(1250));
        let r = edited.reconcile();
        assert_eq!(r.status, ReconciliationStatus::Unbalanced);
        assert_eq!(r.difference, Some(-100));
        assert_eq!(r.broken_rows, [BrokenRow { row: 2, expected_balance: 1400, stated_balance: 1300 }]);
    }

    #[test]
    fn a_stated_balance_changed_alone_breaks_the_chain_at_its_end() {
        // The opening balance raised, nothing else: no closing stated, so only the chain tells.
        let opening = account(vec![row(500, Some(1500)), row(-200, Some(1300))], Some(9000), None);
        let r = opening.reconcile();
        assert_eq!(r.status, ReconciliationStatus::Unbalanced);
        assert_eq!(r.broken_rows, [BrokenRow { row: 1, expected_balance: 9500, stated_balance: 1500 }]);
        // The closing balance raised, no opening stated.
        let closing = account(vec![row(500, Some(1500)), row(-200, Some(1300))], None, Some(9300));
        let r = closing.reconcile();
        assert_eq!(r.status, ReconciliationStatus::Unbalanced);
        assert_eq!(
            r.mismatched_totals,
            ["the file states a closing balance of 93.00 but its last row's balance is 13.00"]
        );
        // Read newest first, the opening still meets the oldest row.
        let newest_first = account(vec![row(-200, Some(1300)), row(500, Some(1500))], Some(1000), Some(1300));
        assert_eq!(newest_first.reconcile().status, ReconciliationStatus::Balanced);
    }

    #[test]
    fn newest_first_running_balances_are_read_as_such() {
        let newest_first = account(vec![row(-200, Some(1300)), row(500, Some(1500))], None, None);
        assert_eq!(newest_first.reconcile().status, ReconciliationStatus::Balanced);
    }

    #[test]
    fn each_statement_of_an_account_is_checked_on_its_own_and_gaps_are_named() {
        let mut two = account(vec![row(500, None), row(-100, None), row(50, None)], Some(0), Some(3050));
        two.segments = vec![
            Segment { first_row: 0, rows: 1, opening: Some(0), closing: Some(500) },
            Segment { first_row: 1, rows: 2, opening: Some(3100), closing: Some(3050) },
        ];
        let r = two.reconcile();
        assert_eq!((r.status, r.difference), (ReconciliationStatus::Balanced, Some(0)));
        assert_eq!(r.gaps, ["statement 1 closes at 5.00 but statement 2 opens at 31.00"]);
    }

    #[test]
    fn a_file_without_balances_cannot_be_verified_and_stated_totals_are_checked() {
        assert_eq!(account(vec![row(5, None)], None, None).reconcile().status, ReconciliationStatus::Unverifiable);
        let mut counted = account(vec![row(5, None)], None, None);
        counted.stated = StatedTotals { entries: Some(2), credits: Some(5), debits: None };
        let r = counted.reconcile();
        assert_eq!(r.status, ReconciliationStatus::Unbalanced);
        assert_eq!(r.mismatched_totals, ["the file states 2 entries but lists 1"]);
    }
}
