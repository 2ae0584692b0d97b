//! Text, amounts and dates as statement files write them.
use passbook_domain::Timestamp;
use time::{Date, Month};

/// The file as text: UTF-8 when it is valid UTF-8 (whatever its header claims: exports often
/// declare one code page and write another), else Windows-1252, the usual code page of older
/// bank exports. A byte-order mark is dropped.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

/// Collapses runs of whitespace to one space and trims.
pub fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Midnight UTC of a calendar day.
pub fn day(year: i32, month: u8, day: u8) -> Option<Timestamp> {
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    Some(Timestamp(date.midnight().assume_utc().unix_timestamp() * 1000))
}

/// A two-digit year as banks mean it.
pub fn full_year(yy: i32) -> i32 {
    if yy >= 70 { 1900 + yy } else { 2000 + yy }
}

/// `YYYYMMDD` at the start of `text` (OFX dates, compact CSV dates).
pub fn compact_date(text: &str) -> Option<Timestamp> {
    let digits = text.get(..8)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    day(digits[..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..8].parse().ok()?)
}

/// `YYYY-MM-DD` at the start of `text` (ISO dates and date-times).
pub fn iso_date(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    let (y, m, d) = (t.get(..4)?, t.get(5..7)?, t.get(8..10)?);
    if t.as_bytes().get(4) != Some(&b'-') || t.as_bytes().get(7) != Some(&b'-') {
        return None;
    }
    day(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The order of day, month and year in a date column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    YearMonthDay,
    DayMonthYear,
    MonthDayYear,
}

/// A date such as `31/12/2022`, `2/20/19`, `21-06-2019`, `10.10.2017`, `2022-08-17` or
/// `20200213`, read in `order`.
pub fn parse_date(text: &str, order: DateOrder) -> Option<Timestamp> {
    let t = text.trim().trim_end_matches(',');
    if t.bytes().any(|b| b.is_ascii_alphabetic())
        && let Some(date) = month_name_date(t)
    {
        return Some(date);
    }
    let mut words = t.split([' ', ',', '\u{a0}']).filter(|w| !w.is_empty());
    let first = words.next()?;
    if !words.all(is_time) {
        return None;
    }
    let t = first.split('T').next().unwrap_or(first);
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return (order == DateOrder::YearMonthDay).then(|| compact_date(t)).flatten();
    }
    let parts: Vec<&str> = t.split(['/', '.', '-']).collect();
    let [a, b, c] = parts.as_slice() else { return None };
    if ![a, b, c].iter().all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|x| x.is_ascii_digit())) {
        return None;
    }
    let num = |s: &str| s.parse::<i32>().ok();
    let year = |s: &str| match s.len() {
        4 => num(s),
        2 => num(s).map(full_year),
        _ => None,
    };
    let (y, m, d) = match order {
        DateOrder::YearMonthDay if a.len() == 4 => (year(a)?, num(b)?, num(c)?),
        DateOrder::DayMonthYear if c.len() != 1 && c.len() != 3 => (year(c)?, num(b)?, num(a)?),
        DateOrder::MonthDayYear if c.len() != 1 && c.len() != 3 => (year(c)?, num(a)?, num(b)?),
        _ => return None,
    };
    day(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?)
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// The month a word names: `Jan`, `JANUARY`, `Sept`, `sept.`; `None` for any other word.
pub fn month_number(word: &str) -> Option<u8> {
    let w = word.trim_end_matches('.').to_ascii_lowercase();
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let i = MONTHS.iter().position(|m| w.len() >= 3 && w.starts_with(m))?;
    (FULL[i].starts_with(&w) || w == "sept").then_some(i + 1).and_then(|m| u8::try_from(m).ok())
}

/// A date written with the month's name, as Nigerian banks and wallets print them:
/// `01-Jan-2025`, `01 JAN 2025`, `1-Jan-25`, `Jan 01, 2025`, `January 1, 2025`, `2025-Jan-01`,
/// `01/Jan/2025`, any of them followed by a time (`01 Jan 2025 10:32:11`, `… 10:32 AM`). The
/// name fixes the month, so the column's order does not matter.
pub fn month_name_date(text: &str) -> Option<Timestamp> {
    let mut words = text.split([' ', '-', '/', ',', '\u{a0}']).filter(|w| !w.is_empty());
    let parts: Vec<&str> = words.by_ref().take(3).collect();
    // What follows the date may only be a time of day.
    if !words.all(is_time) {
        return None;
    }
    let [a, b, c] = parts.as_slice() else { return None };
    let num = |s: &str| {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    let year = |s: &str| match s.len() {
        4 => num(s),
        2 => num(s).map(full_year),
        _ => None,
    };
    let (y, m, d) = if let Some(m) = month_number(b) {
        if a.len() == 4 { (year(a)?, m, num(c)?) } else { (year(c)?, m, num(a)?) }
    } else {
        (year(c)?, month_number(a)?, num(b)?)
    };
    day(y, m, u8::try_from(d).ok()?)
}

/// `10:32`, `10:32:11`, `10:32:11.123`, `AM`, `pm`, `WAT`, `+0100`: what follows a date in a cell.
pub fn is_time(word: &str) -> bool {
    let w = word.trim_end_matches([')', ']']);
    let lower = w.to_ascii_lowercase();
    (w.contains(':') && w.bytes().all(|b| b.is_ascii_digit() || matches!(b, b':' | b'.')))
        || ["am", "pm", "wat", "utc", "gmt"].contains(&lower.as_str())
        || (w.starts_with(['+', '-']) && w.len() == 5 && w[1..].bytes().all(|b| b.is_ascii_digit()))
}

/// The one reading under which every date of a column parses. Where several do (every day is
/// 12 or less), US dollars suggest month first and anything else day first.
pub fn date_order<'a>(values: impl Iterator<Item = &'a str> + Clone, month_first_hint: bool) -> Option<DateOrder> {
    let fits = |order| values.clone().filter(|v| !v.trim().is_empty()).all(|v| parse_date(v, order).is_some());
    let any = values.clone().any(|v| !v.trim().is_empty());
    if !any {
        return None;
    }
    let candidates: Vec<DateOrder> = [DateOrder::YearMonthDay, DateOrder::DayMonthYear, DateOrder::MonthDayYear]
        .into_iter()
        .filter(|o| fits(*o))
        .collect();
    match candidates.as_slice() {
        [] => None,
        [only] => Some(*only),
        several if several.contains(&DateOrder::YearMonthDay) => Some(DateOrder::YearMonthDay),
        _ if month_first_hint => Some(DateOrder::MonthDayYear),
        _ => Some(DateOrder::DayMonthYear),
    }
}

/// The decimal separator a column of amounts uses, judged from all of them: a comma followed by
/// one or two digits (or by nothing, as in MT940's `500,`) at the end means decimal commas.
pub fn decimal_separator<'a>(values: impl Iterator<Item = &'a str>) -> char {
    let (mut comma, mut dot) = (0, 0);
    for value in values {
        let v: String = value.chars().filter(|c| c.is_ascii_digit() || *c == ',' || *c == '.').collect();
        match (v.rfind(','), v.rfind('.')) {
            (Some(c), Some(d)) if c > d => comma += 1,
            (Some(_), Some(_)) => dot += 1,
            (Some(c), None) if v.len() - c - 1 != 3 => comma += 1,
            (None, Some(d)) if v.len() - d - 1 != 3 => dot += 1,
            _ => {}
        }
    }
    if comma > dot { ',' } else { '.' }
}

/// An amount in minor units (two decimals), signed: `-1.234,56`, `$1,036.47`, `11'373.94`,
/// `(25.00)`, `100.00-`, `+31070,11`, `500,`, `18.150`. `decimal` is the column's separator.
/// `None` when the text is not an amount, or has non-zero digits beyond the cent.
pub fn parse_amount(text: &str, decimal: char) -> Option<i64> {
    let mut t = text.trim();
    let mut negative = false;
    if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        negative = true;
        t = inner.trim();
    }
    let upper = t.to_ascii_uppercase();
    if upper.ends_with("DR") || upper.ends_with(" D") {
        negative = !negative;
        t = t[..t.len() - 2].trim_end();
    } else if upper.ends_with("CR") || upper.ends_with(" C") {
        t = t[..t.len() - 2].trim_end();
    }
    let t = t.trim_matches(|c: char| c.is_alphabetic() || matches!(c, '$' | '€' | '£' | '₦' | '¥' | ' ' | '\u{a0}'));
    let (t, sign_at_end) = match t.strip_suffix('-') {
        Some(rest) => (rest, true),
        None => (t, false),
    };
    let t = t.trim_matches(|c: char| c.is_alphabetic() || matches!(c, '$' | '€' | '£' | '₦' | '¥' | ' ' | '\u{a0}'));
    let (t, sign) = match t.as_bytes().first() {
        Some(b'-') => (&t[1..], true),
        Some(b'+') => (&t[1..], false),
        _ => (t, false),
    };
    let t = t.trim_start_matches(['$', '€', '£', '₦', '¥', ' ']);
    negative ^= sign ^ sign_at_end;
    let thousands = if decimal == ',' { '.' } else { ',' };
    let digits: String =
        t.chars().filter(|c| !matches!(c, '\'' | '’' | ' ' | '\u{a0}' | '\u{202f}') && *c != thousands).collect();
    let (whole, fraction) = match digits.split_once(decimal) {
        Some((w, f)) => (w, f),
        None => (digits.as_str(), ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if fraction.len() > 2 && fraction[2..].bytes().any(|b| b != b'0') {
        return None;
    }
    let cents: i64 = format!("{:0<2}", fraction.get(..2).unwrap_or(fraction)).parse().ok()?;
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let value = whole.checked_mul(100)?.checked_add(cents)?;
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_every_dress() {
        for (text, decimal, expected) in [
            ("-98,76", ',', -9876),
            ("1.234,56", ',', 123456),
            ("$1,036.47", '.', 103647),
            ("11'373.94", '.', 1137394),
            ("(25.00)", '.', -2500),
            ("100.00-", '.', -10000),
            ("+31070,11", ',', 3107011),
            ("500,", ',', 50000),
            ("2500", ',', 250000),
            ("18.150", '.', 1815),
            ("474.4", '.', 47440),
            ("000000000025,00", ',', 2500),
            ("₦ 12,500.00", '.', 1250000),
            ("1,250.00 DR", '.', -125000),
        ] {
            assert_eq!(parse_amount(text, decimal), Some(expected), "{text}");
        }
        for bad in ["", "abc", "1.2.3x", "12.345", "--"] {
            assert_eq!(parse_amount(bad, '.'), None, "{bad}");
        }
    }

    #[test]
    fn a_columns_decimal_separator_is_judged_from_all_of_it() {
        assert_eq!(decimal_separator(["1.234,56", "-98,76"].into_iter()), ',');
        assert_eq!(decimal_separator(["1,036.47", "20.00"].into_iter()), '.');
        assert_eq!(decimal_separator(["2500", "827,75"].into_iter()), ',');
    }

    #[test]
    fn a_columns_date_order_is_judged_from_all_of_it() {
        let dmy = ["24/03/2022", "08/04/2022"];
        assert_eq!(date_order(dmy.iter().copied(), true), Some(DateOrder::DayMonthYear));
        let mdy = ["2/20/19", "2/8/19"];
        assert_eq!(date_order(mdy.iter().copied(), false), Some(DateOrder::MonthDayYear));
        let ambiguous = ["05/03/2021"];
        assert_eq!(date_order(ambiguous.iter().copied(), true), Some(DateOrder::MonthDayYear));
        assert_eq!(date_order(ambiguous.iter().copied(), false), Some(DateOrder::DayMonthYear));
        assert_eq!(date_order(["20200213"].iter().copied(), false), Some(DateOrder::YearMonthDay));
        assert_eq!(parse_date("10.10.2017", DateOrder::DayMonthYear), day(2017, 10, 10));
    }
}
