//! What a statement PDF states around its table: balances under their labels, the currency,
//! the account number and holder, the latest date it prints; and what a row's pieces are.
use passbook_domain::Timestamp;

use super::Line;
use crate::table::BalanceLabel;
use crate::text::{DateOrder, date_order, day, parse_amount, parse_date};

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
pub(super) const STOPS: &[&str] = &["subtotal", "total", "summe", "page ", "seite "];

/// The balance label in a line and where it ends. Spaces are ignored in the match, because text
/// layers made by OCR break words (`LAST MO NTH'S BALANCE`).
pub(super) fn label(text: &str) -> Option<(BalanceLabel, usize)> {
    // The labels without their spaces, worked out once (this runs for every line of a PDF).
    static SQUEEZED: std::sync::LazyLock<[Vec<String>; 2]> = std::sync::LazyLock::new(|| {
        let squeeze = |labels: &[&str]| -> Vec<String> {
            labels.iter().map(|l| l.chars().filter(|c| !c.is_whitespace()).collect()).collect()
        };
        [squeeze(OPENING), squeeze(CLOSING)]
    });
    let squeezed: String = text.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    for (labels, kind) in SQUEEZED.iter().zip([BalanceLabel::Opening, BalanceLabel::Closing]) {
        let end = labels.iter().filter_map(|l| squeezed.find(l.as_str()).map(|i| i + l.len())).min();
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
pub(super) fn amount_after(text: &str, from: usize, decimal: char) -> Option<i64> {
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

/// `1.231,76`, `(412.16)`, `700,00`: digits with a separator before exactly two final digits.
pub(super) fn is_amount_like(text: &str) -> bool {
    let t = text.trim_matches(|c: char| matches!(c, '(' | ')' | '-' | '+' | '$') || c.is_ascii_alphabetic());
    let Some(sep) = t.rfind([',', '.']) else { return false };
    t.len() - sep == 3 && t.bytes().all(|b| b.is_ascii_digit() || b == b',' || b == b'.' || b == b'\'')
}

/// A row's date: a full date, or day and month (`29.10.`, `02/07`) in the year that puts it on
/// or before the latest date the document states.
pub(super) fn row_date(text: &str, latest: Option<Timestamp>, month_first: bool) -> Option<Timestamp> {
    let t = text.trim().trim_end_matches('.');
    if t.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return crate::text::month_name_date(t);
    }
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
pub(super) fn latest_date(text: &[String]) -> Result<Option<Timestamp>, passbook_domain::statement_file::ReadError> {
    let mut latest: Option<Timestamp> = None;
    for line in text {
        passbook_domain::read_deadline::check()?;
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
    Ok(latest)
}

/// `01 AUG 23`, `1 August 2023`.
fn month_name_date(words: &[&str], i: usize) -> Option<Timestamp> {
    let d: u8 = words.get(i)?.parse().ok()?;
    let month = words.get(i + 1)?.to_lowercase();
    let m = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        .iter()
        .position(|n| month.starts_with(n))?;
    let m = u8::try_from(m + 1).ok()?;
    let y = words.get(i + 2)?.trim_matches(|c: char| !c.is_ascii_digit());
    let y: i32 = match y.len() {
        4 => y.parse().ok()?,
        2 => crate::text::full_year(y.parse().ok()?),
        _ => return None,
    };
    day(y, m, d)
}

/// The currency: `Currency: NGN`, else a code in the header (`in EUR`, `(SGD)`).
pub(super) fn currency(header: &Line, text: &str) -> Option<String> {
    let code = |s: &str| {
        let s = s.trim_matches(|c: char| !c.is_ascii_alphabetic());
        (s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())).then(|| s.to_string())
    };
    // `Currency: NGN`, `Account Currency NGN`, `CURRENCY: NGN`.
    let lower = text.to_ascii_lowercase();
    let labelled = lower
        .match_indices("currency")
        .find_map(|(at, _)| text[at + 8..].trim_start_matches([':', ' ']).split_whitespace().next().and_then(code));
    if labelled.is_some() {
        return labelled;
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
pub(super) fn card_number(line: &str) -> Option<String> {
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
pub(super) fn labelled(text: &[String], labels: &[&str]) -> Option<String> {
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
                    || label.contains("account name")
                    || label.contains("customer name"))
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
