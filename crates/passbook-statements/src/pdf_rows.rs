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
use passbook_domain::statement_file::*;

use crate::pdf::{self, Line};
use crate::table::{Role, role};
use crate::text::{DateOrder, clean, date_order, day, decimal_separator, parse_amount, parse_date};

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
    let mut unnamed: Option<&pdf::Word> = None;
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

enum Label {
    Opening,
    Closing,
}

const OPENING: &[&str] = &[
    "opening balance",
    "alter kontostand",
    "last month's balance",
    "previous balance",
    "balance b/f",
    "balance brought forward",
    "saldo anterior",
    "solde précédent",
    "beginsaldo",
];
const CLOSING: &[&str] = &[
    "closing balance",
    "neuer kontostand",
    "total amount due",
    "new balance",
    "balance c/f",
    "balance carried forward",
    "saldo final",
    "nouveau solde",
    "eindsaldo",
];
const STOPS: &[&str] = &["subtotal", "total", "summe", "page ", "seite "];

/// The balance label in a line and where it ends. Spaces are ignored in the match, because text
/// layers made by OCR break words (`LAST MO NTH'S BALANCE`).
fn label(text: &str) -> Option<(Label, usize)> {
    let squeezed: String = text.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    for (labels, kind) in [(OPENING, Label::Opening), (CLOSING, Label::Closing)] {
        let end = labels
            .iter()
            .filter_map(|l| {
                let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                squeezed.find(&l).map(|i| i + l.len())
            })
            .min();
        if let Some(end) = end {
            // Back to a position in the original text: past `end` non-space characters.
            let mut seen = 0;
            for (i, c) in text.char_indices() {
                if seen == end {
                    return Some((kind, i));
                }
                if !c.is_whitespace() {
                    seen += c.to_lowercase().count();
                }
            }
            return Some((kind, text.len()));
        }
    }
    None
}

/// The first amount after `from` in `text`; a trailing `H` (Haben) or `CR` keeps it positive, `S`
/// (Soll) or `DR` makes it negative.
fn amount_after(text: &str, from: usize, decimal: char) -> Option<i64> {
    let rest = text.get(from..)?.trim_start_matches([':', ' ']);
    let words: Vec<&str> = rest.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        let word = word.trim_start_matches(|c: char| c.is_ascii_alphabetic() && c.is_uppercase() && word.len() > 3);
        let cleaned = word.trim_start_matches("S$").trim_start_matches('$');
        if let Some(amount) = parse_amount(cleaned, decimal).filter(|_| cleaned.bytes().any(|b| b.is_ascii_digit())) {
            return Some(match words.get(i + 1).copied() {
                Some("S") | Some("DR") => -amount.abs(),
                _ => amount,
            });
        }
    }
    None
}

pub fn read(bytes: &[u8], password: Option<&str>) -> Result<StatementFile, ReadError> {
    let lines = pdf::lines(bytes, password)?;
    if lines.iter().all(|l| l.words.is_empty()) {
        return Err(ReadError::NoTextLayer);
    }
    let text: Vec<String> = lines.iter().map(Line::text).collect();
    let joined = text.join("\n");
    let lower = joined.to_lowercase();
    let latest = latest_date(&text);
    // Of the lines that could be the header, the first with the most dated lines below it (a
    // long statement repeats its header on every page).
    let best = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| header(l).map(|c| (i, c)))
        .max_by_key(|(i, columns)| (dated_lines_below(&lines[i + 1..], columns, latest), std::cmp::Reverse(*i)));
    let Some((best_at, columns)) = best else {
        return Err(ReadError::Unsupported(
            "No transaction table was found in this PDF (no header row naming a date and an amount column). \
             If it is a bank statement, export it as CSV or Excel from your bank and upload that."
                .into(),
        ));
    };
    // The table starts at the first page's header: a long statement repeats it on every page,
    // and the best-placed copy may be a later page's.
    let roles: Vec<Role> = columns.iter().map(|c| c.role).collect();
    let header_at = lines[..best_at]
        .iter()
        .position(|l| header(l).is_some_and(|h| h.iter().map(|c| c.role).eq(roles.iter().copied())))
        .unwrap_or(best_at);
    let card = lower.contains("credit card") || lower.contains("card number") || lower.contains("minimum due");
    let amount_like: Vec<String> =
        lines.iter().flat_map(tokens).map(|t| t.text).filter(|t| is_amount_like(t)).collect();
    let decimal = decimal_separator(amount_like.iter().map(String::as_str));
    let date_col =
        columns.iter().find(|c| matches!(c.role, Role::Date(_))).copied().expect("a header has a date column");
    let amount_cols: Vec<Column> = columns
        .iter()
        .filter(|c| matches!(c.role, Role::Amount | Role::Debit | Role::Credit | Role::Balance))
        .copied()
        .collect();
    let first_amount_x = amount_cols.iter().map(|c| c.x).fold(f32::MAX, f32::min);
    let next_after_date = columns.iter().map(|c| c.x).filter(|x| *x > date_col.x + 1.0).fold(f32::MAX, f32::min);
    let amount_zone = columns.iter().filter(|c| c.role == Role::Narration).map(|c| c.x).fold(date_col.right, f32::max);
    let amount_zone = (amount_zone + first_amount_x) / 2.0;

    let currency = currency(&lines[header_at], &joined);
    if std::env::var("PDF_DEBUG").is_ok() {
        eprintln!(
            "header {header_at}: {columns:?} zone={amount_zone} next={next_after_date} latest={latest:?} decimal={decimal}"
        );
    }
    let mut rows: Vec<(FileRow, bool)> = Vec::new();
    let (mut opening, mut closing) = (None, None);
    let mut in_row = false;
    for (i, line) in lines.iter().enumerate() {
        if let Some((kind, at)) = label(&text[i])
            && let Some(amount) = amount_after(&text[i], at, decimal)
        {
            let amount = if card { -amount } else { amount };
            match kind {
                Label::Opening => opening = opening.or(Some(amount)),
                Label::Closing => closing = Some(amount),
            }
            in_row = false;
            continue;
        }
        if i <= header_at || header(line).is_some() {
            in_row = false;
            continue;
        }
        let toks = tokens(line);
        let (before, after): (Vec<&Token>, Vec<&Token>) = toks.iter().partition(|t| t.center() <= amount_zone);
        // The date: the first token (or two or three, when the text layer split it) in the
        // date column; value dates after it are skipped.
        let starts_in_date_column = before.first().is_some_and(|t| t.x >= date_col.x - 15.0 && t.x < next_after_date);
        let mut date = None;
        let mut used = 0;
        if starts_in_date_column {
            for n in 1..=3.min(before.len()) {
                let joined: String = before[..n].iter().map(|t| t.text.as_str()).collect();
                if let Some(d) = row_date(&joined, latest, currency.as_deref() == Some("USD")) {
                    date = Some(d);
                    used = n;
                    break;
                }
            }
        }
        while date.is_some() && used < before.len() && row_date(&before[used].text, latest, false).is_some() {
            used += 1;
        }
        // A time printed under its row's date (`10:32:11`) is not narration.
        let narration: Vec<&str> =
            before[used..].iter().map(|t| t.text.as_str()).filter(|t| !crate::text::is_time(t)).collect();
        let amounts: Vec<(Role, i64)> = after
            .iter()
            .filter_map(|t| {
                let negative_parens = t.text.starts_with('(');
                let value = parse_amount(t.text.trim_start_matches("S$"), decimal)?;
                let column = amount_cols
                    .iter()
                    .min_by(|a, b| (a.center() - t.center()).abs().total_cmp(&(b.center() - t.center()).abs()))?;
                Some((column.role, if negative_parens { -value.abs() } else { value }))
            })
            .collect();
        match date {
            Some(date) if !amounts.is_empty() => {
                let mut amount = None;
                let mut balance = None;
                for (role, value) in amounts {
                    match role {
                        Role::Debit => amount = Some(-value.abs()),
                        Role::Credit => amount = Some(value.abs()),
                        Role::Amount => amount = Some(if card { -value } else { value }),
                        Role::Balance => balance = Some(value),
                        _ => {}
                    }
                }
                let Some(amount) = amount else { continue };
                rows.push((
                    FileRow { date, amount, narration: clean(&narration.join(" ")), reference: None, balance },
                    card,
                ));
                in_row = true;
            }
            _ if in_row && amounts.is_empty() && !narration.is_empty() => {
                let lower_line = text[i].to_lowercase();
                if STOPS.iter().any(|s| lower_line.trim_start().starts_with(s)) {
                    in_row = false;
                    continue;
                }
                if let Some((row, _)) = rows.last_mut() {
                    row.narration = clean(&format!("{} {}", row.narration, narration.join(" ")));
                }
            }
            _ => in_row = false,
        }
    }
    if rows.is_empty() && opening.is_none() && closing.is_none() {
        return Err(ReadError::NothingFound("the PDF's table holds no dated rows with amounts".into()));
    }
    let account = FileAccount {
        account_number: labelled(
            &text,
            &["account number", "account no", "a/c no", "kontonummer", "iban", "card number"],
        )
        .or_else(|| if card { text.iter().find_map(|l| card_number(l)) } else { None }),
        holder: labelled(&text, &["account holder", "account name", "name"]),
        currency,
        kind: card.then(|| "CREDITCARD".to_string()),
        opening: opening.map(|amount| StatedBalance { amount, date: None }),
        closing: closing.map(|amount| StatedBalance { amount, date: None }),
        rows: rows.into_iter().map(|(r, _)| r).collect(),
        ..FileAccount::default()
    };
    Ok(StatementFile::new(FileFormat::Pdf, vec![account]))
}

/// How many of the next lines start with a date in the header's date column.
fn dated_lines_below(lines: &[Line], columns: &[Column], latest: Option<Timestamp>) -> usize {
    let Some(date) = columns.iter().find(|c| matches!(c.role, Role::Date(_))) else { return 0 };
    lines
        .iter()
        .take(60)
        .filter(|l| {
            let toks = tokens(l);
            let first =
                toks.iter().take(3).filter(|t| t.x >= date.x - 15.0).map(|t| t.text.as_str()).collect::<Vec<_>>();
            (1..=first.len()).any(|n| row_date(&first[..n].concat(), latest, false).is_some())
        })
        .count()
}

/// `1.231,76`, `(412.16)`, `700,00`: digits with a separator before exactly two final digits.
fn is_amount_like(text: &str) -> bool {
    let t = text.trim_matches(|c: char| matches!(c, '(' | ')' | '-' | '+' | '$') || c.is_ascii_alphabetic());
    let Some(sep) = t.rfind([',', '.']) else { return false };
    t.len() - sep == 3 && t.bytes().all(|b| b.is_ascii_digit() || b == b',' || b == b'.' || b == b'\'')
}

/// A row's date: a full date, or day and month (`29.10.`, `02/07`) in the year that puts it on
/// or before the latest date the document states.
fn row_date(text: &str, latest: Option<Timestamp>, month_first: bool) -> Option<Timestamp> {
    let t = text.trim().trim_end_matches('.');
    if t.is_empty() || !t.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let order = date_order(std::iter::once(t), month_first);
    if let Some(order) = order
        && let Some(date) = parse_date(t, order)
    {
        return Some(date);
    }
    let parts: Vec<&str> = t.split(['.', '/', '-']).collect();
    let [a, b] = parts.as_slice() else { return None };
    let (a, b): (u8, u8) = (a.parse().ok()?, b.parse().ok()?);
    let (d, m) = if month_first { (b, a) } else { (a, b) };
    let anchor = latest?;
    let year = anchor.to_datetime().year();
    [year, year - 1].into_iter().filter_map(|y| day(y, m, d)).find(|date| *date <= anchor)
}

/// The latest full date written anywhere in the document (the statement's end, or its date).
fn latest_date(text: &[String]) -> Option<Timestamp> {
    let mut latest: Option<Timestamp> = None;
    for line in text {
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, word) in words.iter().enumerate() {
            let w = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            let found = [DateOrder::DayMonthYear, DateOrder::YearMonthDay]
                .into_iter()
                .filter_map(|o| parse_date(w, o))
                .next()
                .or_else(|| month_name_date(&words, i));
            if let Some(found) = found {
                latest = Some(latest.map_or(found, |l: Timestamp| l.max(found)));
            }
        }
    }
    latest
}

/// `01 AUG 23`, `1 August 2023`.
fn month_name_date(words: &[&str], i: usize) -> Option<Timestamp> {
    let d: u8 = words.get(i)?.parse().ok()?;
    let month = words.get(i + 1)?.to_lowercase();
    let m = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        .iter()
        .position(|n| month.starts_with(n))? as u8
        + 1;
    let y = words.get(i + 2)?.trim_matches(|c: char| !c.is_ascii_digit());
    let y: i32 = match y.len() {
        4 => y.parse().ok()?,
        2 => crate::text::full_year(y.parse().ok()?),
        _ => return None,
    };
    day(y, m, d)
}

/// The currency: `Currency: NGN`, else a code in the header (`in EUR`, `(SGD)`).
fn currency(header: &Line, text: &str) -> Option<String> {
    let code = |s: &str| {
        let s = s.trim_matches(|c: char| !c.is_ascii_alphabetic());
        (s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())).then(|| s.to_string())
    };
    if let Some(at) = text.find("Currency:")
        && let Some(c) = text[at + 9..].split_whitespace().next().and_then(code)
    {
        return Some(c);
    }
    header
        .words
        .iter()
        .flat_map(|w| w.text.split_whitespace())
        .map(|w| w.split(['(', ')']).find(|p| p.len() == 3).unwrap_or(w))
        .filter(|w| w.len() == 3)
        .find_map(|w| {
            let c = code(w)?;
            (!["DAY", "THE", "AND"].contains(&c.as_str())).then_some(c)
        })
}

/// A card number printed without a label (`5488-2926-6730-9473`, `4111 XXXX XXXX 1111`): four
/// groups of four, the first and last in digits. Spaces inside a group (a text layer's broken
/// words) are ignored.
fn card_number(line: &str) -> Option<String> {
    let squeezed: Vec<char> = line.chars().filter(|c| *c != ' ').collect();
    let group =
        |g: &[char], digits: bool| g.iter().all(|c| c.is_ascii_digit() || (!digits && matches!(c, 'X' | 'x' | '*')));
    (0..squeezed.len().saturating_sub(18)).find_map(|i| {
        let w = &squeezed[i..i + 19];
        let separated = [4, 9, 14].iter().all(|&j| w[j] == '-');
        let before_ok = i == 0 || !squeezed[i - 1].is_ascii_digit();
        let after_ok = squeezed.get(i + 19).is_none_or(|c| !c.is_ascii_digit());
        (separated
            && before_ok
            && after_ok
            && group(&w[0..4], true)
            && group(&w[5..9], false)
            && group(&w[10..14], false)
            && group(&w[15..19], true))
        .then(|| w.iter().collect())
    })
}

/// The value after a label (`Account number: 0123456789`, `Kontonummer 0123456789`).
fn labelled(text: &[String], labels: &[&str]) -> Option<String> {
    for label in labels {
        for line in text {
            let lower = line.to_lowercase();
            let Some(at) = lower.find(label) else { continue };
            let rest = line[at + label.len()..].trim_start_matches([':', ' ', '.']);
            let value: String = rest.split_whitespace().next().unwrap_or_default().to_string();
            if !value.is_empty()
                && (value.bytes().filter(u8::is_ascii_digit).count() >= 4
                    || *label == "name"
                    || label.contains("holder")
                    || label.contains("account name"))
            {
                return Some(if label.contains("name") || label.contains("holder") {
                    rest.split("  ").next().unwrap_or(rest).trim().to_string()
                } else {
                    value
                });
            }
        }
    }
    None
}
