//! OFX 1.x (SGML), 2.x (XML) and QFX.
//!
//! Written by hand rather than with an XML reader: OFX 1.x is SGML, whose leaf elements have no
//! closing tags, and real exports break the rules besides (aggregates opened and never closed,
//! several transaction lists in one statement, raw `&` in memos, values padded with spaces). The
//! reader walks the tags in order and knows which ones start an account, a transaction and a
//! balance, so none of those slips matters.
use passbook_domain::statement_file::{FileAccount, FileFormat, FileRow, ReadError, StatedBalance, StatementFile};

use crate::text::{clean, compact_date, decimal_separator, decode, parse_amount};

/// Whether the bytes look like OFX.
pub fn sniff(text: &str) -> bool {
    let head: String = text.chars().take(2048).collect::<String>().to_ascii_uppercase();
    head.contains("OFXHEADER") || head.contains("<OFX>") || head.contains("<?OFX")
}

pub fn read(bytes: &[u8]) -> Result<StatementFile, ReadError> {
    let text = decode(bytes);
    if text.to_ascii_uppercase().contains("<!DOCTYPE") {
        return Err(ReadError::Unsafe("OFX files never declare a DOCTYPE; this one does".into()));
    }
    let start =
        text.to_ascii_uppercase().find("<OFX").ok_or_else(|| ReadError::Malformed("no <OFX> element".into()))?;
    let tokens = tokenize(&text[start..]);
    let decimal = decimal_separator(tokens.iter().filter_map(|t| match t {
        Token::Leaf(name, value) if name == "TRNAMT" || name == "BALAMT" => Some(value.as_str()),
        _ => None,
    }));
    let mut walk =
        Walk { decimal, accounts: Vec::new(), current: None, row: None, in_ledger: false, period: (None, None) };
    for token in &tokens {
        passbook_domain::read_deadline::check()?;
        match token {
            Token::Open(name) if name == "STMTRS" || name == "CCSTMTRS" => {
                walk.finish_account()?;
                let kind = (name == "CCSTMTRS").then(|| "CREDITCARD".to_string());
                walk.current = Some(FileAccount { kind, ..FileAccount::default() });
            }
            Token::Close(name) if name == "STMTRS" || name == "CCSTMTRS" => walk.finish_account()?,
            Token::Open(name) if name == "STMTTRN" => {
                walk.finish_row()?;
                walk.row = Some(PartialRow::default());
            }
            Token::Close(name) if name == "STMTTRN" || name == "BANKTRANLIST" => walk.finish_row()?,
            Token::Open(name) if name == "LEDGERBAL" => {
                walk.finish_row()?;
                walk.in_ledger = true;
            }
            Token::Open(name) if name == "AVAILBAL" || name == "BANKTRANLIST" => walk.in_ledger = false,
            Token::Close(name) if name == "LEDGERBAL" => walk.in_ledger = false,
            Token::Leaf(name, value) => walk.leaf(name, value)?,
            _ => {}
        }
    }
    walk.finish_account()?;
    Ok(StatementFile::new(FileFormat::Ofx, walk.accounts))
}

type Period = (Option<passbook_domain::Timestamp>, Option<passbook_domain::Timestamp>);

/// Where the reading stands: the accounts read, and the account and row being read.
struct Walk {
    decimal: char,
    accounts: Vec<FileAccount>,
    current: Option<FileAccount>,
    row: Option<PartialRow>,
    /// Inside `LEDGERBAL`: its amount is the closing balance.
    in_ledger: bool,
    /// The statement's `DTSTART` and `DTEND`.
    period: Period,
}

impl Walk {
    fn finish_row(&mut self) -> Result<(), ReadError> {
        finish_row(&mut self.row, self.current.as_mut(), self.decimal)
    }

    /// The account being read is done (its last row too).
    fn finish_account(&mut self) -> Result<(), ReadError> {
        self.finish_row()?;
        if let Some(done) = self.current.take() {
            self.accounts.push(with_period(done, &mut self.period));
        }
        Ok(())
    }

    /// A value: the row's, when a row is open; else the account's or its statement's.
    fn leaf(&mut self, name: &str, value: &str) -> Result<(), ReadError> {
        let Some(account) = self.current.as_mut() else { return Ok(()) };
        if let Some(row) = self.row.as_mut() {
            row.set(name, value);
            return Ok(());
        }
        match name {
            "CURDEF" if !value.is_empty() => account.currency = Some(value.to_uppercase()),
            "ACCTID" if !value.is_empty() => account.account_number = Some(value.to_string()),
            "BANKID" if !value.is_empty() => account.bank_id = Some(value.to_string()),
            "ACCTTYPE" if !value.is_empty() && account.kind.is_none() => account.kind = Some(value.to_uppercase()),
            "DTSTART" => self.period.0 = compact_date(value),
            "DTEND" => self.period.1 = compact_date(value),
            "BALAMT" if self.in_ledger && !value.is_empty() => {
                let amount = parse_amount(value, self.decimal)
                    .ok_or_else(|| ReadError::Malformed(format!("the balance '{value}' is not an amount")))?;
                account.closing = Some(StatedBalance { amount, date: None });
            }
            "DTASOF" if self.in_ledger => {
                if let Some(closing) = account.closing.as_mut() {
                    closing.date = compact_date(value);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn with_period(mut account: FileAccount, period: &mut Period) -> FileAccount {
    account.period = match std::mem::take(period) {
        (Some(start), Some(end)) => Some((start, end)),
        _ => None,
    };
    account
}

#[derive(Default)]
struct PartialRow {
    date: Option<String>,
    amount: Option<String>,
    id: Option<String>,
    name: Option<String>,
    memo: Option<String>,
    currency: Option<String>,
}

impl PartialRow {
    fn set(&mut self, name: &str, value: &str) {
        let value = Some(value.to_string()).filter(|v| !v.is_empty());
        match name {
            "DTPOSTED" => self.date = value,
            "TRNAMT" => self.amount = value,
            "FITID" => self.id = value,
            "NAME" | "PAYEE" => self.name = value,
            "MEMO" => self.memo = value,
            "CURSYM" => self.currency = value,
            _ => {}
        }
    }
}

fn finish_row(row: &mut Option<PartialRow>, account: Option<&mut FileAccount>, decimal: char) -> Result<(), ReadError> {
    let (Some(partial), Some(account)) = (row.take(), account) else { return Ok(()) };
    let date = partial.date.as_deref().and_then(compact_date).ok_or_else(|| {
        ReadError::Malformed(format!("a transaction has no valid DTPOSTED ({:?})", partial.date.unwrap_or_default()))
    })?;
    let raw = partial.amount.unwrap_or_default();
    let amount = parse_amount(&raw, decimal)
        .ok_or_else(|| ReadError::Malformed(format!("the transaction amount '{raw}' is not an amount")))?;
    let narration = match (partial.name, partial.memo) {
        (Some(name), Some(memo)) if memo.contains(&name) => memo,
        (Some(name), Some(memo)) => format!("{name} {memo}"),
        (name, memo) => name.or(memo).unwrap_or_default(),
    };
    if account.currency.is_none() {
        account.currency = partial.currency.map(|c| c.to_uppercase());
    }
    account.rows.push(FileRow { date, amount, narration: clean(&narration), reference: partial.id, balance: None });
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Open(String),
    Close(String),
    /// An element with its text: `<NAME>text` (SGML) or `<NAME>text</NAME>` (XML).
    Leaf(String, String),
}

/// The tags of the body in order. A tag followed by text is a leaf; its closing tag, if any,
/// is dropped.
fn tokenize(body: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
            continue;
        }
        let Some(gt) = rest.find('>') else { break };
        let raw = rest[1..gt].trim();
        let self_closing = raw.ends_with('/');
        let tag = raw.trim_end_matches('/').trim();
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            out.push(Token::Close(name.trim().to_ascii_uppercase()));
            continue;
        }
        let name = tag.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        let (text, next) = leaf_text(rest);
        if self_closing || text.trim().is_empty() {
            // An aggregate, or an empty leaf (`<NAME></NAME>`, `<BALAMT>` then a tag).
            let closes_at_once = closes(rest, &name);
            if closes_at_once || is_leaf_name(&name) {
                out.push(Token::Leaf(name.clone(), String::new()));
                if closes_at_once {
                    rest = rest.trim_start();
                    rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
                }
            } else {
                out.push(Token::Open(name));
            }
            continue;
        }
        out.push(Token::Leaf(name.clone(), unescape(text.trim())));
        rest = next;
        if closes(rest, &name) {
            let trimmed = rest.trim_start();
            rest = &trimmed[name.len() + 3..];
        }
    }
    out
}

/// Whether `rest` starts (after whitespace) with `</NAME>`, in any case. Only the tag's own
/// length is looked at, so reading stays linear in the file's size.
fn closes(rest: &str, name: &str) -> bool {
    let trimmed = rest.trim_start();
    trimmed.len() >= name.len() + 3
        && trimmed.starts_with("</")
        && trimmed.is_char_boundary(name.len() + 2)
        && trimmed[2..name.len() + 2].eq_ignore_ascii_case(name)
        && trimmed.as_bytes()[name.len() + 2] == b'>'
}

/// Elements that hold a value, for telling an empty leaf from an aggregate.
fn is_leaf_name(name: &str) -> bool {
    !matches!(
        name,
        "OFX"
            | "SIGNONMSGSRSV1"
            | "SONRS"
            | "STATUS"
            | "BANKMSGSRSV1"
            | "CREDITCARDMSGSRSV1"
            | "STMTTRNRS"
            | "CCSTMTTRNRS"
            | "STMTRS"
            | "CCSTMTRS"
            | "BANKACCTFROM"
            | "CCACCTFROM"
            | "BANKTRANLIST"
            | "STMTTRN"
            | "LEDGERBAL"
            | "AVAILBAL"
            | "CURRENCY"
            | "ORIGCURRENCY"
            | "FI"
            | "PAYEE"
            | "BANKACCTTO"
            | "CCACCTTO"
    )
}

/// The text after a tag, up to the next tag; CDATA sections are text.
fn leaf_text(rest: &str) -> (String, &str) {
    let mut text = String::new();
    let mut rest = rest;
    loop {
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").unwrap_or(after.len());
            text.push_str(&after[..end]);
            rest = after.get(end + 3..).unwrap_or("");
            continue;
        }
        match rest.find('<') {
            Some(lt) if rest[lt..].starts_with("<![CDATA[") => {
                text.push_str(&rest[..lt]);
                rest = &rest[lt..];
            }
            Some(lt) => {
                text.push_str(&rest[..lt]);
                return (text, &rest[lt..]);
            }
            None => {
                text.push_str(rest);
                return (text, "");
            }
        }
    }
}

/// XML's five entities and numeric references; a bare `&` (common in OFX 1.x memos) stays.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let entity = rest.find(';').filter(|end| *end <= 10).map(|end| &rest[1..end]);
        let decoded = entity.and_then(|e| match e {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            _ if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        });
        match (decoded, entity) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &rest[e.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgml_leaves_without_closing_tags_and_xml_leaves_with_them_read_the_same() {
        let sgml = "<OFX><STMTRS><CURDEF>NGN<BANKACCTFROM><ACCTID>0123456789<ACCTTYPE>SAVINGS</BANKACCTFROM>\
            <BANKTRANLIST><STMTTRN><DTPOSTED>20240105<TRNAMT>-1,500.00<FITID>1<NAME>POS &amp; CO</STMTTRN></BANKTRANLIST>\
            <LEDGERBAL><BALAMT>98500.00<DTASOF>20240131</LEDGERBAL></STMTRS></OFX>";
        let xml = "<OFX><STMTRS><CURDEF>NGN</CURDEF><BANKACCTFROM><ACCTID>0123456789</ACCTID><ACCTTYPE>SAVINGS</ACCTTYPE></BANKACCTFROM>\
            <BANKTRANLIST><STMTTRN><DTPOSTED>20240105</DTPOSTED><TRNAMT>-1500.00</TRNAMT><FITID>1</FITID><NAME><![CDATA[POS & CO]]></NAME></STMTTRN></BANKTRANLIST>\
            <LEDGERBAL><BALAMT>98500.00</BALAMT><DTASOF>20240131</DTASOF></LEDGERBAL></STMTRS></OFX>";
        for file in [sgml, xml] {
            let read = read(file.as_bytes()).unwrap();
            let account = &read.accounts[0];
            assert_eq!(account.account_number.as_deref(), Some("0123456789"));
            assert_eq!(account.rows[0].amount, -150000);
            assert_eq!(account.rows[0].narration, "POS & CO");
            assert_eq!(account.closing.unwrap().amount, 9850000);
        }
    }
}
