//! SWIFT MT940 customer statements, with the dialects banks write: SWIFT block envelopes
//! (`{1:…}{2:…}{4:` … `-}`), prose preambles, SOH/ETX control characters, funds codes after the
//! debit/credit mark (`CR300,`, `DD212,39`), entry dates left blank, `:86:` narrations over
//! several lines, and several statements for several accounts in one file.
use passbook_domain::Timestamp;
use passbook_domain::statement_file::{
    FileAccount, FileFormat, FileRow, ReadError, Segment, StatedBalance, StatementFile,
};

use crate::text::{clean, day, decode, full_year, parse_amount};

pub fn sniff(text: &str) -> bool {
    let head: String = text.chars().take(4096).collect();
    head.contains(":20:") && (head.contains(":25:") || head.contains(":60F:") || head.contains(":60M:"))
}

/// One `:tag:` field with its continuation lines.
struct Field<'a> {
    tag: &'a str,
    lines: Vec<&'a str>,
}

pub fn read(bytes: &[u8]) -> Result<StatementFile, ReadError> {
    let text = decode(bytes).replace(['\u{1}', '\u{3}'], "");
    let mut walk = Walk::default();
    for field in &fields(&text) {
        passbook_domain::read_deadline::check()?;
        walk.field(field)?;
    }
    let statements = walk.finish();
    if statements.is_empty() {
        return Err(ReadError::NothingFound("no MT940 statement (:20:) in the file".into()));
    }
    Ok(StatementFile::new(FileFormat::Mt940, join(statements)))
}

/// The statements read so far, the one being read (its account, what it holds, its segment),
/// and the row whose `:86:` may still follow.
#[derive(Default)]
struct Walk {
    statements: Vec<(String, FileAccount, Segment)>,
    current: Option<(String, FileAccount, Segment)>,
    pending: Option<FileRow>,
}

impl Walk {
    fn field(&mut self, field: &Field) -> Result<(), ReadError> {
        let value = field.lines.first().copied().unwrap_or_default().trim();
        match field.tag {
            "20" => {
                self.flush();
                self.statements.extend(self.current.take());
                let segment = Segment { first_row: 0, rows: 0, opening: None, closing: None };
                self.current = Some((String::new(), FileAccount::default(), segment));
            }
            "25" => {
                if let Some((account, _, _)) = self.current.as_mut() {
                    *account = value.to_string();
                }
            }
            "60F" | "60M" => {
                let (balance, currency) = balance(value)?;
                if let Some((_, file, segment)) = self.current.as_mut() {
                    segment.opening = Some(balance.amount);
                    file.opening = Some(balance);
                    file.currency = Some(currency);
                }
            }
            "61" => {
                self.flush();
                self.pending = Some(statement_line(field)?);
            }
            "86" => self.narrate(field),
            "62F" | "62M" => {
                self.flush();
                let (balance, _) = balance(value)?;
                if let Some((_, file, segment)) = self.current.as_mut() {
                    segment.closing = Some(balance.amount);
                    file.closing = Some(balance);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// An `:86:` adds to the row before it; a statement-level one (Danske Bank) describes no row.
    fn narrate(&mut self, field: &Field) {
        let narration = clean(&field.lines.iter().map(|l| strip_subfields(l)).collect::<Vec<_>>().join(" "));
        if let Some(row) = self.pending.as_mut() {
            row.narration = if row.narration.is_empty() { narration } else { format!("{} {narration}", row.narration) };
        }
    }

    fn flush(&mut self) {
        flush(&mut self.pending, self.current.as_mut());
    }

    fn finish(mut self) -> Vec<(String, FileAccount, Segment)> {
        self.flush();
        self.statements.extend(self.current.take());
        self.statements
    }
}

fn flush(pending: &mut Option<FileRow>, current: Option<&mut (String, FileAccount, Segment)>) {
    if let (Some(row), Some((_, file, segment))) = (pending.take(), current) {
        file.rows.push(row);
        segment.rows += 1;
    }
}

/// The fields of the message(s), envelopes and preambles left out.
fn fields(text: &str) -> Vec<Field<'_>> {
    let mut out: Vec<Field<'_>> = Vec::new();
    let mut started = false;
    for raw in text.lines() {
        // `{1:F01…}{2:O940…}{4:` may share a line with the first field.
        let line = match raw.rfind("{4:") {
            Some(at) => &raw[at + 3..],
            None => raw,
        };
        let trimmed = line.trim_end();
        if trimmed.starts_with("-}") || trimmed == "-" || trimmed.starts_with("{5:") || trimmed.is_empty() && !started {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix(':')
            && let Some(end) = rest.find(':')
            && (2..=3).contains(&end)
            && rest.get(..2).is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
        {
            started = true;
            out.push(Field { tag: &rest[..end], lines: vec![&rest[end + 1..]] });
            continue;
        }
        if let Some(last) = out.last_mut()
            && started
            && !trimmed.is_empty()
        {
            last.lines.push(trimmed);
        }
    }
    out
}

/// `C140507EUR0,` → the balance and its currency.
fn balance(value: &str) -> Result<(StatedBalance, String), ReadError> {
    let bad = || ReadError::Malformed(format!("the balance '{value}' is not an MT940 balance"));
    let mark = value.chars().next().ok_or_else(bad)?;
    let date = yymmdd(value.get(1..7).ok_or_else(bad)?).ok_or_else(bad)?;
    let currency = value.get(7..10).ok_or_else(bad)?.to_string();
    let amount = parse_amount(value.get(10..).ok_or_else(bad)?, ',').ok_or_else(bad)?;
    let amount = match mark {
        'C' => amount,
        'D' => -amount,
        _ => return Err(bad()),
    };
    Ok((StatedBalance { amount, date: Some(date) }, currency))
}

fn yymmdd(text: &str) -> Option<Timestamp> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    day(full_year(text[..2].parse().ok()?), text[2..4].parse().ok()?, text[4..6].parse().ok()?)
}

/// A `:61:` line: value date, optional entry date, mark (`C`, `D`, `RC`, `RD`) and funds code,
/// amount, transaction type, references, and a supplementary line.
fn statement_line(field: &Field<'_>) -> Result<FileRow, ReadError> {
    let line = field.lines[0].trim_end();
    let bad = |why: &str| ReadError::Malformed(format!("the statement line ':61:{line}' {why}"));
    let value_date =
        yymmdd(line.get(..6).ok_or_else(|| bad("is too short"))?).ok_or_else(|| bad("has no valid value date"))?;
    let mut rest = &line[6..];
    let mut date = value_date;
    // The entry (booking) date, MMDD, in the value date's year (or the one before or after).
    if let Some(mmdd) = rest.get(..4) {
        if mmdd.bytes().all(|b| b.is_ascii_digit()) {
            date = entry_date(value_date, mmdd).unwrap_or(value_date);
            rest = &rest[4..];
        } else if mmdd == "    " {
            rest = &rest[4..];
        }
    }
    let (sign, after_mark) = if let Some(r) = rest.strip_prefix("RC") {
        (-1, r)
    } else if let Some(r) = rest.strip_prefix("RD") {
        (1, r)
    } else if let Some(r) = rest.strip_prefix("EC").or_else(|| rest.strip_prefix('C')) {
        (1, r)
    } else if let Some(r) = rest.strip_prefix("ED").or_else(|| rest.strip_prefix('D')) {
        (-1, r)
    } else {
        return Err(bad("has no debit/credit mark"));
    };
    // A funds code (the third letter of the currency) may follow the mark.
    let after_funds = match after_mark.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => &after_mark[1..],
        _ => after_mark,
    };
    let digits_end = after_funds.find(|c: char| !(c.is_ascii_digit() || c == ',')).unwrap_or(after_funds.len());
    let amount = parse_amount(&after_funds[..digits_end], ',').ok_or_else(|| bad("has no valid amount"))?;
    let tail = &after_funds[digits_end..];
    // Transaction type (4 characters), then the customer's reference, `//`, the bank's.
    let references = tail.get(4..).unwrap_or_default();
    let (customer, bank) = references.split_once("//").unwrap_or((references, ""));
    let reference =
        [bank, customer].into_iter().map(str::trim).find(|r| !r.is_empty() && *r != "NONREF").map(str::to_string);
    let supplementary: Vec<&str> = field.lines[1..].iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
    Ok(FileRow { date, amount: sign * amount, narration: clean(&supplementary.join(" ")), reference, balance: None })
}

/// `MMDD` in the year that puts it nearest the value date.
fn entry_date(value_date: Timestamp, mmdd: &str) -> Option<Timestamp> {
    let year = value_date.to_datetime().year();
    let (m, d) = (mmdd[..2].parse().ok()?, mmdd[2..].parse().ok()?);
    [year - 1, year, year + 1].into_iter().filter_map(|y| day(y, m, d)).min_by_key(|t| (t.0 - value_date.0).abs())
}

/// `?20text?21more` (German) and `>20text` subfield markers become spaces.
fn strip_subfields(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if matches!(c, '?' | '>') && chars.peek().is_some_and(char::is_ascii_digit) {
            chars.next();
            if chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Statements of one account (`:25:`) join into one account, each statement a segment.
fn join(statements: Vec<(String, FileAccount, Segment)>) -> Vec<FileAccount> {
    let mut accounts: Vec<(String, FileAccount)> = Vec::new();
    for (id, mut file, segment) in statements {
        let (bank, number) = split_account(&id, file.currency.as_deref());
        match accounts.iter_mut().find(|(known, a)| *known == id && a.currency == file.currency) {
            Some((_, existing)) => {
                existing.segments.push(Segment { first_row: existing.rows.len(), ..segment });
                existing.rows.append(&mut file.rows);
                existing.closing = file.closing;
            }
            None => {
                file.account_number = Some(number);
                file.bank_id = bank;
                file.segments = vec![segment];
                accounts.push((id, file));
            }
        }
    }
    accounts
        .into_iter()
        .map(|(_, mut a)| {
            if a.segments.len() == 1 {
                a.segments.clear();
            }
            a
        })
        .collect()
}

/// `:25:` is `BANK/ACCOUNT`, an IBAN, or an account with its currency appended.
fn split_account(id: &str, currency: Option<&str>) -> (Option<String>, String) {
    let id = id.trim();
    let id = currency.and_then(|c| id.strip_suffix(c)).filter(|s| !s.is_empty()).unwrap_or(id);
    match id.split_once('/') {
        Some((bank, account)) if !account.is_empty() => (Some(bank.to_string()), account.to_string()),
        _ => (None, id.to_string()),
    }
}
