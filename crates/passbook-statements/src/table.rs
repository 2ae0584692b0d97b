//! Statements as tables (CSV exports and spreadsheets): find the header row among the banner
//! rows above it, give each column a role from its name (in the languages banks export in),
//! judge each column's date order and decimal separator from all its values, and read the
//! balances stated around the table. A file without a header row is read when its columns
//! prove themselves: a date column, and an amount and balance column whose running balance
//! holds from row to row.
use passbook_domain::statement_file::{
    FileAccount, FileFormat, FileRow, MAX_SKIPPED_LINES, ReadError, SkippedLine, StatedBalance, StatementFile,
};

use crate::header_names::{Role, role};
use crate::text::{DateOrder, clean, date_order, decimal_separator, parse_amount, parse_date};

/// The most cells with a value a statement table may hold (100,000 rows of 15 columns), and
/// the most columns a line may have: what one read may keep in memory, whatever the file.
pub(crate) const MAX_CELLS: usize = 1_500_000;
pub(crate) const MAX_LINE_COLUMNS: usize = 256;

/// Counts the cells a reader keeps and refuses the file past `MAX_CELLS`.
#[derive(Default)]
pub(crate) struct CellBudget {
    cells: usize,
}

impl CellBudget {
    /// `at` names the place, for the refusal only (it is not worked out otherwise).
    pub(crate) fn spend(&mut self, cells: usize, columns: usize, at: impl FnOnce() -> String) -> Result<(), ReadError> {
        if columns > MAX_LINE_COLUMNS {
            return Err(ReadError::Unsafe(format!(
                "{} has {columns} columns; a statement has at most {MAX_LINE_COLUMNS}",
                at()
            )));
        }
        self.cells += cells;
        if self.cells > MAX_CELLS {
            return Err(ReadError::Unsafe(format!(
                "it holds more than {MAX_CELLS} cells with a value (reached at {}); a statement of 100,000 rows \
                 holds fewer",
                at()
            )));
        }
        Ok(())
    }
}

/// The columns a header names.
#[derive(Debug, Default)]
struct Columns {
    date: Option<(usize, u8)>,
    amount: Option<usize>,
    debit: Option<usize>,
    credit: Option<usize>,
    balance: Option<usize>,
    flag: Option<usize>,
    currency: Option<usize>,
    account: Option<usize>,
    reference: Option<usize>,
    narration: Vec<usize>,
    /// The balance column shows the balance before each row (inferred headerless tables).
    balance_before: bool,
}

impl Columns {
    fn from_header(row: &[String]) -> Self {
        let mut c = Columns::default();
        for (i, cell) in row.iter().enumerate() {
            match role(cell) {
                Some(Role::Date(p)) if c.date.is_none_or(|(_, q)| p > q) => c.date = Some((i, p)),
                Some(Role::Amount) if c.amount.is_none() => c.amount = Some(i),
                Some(Role::Debit) if c.debit.is_none() => c.debit = Some(i),
                Some(Role::Credit) if c.credit.is_none() => c.credit = Some(i),
                Some(Role::Balance) if c.balance.is_none() => c.balance = Some(i),
                Some(Role::Flag) if c.flag.is_none() => c.flag = Some(i),
                Some(Role::Currency) if c.currency.is_none() => c.currency = Some(i),
                Some(Role::Account) if c.account.is_none() => c.account = Some(i),
                Some(Role::Reference) if c.reference.is_none() => c.reference = Some(i),
                Some(Role::Narration) => c.narration.push(i),
                _ => {}
            }
        }
        c
    }

    fn is_statement(&self) -> bool {
        self.date.is_some() && (self.amount.is_some() || self.debit.is_some() || self.credit.is_some())
    }

    fn named(&self) -> usize {
        [
            self.date.map(|d| d.0),
            self.amount,
            self.debit,
            self.credit,
            self.balance,
            self.flag,
            self.currency,
            self.account,
            self.reference,
        ]
        .iter()
        .flatten()
        .count()
            + self.narration.len()
    }
}

/// Reads the table's rows (cells as text) into accounts: one per account and currency column
/// value, or one for the whole table.
pub fn read(rows: &[Vec<String>], format: FileFormat) -> Result<StatementFile, ReadError> {
    let (start, columns) = find_header(rows)?;
    let table = Table::judge(rows, start, columns)?;
    let mut accounts: Vec<FileAccount> = Vec::new();
    let mut skipped = Vec::new();
    let (mut opening, mut closing) = (table.meta.opening, table.meta.closing);
    for (i, row) in rows[start..].iter().enumerate() {
        passbook_domain::read_deadline::check()?;
        let line = start + i + 1;
        let reason = match table.line(row, line)? {
            Line::Transaction { row, number, currency } => {
                table.account(&mut accounts, number, currency).rows.push(row);
                continue;
            }
            Line::Balance { label: BalanceLabel::Opening, amount, dated } => {
                // A dated `Opening Balance` row does not replace one stated above the table.
                opening = if dated { opening.or(Some(amount)) } else { Some(amount) };
                "the opening balance"
            }
            Line::Balance { label: BalanceLabel::Closing, amount, .. } => {
                closing = Some(amount);
                "the closing balance"
            }
            Line::PassedOver(reason) => reason,
        };
        // The line's text, for the report.
        let text = row.join(" ");
        if skipped.len() < MAX_SKIPPED_LINES && !text.trim().is_empty() {
            skipped.push(SkippedLine::new(line.to_string(), &text, reason));
        }
    }
    if let [only] = accounts.as_mut_slice() {
        only.opening = opening.map(|amount| StatedBalance { amount, date: None });
        only.closing = closing.map(|amount| StatedBalance { amount, date: None });
    }
    Ok(StatementFile { format, accounts, skipped, evidence: Vec::new() })
}

/// The row after the header (0 without one) and the columns: the header among the first 40
/// rows that names the most columns, or columns told apart by their values.
fn find_header(rows: &[Vec<String>]) -> Result<(usize, Columns), ReadError> {
    let header = (0..rows.len().min(40))
        .map(|i| (i, Columns::from_header(&rows[i])))
        .filter(|(_, c)| c.is_statement())
        .max_by_key(|(i, c)| (c.named(), std::cmp::Reverse(*i)));
    if let Some((i, columns)) = header {
        return Ok((i + 1, columns));
    }
    let columns = infer_columns(rows).ok_or_else(|| {
        ReadError::Unsupported(
            "No header row with a date and an amount column was found, and the columns could not be told apart \
             from their values. Export the statement with column headers."
                .into(),
        )
    })?;
    Ok((0, columns))
}

/// A cell's text, trimmed; `--` stands for an empty cell in wallet statements.
fn cell(row: &[String], i: Option<usize>) -> String {
    let v = i.and_then(|i| row.get(i)).map(|s| s.trim()).unwrap_or_default();
    if v.chars().all(|c| matches!(c, '-' | '–')) { String::new() } else { v.to_string() }
}

/// A table whose columns are known, judged from all its values: how its dates and amounts are
/// written, and what the rows above the header say.
struct Table {
    columns: Columns,
    date_column: usize,
    order: DateOrder,
    decimal: char,
    meta: Metadata,
}

/// What one line of the table is.
enum Line {
    Transaction {
        row: FileRow,
        number: Option<String>,
        currency: Option<String>,
    },
    /// A stated balance: below the table, or on a dated row of its own (`dated`).
    Balance {
        label: BalanceLabel,
        amount: i64,
        dated: bool,
    },
    PassedOver(&'static str),
}

impl Table {
    fn judge(rows: &[Vec<String>], start: usize, columns: Columns) -> Result<Self, ReadError> {
        let mut meta = Metadata::read(&rows[..start.saturating_sub(1)]);
        if meta.currency.is_none() && start > 0 {
            meta.currency = rows[start - 1].iter().find_map(|h| header_currency(h));
        }
        let (date_column, _) = columns.date.expect("a statement table has a date column");
        let dated: Vec<&Vec<String>> =
            rows[start..].iter().filter(|r| looks_like_date(&cell(r, Some(date_column)))).collect();
        let amount_values: Vec<String> = dated
            .iter()
            .flat_map(|r| [columns.amount, columns.debit, columns.credit, columns.balance].map(|c| cell(r, c)))
            .filter(|v| !v.is_empty())
            .collect();
        if meta.currency.is_none() && columns.currency.is_none() {
            meta.currency = symbol_currency(amount_values.iter().map(String::as_str));
        }
        let month_first = amount_values.iter().any(|v| v.contains('$'))
            || dated.iter().any(|r| cell(r, columns.currency) == "USD")
            || meta.currency.as_deref() == Some("USD");
        let date_values: Vec<String> = dated.iter().map(|r| cell(r, Some(date_column))).collect();
        let order = date_order(date_values.iter().map(String::as_str), month_first)
            .ok_or_else(|| ReadError::Malformed("the date column holds values that are not dates".into()))?;
        let decimal = decimal_separator(amount_values.iter().map(String::as_str));
        Ok(Self { columns, date_column, order, decimal, meta })
    }

    fn line(&self, row: &[String], line: usize) -> Result<Line, ReadError> {
        let Some(date) = parse_date(&cell(row, Some(self.date_column)), self.order) else {
            // Balance rows below the table (opening or closing), or a footer.
            return Ok(match balance_row(row, self.decimal) {
                Some((label, amount)) => Line::Balance { label, amount, dated: false },
                None if Columns::from_header(row).is_statement() => Line::PassedOver("the header, repeated"),
                None => Line::PassedOver("no date in the date column"),
            });
        };
        let narration = clean(
            &self
                .columns
                .narration
                .iter()
                .map(|c| cell(row, Some(*c)))
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        );
        if let Some((label, amount)) = self.dated_balance(row, &narration) {
            return Ok(Line::Balance { label, amount, dated: true });
        }
        let amount = row_amount(row, &self.columns, self.decimal).map_err(|e| at_line(e, line))?;
        let balance = match Some(cell(row, self.columns.balance)).filter(|v| !v.is_empty()) {
            Some(v) => {
                let stated = parse_amount(&v, self.decimal)
                    .ok_or_else(|| ReadError::Malformed(format!("line {line}: the balance '{v}' is not an amount")))?;
                Some(if self.columns.balance_before { stated + amount } else { stated })
            }
            None => None,
        };
        Ok(Line::Transaction {
            currency: currency_code(&cell(row, self.columns.currency)).or(self.meta.currency.clone()),
            number: Some(cell(row, self.columns.account)).filter(|a| !a.is_empty()).or(self.meta.account.clone()),
            row: FileRow {
                date,
                amount,
                narration,
                reference: Some(cell(row, self.columns.reference)).filter(|r| !r.is_empty()),
                balance,
            },
        })
    }

    /// `Opening Balance` or `Balance B/F` on a dated row of its own, with no money moving: a
    /// balance. (The amounts first: they rule out almost every row at once.)
    fn dated_balance(&self, row: &[String], narration: &str) -> Option<(BalanceLabel, i64)> {
        let moves = [self.columns.amount, self.columns.debit, self.columns.credit]
            .iter()
            .any(|c| !cell(row, *c).is_empty() && parse_amount(&cell(row, *c), self.decimal) != Some(0));
        if moves {
            return None;
        }
        let label = balance_kind(narration)?;
        let stated = self.columns.balance.and_then(|c| parse_amount(&cell(row, Some(c)), self.decimal))?;
        Some((label, stated))
    }

    /// The account a row belongs to, by its number and currency: one met before, or a new one.
    fn account<'a>(
        &self,
        accounts: &'a mut Vec<FileAccount>,
        number: Option<String>,
        currency: Option<String>,
    ) -> &'a mut FileAccount {
        match accounts.iter().position(|a| a.account_number == number && a.currency == currency) {
            Some(i) => &mut accounts[i],
            None => {
                accounts.push(FileAccount {
                    account_number: number,
                    currency,
                    holder: self.meta.holder.clone(),
                    bank_id: self.meta.bank.clone(),
                    ..FileAccount::default()
                });
                accounts.last_mut().expect("just pushed")
            }
        }
    }
}

/// A reader's complaint about one line, with the line named.
fn at_line(err: ReadError, line: usize) -> ReadError {
    match err {
        ReadError::Malformed(why) => ReadError::Malformed(format!("line {line}: {why}")),
        other => other,
    }
}

/// The currency the amounts' own symbols state (`₦12,500.00`, `NGN 5,000`), where they agree.
fn symbol_currency<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut found: Option<&str> = None;
    for v in values {
        let code = if v.contains('₦') || v.to_ascii_uppercase().contains("NGN") {
            "NGN"
        } else if v.contains('€') {
            "EUR"
        } else if v.contains('£') {
            "GBP"
        } else {
            continue;
        };
        if found.is_some_and(|f| f != code) {
            return None;
        }
        found = Some(code);
    }
    found.map(str::to_string)
}

/// `Bedrag (EUR)`, `Amount (NGN)`: the currency a header names.
fn header_currency(header: &str) -> Option<String> {
    currency_code(header.split_once('(')?.1.split_once(')')?.0)
}

fn looks_like_date(text: &str) -> bool {
    text.bytes().filter(u8::is_ascii_digit).count() >= 3
        && [DateOrder::YearMonthDay, DateOrder::DayMonthYear, DateOrder::MonthDayYear]
            .iter()
            .any(|o| parse_date(text, *o).is_some())
}

fn row_amount(row: &[String], c: &Columns, decimal: char) -> Result<i64, ReadError> {
    let parse = |v: &str| {
        parse_amount(v, decimal).ok_or_else(|| ReadError::Malformed(format!("the amount '{v}' is not an amount")))
    };
    if let Some(i) = c.amount {
        let raw = cell(row, Some(i));
        let amount = if raw.is_empty() { 0 } else { parse(&raw)? };
        return Ok(match c.flag.map(|f| cell(row, Some(f)).to_lowercase()) {
            Some(flag) if matches!(flag.as_str(), "d" | "af" | "debit" | "dr" | "db" | "debet" | "s" | "soll") => {
                -amount.abs()
            }
            Some(flag) if matches!(flag.as_str(), "c" | "bij" | "credit" | "cr" | "h" | "haben") => amount.abs(),
            _ => amount,
        });
    }
    let debit = cell(row, c.debit);
    let credit = cell(row, c.credit);
    let debit = if debit.is_empty() { 0 } else { parse(&debit)?.abs() };
    let credit = if credit.is_empty() { 0 } else { parse(&credit)?.abs() };
    Ok(credit - debit)
}

pub(crate) enum BalanceLabel {
    Opening,
    Closing,
}

/// What a label says of a balance: `Opening Balance`, `Balance B/F`, `Saldo iniziale`, …
pub(crate) fn balance_kind(label: &str) -> Option<BalanceLabel> {
    let label = label.to_lowercase();
    let has = |labels: &[&str]| labels.iter().any(|l| label.contains(l));
    if has(&[
        "start of period",
        "opening balance",
        "brought forward",
        "balance b/f",
        "bal b/f",
        "balance bf",
        "saldo inicial",
        "saldo iniziale",
        "saldo anterior",
        "beginsaldo",
        "anfangssaldo",
        "solde initial",
        "previous balance",
        "opening",
    ]) {
        Some(BalanceLabel::Opening)
    } else if has(&[
        "end of period",
        "closing balance",
        "carried forward",
        "balance c/f",
        "bal c/f",
        "balance cf",
        "saldo final",
        "saldo finale",
        "saldo atual",
        "eindsaldo",
        "endsaldo",
        "solde final",
        "closing",
    ]) {
        Some(BalanceLabel::Closing)
    } else {
        None
    }
}

/// A row such as `Balance at start of period,,,,"+31070,11"` or `Closing balance | 1,234.00`.
fn balance_row(row: &[String], decimal: char) -> Option<(BalanceLabel, i64)> {
    let kind = balance_kind(row.iter().find(|c| !c.trim().is_empty())?)?;
    let amount = row.iter().skip(1).filter(|c| !c.trim().is_empty()).find_map(|c| parse_amount(c, decimal))?;
    Some((kind, amount))
}

/// What the banner rows above the header say: `Account Number : 0808…`, `: EUR`, balances.
#[derive(Default)]
struct Metadata {
    account: Option<String>,
    holder: Option<String>,
    bank: Option<String>,
    currency: Option<String>,
    opening: Option<i64>,
    closing: Option<i64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Field {
    Account,
    Holder,
    Bank,
    Currency,
}

/// What a banner label names: `Account Number`, `A/C No.`, `Account Name`, `Currency`, …
fn field(label: &str) -> Option<Field> {
    let l = clean(&label.trim().trim_end_matches([':', '.', '#']).to_lowercase());
    let l = l.as_str();
    Some(match l {
        "account number" | "account no" | "account" | "iban" | "cuenta" | "rekeningnummer" | "a/c no"
        | "a/c number" | "acct no" | "acct. no" | "account num" | "nuban" | "account #" | "wallet number"
        | "card number" | "card no" | "numero conto" | "conto" | "conta" | "número da conta" | "numero da conta" => {
            Field::Account
        }
        _ if l.starts_with("cuenta ") => Field::Account,
        "account name" | "name" | "titular" | "account holder" | "customer name" | "holder" | "intestatario"
        | "titular da conta" => Field::Holder,
        "bank code" | "bank" | "bic" | "sort code" | "branch" => Field::Bank,
        "currency" | "account currency" | "ccy" | "valuta" | "divisa" | "moeda" => Field::Currency,
        _ => return None,
    })
}

/// A value that can be what `field` names.
fn fits(field: Field, value: &str) -> bool {
    match field {
        Field::Account => {
            let masked = value.bytes().filter(|b| matches!(b, b'*' | b'X' | b'x')).count();
            value.bytes().filter(u8::is_ascii_digit).count() >= 4
                || (masked >= 4 && value.len() >= 8 && !value.contains(' '))
        }
        Field::Currency => currency_code(value).is_some(),
        Field::Holder | Field::Bank => value.chars().any(char::is_alphanumeric),
    }
}

/// Another banner label (so not the value of the label before it).
fn is_label(text: &str) -> bool {
    let l = text.trim().to_lowercase();
    field(&l).is_some()
        || l.ends_with(':')
        || [
            "saldo",
            "balance",
            "address",
            "period",
            "statement period",
            "date",
            "fecha",
            "datum",
            "opening balance",
            "closing balance",
            "available balance",
            "movimientos",
            "print date",
            "branch address",
            "account type",
        ]
        .contains(&l.as_str())
}

/// `NGN`, `ngn`, `₦`, `Naira`: an ISO 4217 code.
pub(crate) fn currency_code(value: &str) -> Option<String> {
    let v = value.trim();
    match v {
        "₦" => return Some("NGN".into()),
        _ if v.eq_ignore_ascii_case("naira") => return Some("NGN".into()),
        _ => {}
    }
    (v.len() == 3 && v.bytes().all(|b| b.is_ascii_alphabetic())).then(|| v.to_ascii_uppercase())
}

impl Metadata {
    fn set(&mut self, field: Field, value: &str) {
        let value = value.trim().to_string();
        match field {
            Field::Account => self.account = Some(value),
            Field::Holder => self.holder = Some(value),
            Field::Bank => self.bank = Some(value),
            Field::Currency => self.currency = currency_code(&value),
        }
    }

    fn read(rows: &[Vec<String>]) -> Self {
        let mut meta = Metadata::default();
        let cells: Vec<&String> = rows.iter().flatten().collect();
        let decimal = decimal_separator(cells.iter().map(|c| c.as_str()));
        for (r, row) in rows.iter().enumerate() {
            if let Some((label, amount)) = balance_row(row, decimal) {
                match label {
                    BalanceLabel::Opening => meta.opening = Some(amount),
                    BalanceLabel::Closing => meta.closing = Some(amount),
                }
            }
            for (c, cell) in row.iter().enumerate() {
                // `Account Number : 0123456789` in one cell.
                if let Some((key, value)) = cell.split_once(':').filter(|(_, v)| !v.trim().is_empty()) {
                    let value = value.trim();
                    if key.trim().is_empty() && value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase()) {
                        meta.currency = Some(value.to_string());
                    } else if let Some(f) = field(key).filter(|f| fits(*f, value)) {
                        meta.set(f, value);
                    }
                    continue;
                }
                // The value beside its label, or under it (`Titular` above the holder's name).
                let Some(f) = field(cell) else { continue };
                let beside = row[c + 1..].iter().map(|v| v.trim()).find(|v| !v.is_empty());
                let below = rows.get(r + 1).and_then(|next| next.get(c)).map(|v| v.trim()).filter(|v| !v.is_empty());
                if let Some(value) = [beside, below].into_iter().flatten().find(|v| fits(f, v) && !is_label(v)) {
                    meta.set(f, value.trim_start_matches(':'));
                }
            }
        }
        meta
    }
}

/// A table without a header: a column of dates, and two numeric columns where one is the
/// balance before (or after) each row and the other the row's amount, proven by the running
/// balance holding on every row.
fn infer_columns(rows: &[Vec<String>]) -> Option<Columns> {
    let rows: Vec<&Vec<String>> = rows.iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
    if rows.len() < 2 {
        return None;
    }
    let width = rows.iter().map(|r| r.len()).min()?;
    let column = |i: usize| rows.iter().map(move |r| r[i].trim());
    let date = (0..width).find(|&i| date_order(column(i), false).is_some() && column(i).all(looks_like_date))?;
    let numeric: Vec<(usize, Vec<i64>)> = (0..width)
        .filter(|&i| i != date)
        .filter_map(|i| {
            let values: Vec<&str> = column(i).collect();
            if values.iter().any(|v| v.is_empty() || !v.contains('.') && !v.contains(',')) {
                return None;
            }
            let decimal = decimal_separator(values.iter().copied());
            let parsed: Option<Vec<i64>> = values.iter().map(|v| parse_amount(v, decimal)).collect();
            parsed.map(|p| (i, p))
        })
        .collect();
    for (b, before) in &numeric {
        for (a, amount) in &numeric {
            if a == b {
                continue;
            }
            let chain = (0..before.len() - 1).all(|i| before[i] + amount[i] == before[i + 1]);
            if chain {
                let text: Vec<usize> = (0..width)
                    .filter(|&i| {
                        i != date
                            && i != *a
                            && i != *b
                            && column(i).any(|v| v.chars().any(char::is_alphabetic) && v.len() > 3)
                    })
                    .collect();
                let account = (0..width).find(|&i| {
                    let first = rows[0][i].trim();
                    first.len() >= 10
                        && first.chars().take(2).all(|c| c.is_ascii_uppercase())
                        && column(i).all(|v| v == first)
                });
                let currency =
                    (0..width).find(|&i| column(i).all(|v| v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase())));
                return Some(Columns {
                    date: Some((date, 3)),
                    currency,
                    amount: Some(*a),
                    balance: Some(*b),
                    balance_before: true,
                    narration: text.into_iter().filter(|t| Some(*t) != account).collect(),
                    account,
                    ..Columns::default()
                });
            }
        }
    }
    None
}
