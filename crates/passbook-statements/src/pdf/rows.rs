//! Transactions from a PDF's positioned words.
//!
//! A statement PDF is a table drawn on pages. The header row names the columns (in the same
//! vocabulary as CSV headers) and fixes their positions; every line that starts with a date in
//! the date column starts a transaction, its amounts are the numbers under the amount columns
//! (a debit column makes them money out, a credit column money in), and lines below it without
//! a date continue its narration. Balances are read from their labelled lines (`Opening
//! balance`, `ALTER KONTOSTAND`, `LAST MONTH'S BALANCE`, …). Dates without a year take the year
//! that puts them on or before the latest date the document states.
use passbook_domain::Timestamp;
use passbook_domain::statement_file::{
    FileAccount, FileFormat, FileRow, MAX_SKIPPED_LINES, ReadError, SkippedLine, StatedBalance, StatementFile,
};

use super::facts::{self, STOPS, is_amount_like, row_date};
use super::{Line, Word};
use crate::header_names::{Role, role};
use crate::table::{BalanceLabel, balance_kind};
use crate::text::{clean, decimal_separator, is_time, parse_amount};

/// A word piece with its estimated position.
#[derive(Debug, Clone)]
struct Token {
    x: f32,
    right: f32,
    text: String,
}

impl Token {
    fn center(&self) -> f32 {
        (self.x + self.right) / 2.0
    }
}

/// Splits a line's words at single spaces, spreading each word's width over its characters.
fn tokens(line: &Line) -> Vec<Token> {
    let mut out = Vec::new();
    for word in &line.words {
        let chars = word.text.chars().count().max(1) as f32;
        let width = (word.right - word.x) / chars;
        let mut offset = 0usize;
        for piece in word.text.split(' ') {
            let n = piece.chars().count();
            if n > 0 {
                out.push(Token {
                    x: word.x + offset as f32 * width,
                    right: word.x + (offset + n) as f32 * width,
                    text: piece.to_string(),
                });
            }
            offset += n + 1;
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Column {
    role: Role,
    x: f32,
    right: f32,
}

impl Column {
    fn center(&self) -> f32 {
        (self.x + self.right) / 2.0
    }
}

/// The header: words (or pairs of words) that name columns, left to right.
fn header(line: &Line) -> Option<Vec<Column>> {
    let mut columns: Vec<Column> = Vec::new();
    let mut unnamed: Option<&Word> = None;
    for word in &line.words {
        let text = word.text.trim_end_matches([':', '*']);
        // "TRANSACTION" then "DATE": the pair names the column, which starts at the first.
        let paired = unnamed
            .filter(|u| word.x - u.right < 20.0)
            .and_then(|u| role(&format!("{} {text}", u.text)).map(|r| (r, u.x)));
        let named = paired
            .or_else(|| role(text).or_else(|| text.split_whitespace().next().and_then(role)).map(|r| (r, word.x)));
        match named {
            Some((role, x)) => {
                columns.push(Column { role, x, right: word.right });
                unnamed = None;
            }
            None => {
                // "(SGD)" after "AMOUNT" widens that column.
                if let Some(last) = columns.last_mut()
                    && word.x - last.right < 20.0
                    && !text.chars().any(char::is_alphanumeric) | text.starts_with('(')
                {
                    last.right = word.right;
                }
                unnamed = Some(word);
            }
        }
    }
    let has_date = columns.iter().any(|c| matches!(c.role, Role::Date(_)));
    let has_amount = columns.iter().any(|c| matches!(c.role, Role::Amount | Role::Debit | Role::Credit));
    (has_date && has_amount).then_some(columns)
}

pub fn read(bytes: &[u8], password: Option<&str>) -> Result<StatementFile, ReadError> {
    let super::Pages { lines, without_text, evidence } = super::read_document(bytes, password)?;
    if lines.iter().all(|l| l.words.is_empty()) {
        return Err(ReadError::NoTextLayer);
    }
    let text: Vec<String> = lines.iter().map(Line::text).collect();
    let joined = text.join("\n");
    let lower = joined.to_lowercase();
    let latest = facts::latest_date(&text)?;
    let (header_at, columns) = find_header(&lines, latest)?;
    let card = lower.contains("credit card") || lower.contains("card number") || lower.contains("minimum due");
    let mut amount_like: Vec<String> = Vec::new();
    for line in &lines {
        passbook_domain::read_deadline::check()?;
        amount_like.extend(tokens(line).into_iter().map(|t| t.text).filter(|t| is_amount_like(t)));
    }
    let decimal = decimal_separator(amount_like.iter().map(String::as_str));
    let currency = facts::currency(&lines[header_at], &joined);
    let table = Table::new(columns, decimal, latest, currency.as_deref() == Some("USD"), card);
    let mut rows = Rows::new(line_step(&lines[header_at..]));
    for (i, line) in lines.iter().enumerate() {
        passbook_domain::read_deadline::check()?;
        if let Some((kind, at)) = facts::label(&text[i])
            && let Some(amount) = facts::amount_after(&text[i], at, decimal)
        {
            rows.stated_balance(kind, if card { -amount } else { amount }, i < header_at);
        } else if i > header_at {
            rows.line(&table, line, &text[i]);
        }
    }
    let Rows { rows, opening, closing, skipped: lines_skipped, .. } = rows.finish();
    let why = "the page has no text layer (a scanned image): its rows, if any, could not be read";
    let pages_skipped = without_text.into_iter().map(|page| SkippedLine::new(format!("page {}", page + 1), "", why));
    let skipped: Vec<SkippedLine> = pages_skipped.chain(lines_skipped).take(MAX_SKIPPED_LINES).collect();
    if rows.is_empty() && opening.is_none() && closing.is_none() {
        return Err(ReadError::NothingFound("the PDF's table holds no dated rows with amounts".into()));
    }
    let account = FileAccount {
        account_number: facts::labelled(
            &text,
            &["account number", "account no", "a/c no", "nuban", "wallet number", "kontonummer", "iban", "card number"],
        )
        .or_else(|| if card { text.iter().find_map(|l| facts::card_number(l)) } else { None }),
        holder: facts::labelled(&text, &["account holder", "account name", "customer name", "name"]),
        currency,
        kind: card.then(|| "CREDITCARD".to_string()),
        opening: opening.map(|amount| StatedBalance { amount, date: None }),
        closing: closing.map(|amount| StatedBalance { amount, date: None }),
        rows,
        ..FileAccount::default()
    };
    Ok(StatementFile { skipped, evidence, ..StatementFile::new(FileFormat::Pdf, vec![account]) })
}

/// Of the lines that could be the header, the first with the most dated lines below it (a long
/// statement repeats its header on every page, and the best-placed copy may be a later page's:
/// the table starts at the first copy).
fn find_header(lines: &[Line], latest: Option<Timestamp>) -> Result<(usize, Vec<Column>), ReadError> {
    let mut best: Option<(usize, Vec<Column>)> = None;
    let mut best_score = (0, std::cmp::Reverse(0));
    for (i, line) in lines.iter().enumerate() {
        passbook_domain::read_deadline::check()?;
        // A header names its columns; a line that starts with a number is a row.
        if line.words.first().is_some_and(|w| w.text.starts_with(|c: char| c.is_ascii_digit())) {
            continue;
        }
        let Some(columns) = header(line) else { continue };
        let score = (dated_lines_below(&lines[i + 1..], &columns, latest), std::cmp::Reverse(i));
        if best.is_none() || score > best_score {
            (best, best_score) = (Some((i, columns)), score);
        }
    }
    let Some((best_at, columns)) = best else {
        return Err(ReadError::Unsupported(
            "No transaction table was found in this PDF (no header row naming a date and an amount column). \
             If it is a bank statement, export it as CSV or Excel from your bank and upload that."
                .into(),
        ));
    };
    let roles: Vec<Role> = columns.iter().map(|c| c.role).collect();
    let first = lines[..best_at]
        .iter()
        .position(|l| header(l).is_some_and(|h| h.iter().map(|c| c.role).eq(roles.iter().copied())))
        .unwrap_or(best_at);
    Ok((first, columns))
}

/// How many of the next lines start with a date in the header's date column.
fn dated_lines_below(lines: &[Line], columns: &[Column], latest: Option<Timestamp>) -> usize {
    let Some(date) = columns.iter().find(|c| matches!(c.role, Role::Date(_))) else { return 0 };
    lines
        .iter()
        .take(60)
        .filter(|l| {
            let toks = tokens(l);
            let first: Vec<&str> =
                toks.iter().take(4).filter(|t| t.x >= date.x - 15.0).map(|t| t.text.as_str()).collect();
            leading_date(&first, latest, false).is_some()
        })
        .count()
}

/// A date at the start of `words`, and how many words it takes: joined as they are (`02 Jan
/// 2025`, `Jan 02, 2025`) or run together (a text layer that split `02/01/2025` in pieces).
fn leading_date(words: &[&str], latest: Option<Timestamp>, month_first: bool) -> Option<(Timestamp, usize)> {
    (1..=words.len().min(3)).find_map(|n| {
        // Words with a month's name are joined with spaces; digits run together.
        let named = words[..n].iter().any(|w| w.bytes().any(|b| b.is_ascii_alphabetic()));
        let text = if named { words[..n].join(" ") } else { words[..n].concat() };
        row_date(&text, latest, month_first).map(|d| (d, n))
    })
}

/// The usual distance between two lines of the table: a line further below the row before it
/// than about two of these does not continue that row.
fn line_step(lines: &[Line]) -> f32 {
    let mut gaps: Vec<f32> =
        lines.windows(2).filter(|w| w[0].page == w[1].page).map(|w| w[0].y - w[1].y).filter(|g| *g > 1.0).collect();
    gaps.sort_by(f32::total_cmp);
    gaps.get(gaps.len() / 2).copied().unwrap_or(12.0)
}

/// The table's columns, and how a line's words fall into them.
struct Table {
    columns: Vec<Column>,
    date: Column,
    has_narration: bool,
    decimal: char,
    latest: Option<Timestamp>,
    month_first: bool,
    card: bool,
}

/// What one line holds, column by column.
#[derive(Default)]
struct Cells {
    date: Option<Timestamp>,
    narration: Vec<String>,
    reference: Vec<String>,
    /// Words of the date column that are neither the date nor a time.
    stray: Vec<String>,
    debit: Option<i64>,
    credit: Option<i64>,
    amount: Option<i64>,
    balance: Option<i64>,
    debit_flag: Option<bool>,
}

impl Cells {
    /// The row's amount: credit less debit, or the signed amount (a D/C flag signs it; a card
    /// statement's unsigned amounts are charges).
    fn amount(&self, card: bool) -> Option<i64> {
        if self.debit.is_some() || self.credit.is_some() {
            return Some(self.credit.unwrap_or(0).abs() - self.debit.unwrap_or(0).abs());
        }
        let amount = self.amount?;
        Some(match self.debit_flag {
            Some(true) => -amount.abs(),
            Some(false) => amount.abs(),
            None if card => -amount,
            None => amount,
        })
    }
}

impl Table {
    fn new(mut columns: Vec<Column>, decimal: char, latest: Option<Timestamp>, month_first: bool, card: bool) -> Self {
        let date = *columns.iter().find(|c| matches!(c.role, Role::Date(_))).expect("a header has a date column");
        columns.sort_by(|a, b| a.x.total_cmp(&b.x));
        let has_narration = columns.iter().any(|c| c.role == Role::Narration);
        Self { columns, date, has_narration, decimal, latest, month_first, card }
    }

    /// The column a left-aligned word starts in.
    fn span(&self, t: &Token) -> Option<&Column> {
        self.columns.iter().rev().find(|c| c.x <= t.x + 6.0).or_else(|| self.columns.first())
    }

    /// The amount column an amount belongs to: the nearest by its centre or its right edge
    /// (amounts are right-aligned under headers aligned any way).
    fn amount_column(&self, t: &Token) -> Option<&Column> {
        let distance = |c: &Column| (c.center() - t.center()).abs().min((c.right - t.right).abs());
        self.columns.iter().filter(|c| is_money(c.role)).min_by(|a, b| distance(a).total_cmp(&distance(b)))
    }

    fn cells(&self, line: &Line) -> Cells {
        let toks = tokens(line);
        let mut cells = Cells::default();
        let mut date_words: Vec<&str> = Vec::new();
        let mut value_words: Vec<&str> = Vec::new();
        let mut last_money: Option<Role> = None;
        for t in &toks {
            let span = self.span(t).copied();
            let in_money = span.is_some_and(|c| is_money(c.role));
            if let Some(sign) = suffix_sign(&t.text)
                && let Some(role) = last_money
            {
                cells.sign(role, sign);
                last_money = None;
                continue;
            }
            last_money = None;
            let amount_like = is_amount_like(&t.text);
            if (amount_like || in_money)
                && let Some(value) = parse_amount(t.text.trim_start_matches("S$"), self.decimal)
                    .filter(|_| t.text.bytes().any(|b| b.is_ascii_digit()))
            {
                let column = if amount_like { self.amount_column(t) } else { span.as_ref() };
                if let Some(column) = column {
                    let value = if t.text.starts_with('(') { -value.abs() } else { value };
                    cells.put(column.role, value);
                    last_money = Some(column.role);
                    continue;
                }
            }
            match span.map(|c| c.role) {
                Some(Role::Date(_)) if span.is_some_and(|c| c.x == self.date.x) => date_words.push(&t.text),
                Some(Role::Date(_)) => value_words.push(&t.text),
                Some(Role::Narration) => cells.narration.push(t.text.clone()),
                Some(Role::Reference) => cells.reference.push(t.text.clone()),
                Some(Role::Flag) => cells.debit_flag = suffix_sign(&t.text),
                _ if !self.has_narration && !in_money => cells.narration.push(t.text.clone()),
                _ => {}
            }
        }
        let used = match leading_date(&date_words, self.latest, self.month_first) {
            Some((date, n)) => {
                cells.date = Some(date);
                n
            }
            None => 0,
        };
        cells.stray = date_words[used..].iter().filter(|w| !is_time(w)).map(|w| w.to_string()).collect();
        // A value date is passed over; text that starts under it is the narration's.
        let mut rest = value_words.as_slice();
        while let Some((_, n)) = leading_date(rest, self.latest, self.month_first) {
            rest = &rest[n..];
        }
        let spill = rest.iter().filter(|w| !is_time(w)).map(|w| w.to_string());
        cells.narration = spill.chain(cells.narration).collect();
        cells
    }
}

impl Cells {
    fn put(&mut self, role: Role, value: i64) {
        match role {
            Role::Debit => self.debit = Some(value),
            Role::Credit => self.credit = Some(value),
            Role::Amount => self.amount = Some(value),
            Role::Balance => self.balance = Some(value),
            _ => {}
        }
    }

    /// `DR`/`CR` after an amount: the amount's sign (a balance's too: an overdrawn account).
    fn sign(&mut self, role: Role, debit: bool) {
        let slot = match role {
            Role::Balance => &mut self.balance,
            Role::Amount => {
                self.debit_flag = Some(debit);
                return;
            }
            _ => return,
        };
        if let Some(v) = slot {
            *v = if debit { -v.abs() } else { v.abs() };
        }
    }
}

fn is_money(role: Role) -> bool {
    matches!(role, Role::Amount | Role::Debit | Role::Credit | Role::Balance)
}

/// `DR`, `Dr`, `D` (money out) or `CR`, `Cr`, `C` (money in).
fn suffix_sign(word: &str) -> Option<bool> {
    match word.trim_end_matches('.').to_ascii_uppercase().as_str() {
        "DR" | "D" | "DB" => Some(true),
        "CR" | "C" => Some(false),
        _ => None,
    }
}

/// The rows as they are assembled line by line, and the balances stated around them.
struct Rows {
    rows: Vec<FileRow>,
    opening: Option<i64>,
    closing: Option<i64>,
    /// Balances stated inside the table, each with how many rows were above it: one between two
    /// rows is a page's carried-forward balance (`Balance C/F`, `Balance B/F`), not the
    /// statement's; an opening balance counts before the first row or in a summary after the
    /// last (`ALTER KONTOSTAND`), a closing one after the last.
    in_table: Vec<(BalanceLabel, i64, usize)>,
    /// The row that following lines may continue, and where its last line was.
    open: Option<Open>,
    step: f32,
    skipped: Vec<SkippedLine>,
}

enum Target {
    Row(usize),
    /// A dated line with a balance and no amount: an opening or closing balance when its
    /// (maybe wrapped) narration says so.
    Balance {
        narration: String,
        balance: i64,
    },
}

struct Open {
    target: Target,
    page: usize,
    y: f32,
}

/// Where a line is, for the report: `page 2 line 540`.
fn place(page: usize, y: f32) -> String {
    format!("page {} line {}", page + 1, y.round())
}

impl Rows {
    fn new(step: f32) -> Self {
        Self {
            rows: Vec::new(),
            opening: None,
            closing: None,
            in_table: Vec::new(),
            open: None,
            step,
            skipped: Vec::new(),
        }
    }

    /// A labelled balance, in the banner above the table or inside it.
    fn stated_balance(&mut self, kind: BalanceLabel, amount: i64, in_banner: bool) {
        self.close_open();
        match (kind, in_banner) {
            (BalanceLabel::Opening, true) => self.opening = self.opening.or(Some(amount)),
            (BalanceLabel::Closing, true) => self.closing = Some(amount),
            (kind, false) => self.in_table.push((kind, amount, self.rows.len())),
        }
    }

    fn line(&mut self, table: &Table, line: &Line, text: &str) {
        let cells = table.cells(line);
        // A header repeated on a later page (a row, which starts with its date, is not one).
        if cells.date.is_none() && header(line).is_some() {
            self.close_open();
            return;
        }
        let amount = cells.amount(table.card);
        let (page, y) = (line.page, line.y);
        match (cells.date, amount, cells.balance) {
            (Some(date), Some(amount), balance) => {
                self.close_open();
                let narration = clean(&[cells.stray, cells.narration].concat().join(" "));
                let reference = Some(clean(&cells.reference.join(" "))).filter(|r| !r.is_empty());
                self.rows.push(FileRow { date, amount, narration, reference, balance });
                self.open = Some(Open { target: Target::Row(self.rows.len() - 1), page, y });
            }
            (Some(_), None, Some(balance)) => {
                self.close_open();
                let narration = clean(&[cells.stray, cells.narration].concat().join(" "));
                self.open = Some(Open { target: Target::Balance { narration, balance }, page, y });
            }
            (Some(_), None, None) => {
                self.close_open();
                self.skip(place(page, y), text, "a dated line with no amount");
            }
            (None, None, None) if cells.stray.is_empty() && self.continues(line) => {
                let open = self.open.as_mut().expect("continues an open row");
                open.y = y;
                let more = cells.narration.join(" ");
                let narration = match &mut open.target {
                    Target::Row(i) => {
                        let row = &mut self.rows[*i];
                        if !cells.reference.is_empty() {
                            let reference = [row.reference.take().unwrap_or_default(), cells.reference.join(" ")];
                            row.reference = Some(clean(&reference.join(" ")));
                        }
                        &mut row.narration
                    }
                    Target::Balance { narration, .. } => narration,
                };
                if !more.is_empty() {
                    *narration = clean(&format!("{narration} {more}"));
                }
            }
            (None, Some(_), _) => {
                self.close_open();
                self.skip(place(page, y), text, "a line with an amount but no date");
            }
            _ => self.close_open(),
        }
    }

    /// A line continues the open row when it is on the same page, close below it, and is not a
    /// total or a page number.
    fn continues(&self, line: &Line) -> bool {
        let Some(open) = &self.open else { return false };
        let lower = line.text().to_lowercase();
        open.page == line.page
            && open.y - line.y <= self.step * 1.8
            && !STOPS.iter().any(|s| lower.trim_start().starts_with(s))
    }

    /// Ends the open row; a balance line whose narration names an opening or closing balance
    /// becomes one, any other is reported.
    fn close_open(&mut self) {
        let Some(Open { target: Target::Balance { narration, balance }, page, y }) = self.open.take() else { return };
        match balance_kind(&narration) {
            Some(kind) => self.stated_balance(kind, balance, false),
            None => self.skip(place(page, y), &narration, "a dated line with a balance but no amount"),
        }
    }

    fn skip(&mut self, at: String, text: &str, reason: &str) {
        if self.skipped.len() < MAX_SKIPPED_LINES {
            self.skipped.push(SkippedLine::new(at, text, reason));
        }
    }

    /// The balances the statement states: the banner's, else the table's (its closing balance
    /// only if no row came after it).
    fn finish(mut self) -> Self {
        self.close_open();
        let all = self.rows.len();
        let outside = |above: usize| above == 0 || above == all;
        let opening = self.in_table.iter().find(|(k, _, above)| matches!(k, BalanceLabel::Opening) && outside(*above));
        let closing =
            self.in_table.iter().rev().find(|(k, _, above)| matches!(k, BalanceLabel::Closing) && *above == all);
        self.opening = self.opening.or(opening.map(|(_, amount, _)| *amount));
        self.closing = self.closing.or(closing.map(|(_, amount, _)| *amount));
        self
    }
}
