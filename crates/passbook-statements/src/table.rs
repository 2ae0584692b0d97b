//! Statements as tables (CSV exports and spreadsheets): find the header row among the banner
//! rows above it, give each column a role from its name (in the languages banks export in),
//! judge each column's date order and decimal separator from all its values, and read the
//! balances stated around the table. A file without a header row is read when its columns
//! prove themselves: a date column, and an amount and balance column whose running balance
//! holds from row to row.
use passbook_domain::statement_file::*;

use crate::text::{DateOrder, clean, date_order, decimal_separator, parse_amount, parse_date};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// With a priority: the booking date wins over the transaction date and the value date.
    Date(u8),
    Amount,
    Debit,
    Credit,
    Balance,
    Narration,
    /// A debit/credit indicator beside unsigned amounts.
    Flag,
    Currency,
    Account,
    Reference,
}

pub(crate) fn role(header: &str) -> Option<Role> {
    let h = header.trim().trim_matches('"').to_lowercase().replace('\u{a0}', " ");
    let h = h.trim();
    let is = |names: &[&str]| names.contains(&h);
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| h.starts_with(p));
    Some(
        if is(&[
            "posted date",
            "posting date",
            "booking date",
            "buchungstag",
            "bu.tag",
            "buchungsdatum",
            "boekdatum",
            "date posted",
        ]) {
            Role::Date(4)
        } else if is(&[
            "date",
            "datum",
            "fecha",
            "data",
            "fecha operacion",
            "fecha operación",
            "date opération",
            "date d'opération",
            "tran date",
            "txn date",
            "trans date",
        ]) {
            Role::Date(3)
        } else if is(&["transaction date", "transactiedatum", "trans. date", "date de transaction"]) {
            Role::Date(2)
        } else if is(&[
            "value date",
            "valutadatum",
            "wertstellung",
            "wert",
            "date de valeur",
            "fecha valor",
            "valuta",
            "value dt",
        ]) {
            Role::Date(1)
        } else if starts(&["amount", "betrag", "bedrag", "importe", "montant", "transaction amount"])
            && !h.contains("original")
            && !h.contains("currency")
        {
            Role::Amount
        } else if starts(&["debit", "débit", "withdrawal", "money out", "paid out", "soll", "belastung", "cargo"])
            && !h.contains("credit")
        {
            Role::Debit
        } else if starts(&[
            "credit",
            "crédit",
            "deposit",
            "money in",
            "paid in",
            "haben",
            "gutschrift",
            "abono",
            "lodgement",
        ]) && !h.contains("debit")
        {
            Role::Credit
        } else if starts(&[
            "balance",
            "running balance",
            "runningbalance",
            "kontostand",
            "saldo",
            "solde",
            "available balance",
        ]) {
            Role::Balance
        } else if is(&[
            "creditdebet",
            "af bij",
            "cr/dr",
            "dr/cr",
            "d/c",
            "c/d",
            "debit/credit",
            "credit/debit",
            "soll/haben",
        ]) {
            Role::Flag
        } else if is(&["currency", "ccy", "währung", "valutacode", "monn.", "devise", "moneda", "divisa", "waehrung"])
        {
            Role::Currency
        } else if is(&[
            "account",
            "account number",
            "account no",
            "kontonummer",
            "rekeningnummer",
            "rekening",
            "iban",
            "produit",
            "cuenta",
            "account no.",
        ]) {
            Role::Account
        } else if is(&[
            "reference",
            "ref",
            "ref.",
            "transaction id",
            "operation number",
            "referentie",
            "n° de transaction",
            "reference id",
            "transaction reference",
            "ref no",
            "reference number",
        ]) {
            Role::Reference
        } else if is(&[
            "description",
            "desc",
            "details",
            "detail",
            "narration",
            "narrative",
            "remarks",
            "remark",
            "label",
            "libellé",
            "libelle",
            "memo",
            "naam / omschrijving",
            "omschrijving",
            "concepto",
            "buchungstext",
            "verwendungszweck",
            "auftraggeber/empfänger",
            "name",
            "payee",
            "reason",
            "mededelingen",
            "tegenrekeninghouder",
            "transaction details",
            "particulars",
            "description 1",
            "description 2",
            "description 3",
            "additional description",
            "beneficiary",
            "counterparty",
            "wir haben für sie gebucht",
            "transaction description",
        ]) || (h.starts_with("vwz") && h[3..].bytes().all(|b| b.is_ascii_digit()))
        {
            Role::Narration
        } else {
            return None;
        },
    )
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
    let header = (0..rows.len().min(40))
        .map(|i| (i, Columns::from_header(&rows[i])))
        .filter(|(_, c)| c.is_statement())
        .max_by_key(|(i, c)| (c.named(), std::cmp::Reverse(*i)));
    let (start, columns) = match header {
        Some((i, columns)) => (i + 1, columns),
        None => (
            0,
            infer_columns(rows).ok_or_else(|| {
                ReadError::Unsupported(
                "No header row with a date and an amount column was found, and the columns could not be told apart \
                 from their values. Export the statement with column headers."
                    .into(),
            )
            })?,
        ),
    };
    let mut meta = Metadata::read(&rows[..start.saturating_sub(1)]);
    if meta.currency.is_none() && start > 0 {
        meta.currency = rows[start - 1].iter().find_map(|h| header_currency(h));
    }
    let body = &rows[start..];
    let cell =
        |row: &[String], i: Option<usize>| i.and_then(|i| row.get(i)).map(|s| s.trim().to_string()).unwrap_or_default();
    let (date_col, _) = columns.date.expect("a statement table has a date column");
    let dated: Vec<&Vec<String>> = body
        .iter()
        .filter(|r| !cell(r, Some(date_col)).is_empty() && looks_like_date(&cell(r, Some(date_col))))
        .collect();
    let amount_values: Vec<String> = dated
        .iter()
        .flat_map(|r| [columns.amount, columns.debit, columns.credit, columns.balance].map(|c| cell(r, c)))
        .filter(|v| !v.is_empty())
        .collect();
    let currency_values: Vec<String> = dated.iter().map(|r| cell(r, columns.currency)).collect();
    let month_first = amount_values.iter().any(|v| v.contains('$'))
        || currency_values.iter().any(|c| c == "USD")
        || meta.currency.as_deref() == Some("USD");
    let date_values: Vec<String> = dated.iter().map(|r| cell(r, Some(date_col))).collect();
    let order = date_order(date_values.iter().map(String::as_str), month_first)
        .ok_or_else(|| ReadError::Malformed("the date column holds values that are not dates".into()))?;
    let decimal = decimal_separator(amount_values.iter().map(String::as_str));
    let mut accounts: Vec<FileAccount> = Vec::new();
    let mut opening = meta.opening;
    let mut closing = meta.closing;
    for row in body {
        let date_text = cell(row, Some(date_col));
        let Some(date) = parse_date(&date_text, order) else {
            // Balance rows below the table (opening or closing), or a footer.
            if let Some((label, amount)) = balance_row(row, decimal) {
                match label {
                    BalanceLabel::Opening => opening = Some(amount),
                    BalanceLabel::Closing => closing = Some(amount),
                }
            }
            continue;
        };
        let amount = row_amount(row, &columns, decimal, &cell)?;
        let balance = columns.balance.map(|c| cell(row, Some(c))).filter(|v| !v.is_empty());
        let balance = match balance {
            Some(v) => {
                let stated = parse_amount(&v, decimal)
                    .ok_or_else(|| ReadError::Malformed(format!("the balance '{v}' is not an amount")))?;
                Some(if columns.balance_before { stated + amount } else { stated })
            }
            None => None,
        };
        let narration = clean(
            &columns
                .narration
                .iter()
                .map(|c| cell(row, Some(*c)))
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        );
        let currency =
            Some(cell(row, columns.currency).to_uppercase()).filter(|c| !c.is_empty()).or(meta.currency.clone());
        let number = Some(cell(row, columns.account)).filter(|a| !a.is_empty()).or(meta.account.clone());
        let reference = Some(cell(row, columns.reference)).filter(|r| !r.is_empty());
        let account = match accounts.iter_mut().position(|a| a.account_number == number && a.currency == currency) {
            Some(i) => &mut accounts[i],
            None => {
                accounts.push(FileAccount {
                    account_number: number,
                    currency,
                    holder: meta.holder.clone(),
                    bank_id: meta.bank.clone(),
                    ..FileAccount::default()
                });
                accounts.last_mut().expect("just pushed")
            }
        };
        account.rows.push(FileRow { date, amount, narration, reference, balance });
    }
    if let [only] = accounts.as_mut_slice() {
        only.opening = opening.map(|amount| StatedBalance { amount, date: None });
        only.closing = closing.map(|amount| StatedBalance { amount, date: None });
    }
    Ok(StatementFile { format, accounts })
}

/// `Bedrag (EUR)`, `Amount (NGN)`: the currency a header names.
fn header_currency(header: &str) -> Option<String> {
    let inner = header.split_once('(')?.1.split_once(')')?.0.trim();
    (inner.len() == 3 && inner.bytes().all(|b| b.is_ascii_alphabetic())).then(|| inner.to_uppercase())
}

fn looks_like_date(text: &str) -> bool {
    text.bytes().filter(u8::is_ascii_digit).count() >= 4
        && [DateOrder::YearMonthDay, DateOrder::DayMonthYear, DateOrder::MonthDayYear]
            .iter()
            .any(|o| parse_date(text, *o).is_some())
}

fn row_amount(
    row: &[String],
    c: &Columns,
    decimal: char,
    cell: &dyn Fn(&[String], Option<usize>) -> String,
) -> Result<i64, ReadError> {
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

enum BalanceLabel {
    Opening,
    Closing,
}

/// A row such as `Balance at start of period,,,,"+31070,11"` or `Closing balance | 1,234.00`.
fn balance_row(row: &[String], decimal: char) -> Option<(BalanceLabel, i64)> {
    let label = row.iter().find(|c| !c.trim().is_empty())?.to_lowercase();
    let kind = if [
        "start of period",
        "opening balance",
        "brought forward",
        "saldo inicial",
        "beginsaldo",
        "anfangssaldo",
        "solde initial",
        "opening",
    ]
    .iter()
    .any(|l| label.contains(l))
    {
        BalanceLabel::Opening
    } else if [
        "end of period",
        "closing balance",
        "carried forward",
        "saldo final",
        "eindsaldo",
        "endsaldo",
        "solde final",
        "closing",
    ]
    .iter()
    .any(|l| label.contains(l))
    {
        BalanceLabel::Closing
    } else {
        return None;
    };
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

impl Metadata {
    fn read(rows: &[Vec<String>]) -> Self {
        let mut meta = Metadata::default();
        let cells: Vec<&String> = rows.iter().flatten().collect();
        let decimal = decimal_separator(cells.iter().map(|c| c.as_str()));
        for (r, row) in rows.iter().enumerate() {
            // Banners that put the value under its label (`Titular` above the holder's name).
            for (c, cell) in row.iter().enumerate() {
                let below = rows.get(r + 1).and_then(|next| next.get(c)).map(|v| v.trim()).filter(|v| !v.is_empty());
                let (Some(value), label) = (below, cell.trim().to_lowercase()) else { continue };
                if ["titular", "account holder", "account name", "holder"].contains(&label.as_str()) {
                    meta.holder = Some(value.to_string());
                } else if ["iban", "account number", "cuenta", "account no"].contains(&label.as_str())
                    || label.starts_with("cuenta ")
                {
                    meta.account = Some(value.to_string());
                }
            }
            if let Some((label, amount)) = balance_row(row, decimal) {
                match label {
                    BalanceLabel::Opening => meta.opening = Some(amount),
                    BalanceLabel::Closing => meta.closing = Some(amount),
                }
            }
            for cell in row {
                let Some((key, value)) = cell.split_once(':') else { continue };
                let (key, value) = (key.trim().to_lowercase(), value.trim());
                if value.is_empty() {
                    continue;
                }
                if key.is_empty() && value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase())
                    || key == "currency"
                {
                    meta.currency = Some(value.to_uppercase());
                } else if ["account number", "account no", "account", "iban", "cuenta", "rekeningnummer"]
                    .contains(&key.as_str())
                {
                    meta.account = Some(value.to_string());
                } else if ["account name", "name", "titular", "account holder"].contains(&key.as_str()) {
                    meta.holder = Some(value.to_string());
                } else if ["bank code", "bank", "bic", "sort code"].contains(&key.as_str()) {
                    meta.bank = Some(value.to_string());
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
                return Some(Columns {
                    date: Some((date, 3)),
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
