//! ISO 20022 `camt.053` (bank-to-customer statement), versions `.001.02` to `.001.08`.
//!
//! Read with quick-xml as a stream of elements; namespaces and versions differ only in details
//! (the status is `Sts` or `Sts/Cd`, the BIC `BIC` or `BICFI`), so the reader matches element
//! names, not schemas. A DOCTYPE is refused: statements never need one, and refusing it rules
//! out external entities and entity expansion.
use passbook_domain::Timestamp;
use passbook_domain::statement_file::{
    FileAccount, FileFormat, FileRow, ReadError, Segment, StatedBalance, StatementFile,
};
use quick_xml::Reader;
use quick_xml::events::Event;

use crate::text::{clean, decode, iso_date, parse_amount};

pub fn sniff(text: &str) -> bool {
    let head: String = text.chars().take(4096).collect();
    head.contains("camt.053") || head.contains("BkToCstmrStmt")
}

#[derive(Default)]
struct Statement {
    account: FileAccount,
    /// The opening balance (and its currency): `OPBD`, else `PRCD`.
    opening: Option<(StatedBalance, Option<String>)>,
    closing: Option<(StatedBalance, Option<String>)>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
}

#[derive(Default)]
struct Balance {
    code: String,
    amount: Option<i64>,
    currency: Option<String>,
    credit: bool,
    date: Option<Timestamp>,
}

#[derive(Default)]
struct Entry {
    amount: Option<i64>,
    currency: Option<String>,
    credit: bool,
    status: String,
    booked: Option<Timestamp>,
    valued: Option<Timestamp>,
    reference: Option<String>,
    info: Vec<String>,
    counterparty: Option<String>,
}

/// How deep elements may nest: each closing element looks at the path to it, so depth is what
/// keeps reading linear in the file's size.
const MAX_DEPTH: usize = 64;

pub fn read(bytes: &[u8]) -> Result<StatementFile, ReadError> {
    let text = decode(bytes);
    let mut reader = Reader::from_str(&text);
    reader.config_mut().trim_text(true);
    let mut walk = Walk::default();
    for n in 0u64.. {
        if n % 1024 == 0 {
            passbook_domain::read_deadline::check()?;
        }
        let event = reader.read_event().map_err(|e| ReadError::Malformed(format!("invalid XML: {e}")))?;
        match event {
            Event::DocType(_) => {
                return Err(ReadError::Unsafe("the XML declares a DOCTYPE, which statements never need".into()));
            }
            Event::Start(start) => walk.start(&start)?,
            Event::Text(t) => walk.text.push_str(&t.xml10_content()),
            Event::CData(t) => walk.text.push_str(&t.into_inner()),
            Event::GeneralRef(r) => walk.text.push(referenced(&r)?),
            Event::End(_) => walk.end()?,
            Event::Eof if !walk.path.is_empty() => {
                let open = walk.path.last().cloned().unwrap_or_default();
                return Err(ReadError::Malformed(format!("the file ends inside <{open}>: it was cut short")));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if walk.statements.is_empty() {
        return Err(ReadError::NothingFound("the file holds no camt.053 statement (Stmt)".into()));
    }
    Ok(StatementFile::new(FileFormat::Camt053, join(walk.statements)))
}

/// The character a reference stands for: a character reference, or one of XML's five
/// predefined entities (no other can be declared: a DOCTYPE is refused).
fn referenced(r: &quick_xml::events::BytesRef<'_>) -> Result<char, ReadError> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Ok(c);
    }
    match r.xml10_content().as_ref() {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        other => Err(ReadError::Unsafe(format!("the XML uses an undeclared entity &{other};"))),
    }
}

/// Where the reading stands: the open elements, the statements read, and the statement,
/// balance and entry being read.
#[derive(Default)]
struct Walk {
    path: Vec<String>,
    statements: Vec<Statement>,
    statement: Option<Statement>,
    balance: Option<Balance>,
    entry: Option<Entry>,
    /// The `Ccy` of the last `Amt` opened.
    amount_currency: Option<String>,
    /// The text of the element open now.
    text: String,
}

impl Walk {
    fn start(&mut self, start: &quick_xml::events::BytesStart<'_>) -> Result<(), ReadError> {
        if self.path.len() >= MAX_DEPTH {
            return Err(ReadError::Unsafe(format!(
                "the XML nests elements deeper than {MAX_DEPTH} levels; a camt.053 statement needs about 12"
            )));
        }
        let name = start.local_name().as_ref().to_string();
        match name.as_str() {
            "Stmt" if self.path.last().is_some_and(|p| p == "BkToCstmrStmt") => {
                self.statement = Some(Statement::default())
            }
            "Bal" if self.statement.is_some() => self.balance = Some(Balance::default()),
            "Ntry" if self.statement.is_some() => self.entry = Some(Entry::default()),
            "Amt" => {
                self.amount_currency = start.try_get_attribute("Ccy").ok().flatten().map(|a| a.value.to_string());
            }
            _ => {}
        }
        self.path.push(name);
        self.text.clear();
        Ok(())
    }

    /// The element open now ends: its text goes to what is being read, and a balance, entry
    /// or statement it closes is kept.
    fn end(&mut self) -> Result<(), ReadError> {
        let value = std::mem::take(&mut self.text);
        let value = value.trim();
        let p: Vec<&str> = self.path.iter().map(String::as_str).collect();
        if let Some(s) = self.statement.as_mut() {
            if let Some(b) = self.balance.as_mut() {
                on_balance(b, &p, value, &self.amount_currency)?;
            } else if let Some(e) = self.entry.as_mut() {
                on_entry(e, &p, value, &self.amount_currency)?;
            } else {
                on_statement(s, &p, value)?;
            }
        }
        match self.path.pop().unwrap_or_default().as_str() {
            "Bal" => {
                if let (Some(s), Some(b)) = (self.statement.as_mut(), self.balance.take()) {
                    keep_balance(s, b);
                }
            }
            "Ntry" => {
                if let (Some(s), Some(e)) = (self.statement.as_mut(), self.entry.take()) {
                    keep_entry(s, e)?;
                }
            }
            "Stmt" => self.statements.extend(self.statement.take()),
            _ => {}
        }
        Ok(())
    }
}

fn amount(value: &str) -> Result<i64, ReadError> {
    parse_amount(value, '.').ok_or_else(|| ReadError::Malformed(format!("'{value}' is not an amount")))
}

fn date(value: &str) -> Option<Timestamp> {
    iso_date(value)
}

fn ends(path: &[&str], tail: &[&str]) -> bool {
    path.ends_with(tail)
}

fn on_statement(s: &mut Statement, path: &[&str], value: &str) -> Result<(), ReadError> {
    let a = &mut s.account;
    if ends(path, &["Acct", "Id", "IBAN"]) || ends(path, &["Acct", "Id", "Othr", "Id"]) {
        a.account_number = Some(value.to_string());
    } else if ends(path, &["Acct", "Ccy"]) {
        a.currency = Some(value.to_uppercase());
    } else if ends(path, &["Acct", "Ownr", "Nm"]) {
        a.holder = Some(clean(value));
    } else if ends(path, &["FinInstnId", "BIC"]) || ends(path, &["FinInstnId", "BICFI"]) {
        a.bank_id = Some(value.to_string());
    } else if ends(path, &["FrToDt", "FrDtTm"]) || ends(path, &["FrToDt", "FrDt"]) {
        s.from = date(value);
    } else if ends(path, &["FrToDt", "ToDtTm"]) || ends(path, &["FrToDt", "ToDt"]) {
        s.to = date(value);
    } else if ends(path, &["TxsSummry", "TtlNtries", "NbOfNtries"]) {
        a.stated.entries = value.parse().ok();
    } else if ends(path, &["TxsSummry", "TtlCdtNtries", "Sum"]) {
        a.stated.credits = Some(amount(value)?);
    } else if ends(path, &["TxsSummry", "TtlDbtNtries", "Sum"]) {
        a.stated.debits = Some(amount(value)?);
    }
    Ok(())
}

fn on_balance(b: &mut Balance, path: &[&str], value: &str, currency: &Option<String>) -> Result<(), ReadError> {
    if ends(path, &["Tp", "CdOrPrtry", "Cd"]) {
        b.code = value.to_string();
    } else if ends(path, &["Bal", "Amt"]) {
        b.amount = Some(amount(value)?);
        b.currency.clone_from(currency);
    } else if ends(path, &["Bal", "CdtDbtInd"]) {
        b.credit = value == "CRDT";
    } else if ends(path, &["Bal", "Dt", "Dt"]) || ends(path, &["Bal", "Dt", "DtTm"]) {
        b.date = date(value);
    }
    Ok(())
}

fn on_entry(e: &mut Entry, path: &[&str], value: &str, currency: &Option<String>) -> Result<(), ReadError> {
    if ends(path, &["Ntry", "Amt"]) {
        e.amount = Some(amount(value)?);
        e.currency.clone_from(currency);
    } else if ends(path, &["Ntry", "CdtDbtInd"]) {
        e.credit = value == "CRDT";
    } else if ends(path, &["Ntry", "Sts"]) || ends(path, &["Ntry", "Sts", "Cd"]) {
        e.status = value.to_string();
    } else if ends(path, &["BookgDt", "Dt"]) || ends(path, &["BookgDt", "DtTm"]) {
        e.booked = date(value);
    } else if ends(path, &["ValDt", "Dt"]) || ends(path, &["ValDt", "DtTm"]) {
        e.valued = date(value);
    } else if ends(path, &["Ntry", "AcctSvcrRef"]) || (ends(path, &["Ntry", "NtryRef"]) && e.reference.is_none()) {
        e.reference = Some(value.to_string());
    } else if ends(path, &["Ntry", "AddtlNtryInf"]) || ends(path, &["RmtInf", "Ustrd"]) {
        if !value.is_empty() && !e.info.iter().any(|i| i == value) {
            e.info.push(value.to_string());
        }
    } else if e.counterparty.is_none() && (path.contains(&"RltdPties") && path.last() == Some(&"Nm")) {
        let credit = e.credit;
        let party = if credit { "Dbtr" } else { "Cdtr" };
        if path.contains(&party) {
            e.counterparty = Some(value.to_string());
        }
    }
    Ok(())
}

/// Opening balance: the day's opening (`OPBD`), else the previous day's closing (`PRCD`).
fn keep_balance(s: &mut Statement, b: Balance) {
    let Some(amount) = b.amount else { return };
    let stated = (StatedBalance { amount: if b.credit { amount } else { -amount }, date: b.date }, b.currency);
    match b.code.as_str() {
        "OPBD" => s.opening = Some(stated),
        "PRCD" if s.opening.is_none() => s.opening = Some(stated),
        "CLBD" => s.closing = Some(stated),
        _ => {}
    }
}

fn keep_entry(s: &mut Statement, e: Entry) -> Result<(), ReadError> {
    // Pending and informational entries are not on the statement's balance.
    if !matches!(e.status.as_str(), "BOOK" | "") {
        return Ok(());
    }
    let amount = e.amount.ok_or_else(|| ReadError::Malformed("an entry (Ntry) has no amount".into()))?;
    let date = e
        .booked
        .or(e.valued)
        .ok_or_else(|| ReadError::Malformed("an entry (Ntry) has no booking or value date".into()))?;
    if s.account.currency.is_none() {
        s.account.currency.clone_from(&e.currency);
    }
    let mut narration: Vec<String> = e.counterparty.into_iter().collect();
    narration.extend(e.info);
    s.account.rows.push(FileRow {
        date,
        amount: if e.credit { amount } else { -amount },
        narration: clean(&narration.join(" ")),
        reference: e.reference,
        balance: None,
    });
    Ok(())
}

/// Statements of the same account join into one, each kept as a segment.
fn join(statements: Vec<Statement>) -> Vec<FileAccount> {
    let mut accounts: Vec<FileAccount> = Vec::new();
    for s in statements {
        let mut account = s.account;
        // A balance in another currency than the account's is not this account's balance.
        let own = |b: Option<(StatedBalance, Option<String>)>| {
            b.filter(|(_, ccy)| ccy.is_none() || account.currency.is_none() || *ccy == account.currency).map(|(b, _)| b)
        };
        let (opening, closing) = (own(s.opening), own(s.closing));
        let segment = Segment {
            first_row: 0,
            rows: account.rows.len(),
            opening: opening.map(|b| b.amount),
            closing: closing.map(|b| b.amount),
        };
        let period = s.from.zip(s.to);
        match accounts.iter_mut().find(|a| a.account_number == account.account_number && a.currency == account.currency)
        {
            Some(existing) => {
                if existing.segments.is_empty() {
                    existing.segments.push(Segment {
                        first_row: 0,
                        rows: existing.rows.len(),
                        opening: existing.opening.map(|b| b.amount),
                        closing: existing.closing.map(|b| b.amount),
                    });
                }
                existing.segments.push(Segment { first_row: existing.rows.len(), ..segment });
                existing.rows.append(&mut account.rows);
                existing.closing = closing;
                existing.period = match (existing.period, period) {
                    (Some((a, _)), Some((_, b))) => Some((a, b)),
                    (p, None) | (None, p) => p,
                };
                let stated = &mut existing.stated;
                stated.entries = stated.entries.zip(account.stated.entries).map(|(a, b)| a + b);
                stated.credits = stated.credits.zip(account.stated.credits).map(|(a, b)| a + b);
                stated.debits = stated.debits.zip(account.stated.debits).map(|(a, b)| a + b);
            }
            None => {
                account.opening = opening;
                account.closing = closing;
                account.period = period;
                accounts.push(account);
            }
        }
    }
    accounts
}
