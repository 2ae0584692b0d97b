//! Parsing of query strings into filters and pages, with errors that name the parameter.
use passbook_types::accounts::TransactionsQuery;
use time::{Date, Month};

use crate::model::{Cursor, PageRequest, TransactionFilter, TxKind};
use crate::{Error, Result, Timestamp};

/// Page size of `GET /v2/accounts/{id}/transactions` when `limit` is not given.
pub const DEFAULT_PAGE_LIMIT: u64 = 50;
/// The largest `limit` accepted; `paginate=false` returns everything instead.
pub const MAX_PAGE_LIMIT: u64 = 500;
/// Page size of list endpoints such as `GET /v2/accounts`.
pub const LIST_PAGE_SIZE: u64 = 10;

const DAY_MS: i64 = 86_400_000;

pub fn parse_transactions_query(q: &TransactionsQuery) -> Result<(TransactionFilter, PageRequest)> {
    let paginate = match q.paginate.as_deref() {
        None | Some("true") | Some("") => true,
        Some("false") => false,
        Some(other) => {
            return Err(Error::invalid("paginate", format!("paginate must be true or false, got '{other}'")));
        }
    };
    let page = parse_positive("page", q.page.as_deref())?.unwrap_or(1);
    let limit = parse_positive("limit", q.limit.as_deref())?.unwrap_or(DEFAULT_PAGE_LIMIT);
    if limit > MAX_PAGE_LIMIT {
        return Err(Error::invalid(
            "limit",
            format!("limit must be at most {MAX_PAGE_LIMIT}; use paginate=false to get every transaction"),
        ));
    }
    let start = q.start.as_deref().map(|s| parse_date("start", s)).transpose()?;
    let end = q.end.as_deref().map(|s| parse_date("end", s)).transpose()?;
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(Error::invalid("start", "start must not be after end"));
    }
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            TxKind::parse(&raw.to_lowercase())
                .ok_or_else(|| Error::invalid("type", format!("type must be debit or credit, got '{raw}'")))?,
        ),
    };
    let narration = q.narration.as_ref().map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if narration.as_deref().is_some_and(|n| n.chars().any(char::is_control)) {
        return Err(Error::invalid("narration", "narration must not contain control characters"));
    }
    let filter = TransactionFilter { start, end: end.map(|e| e.plus_millis(DAY_MS)), narration, kind };
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Some(
            Cursor::decode(raw)
                .ok_or_else(|| Error::invalid("cursor", "cursor is not valid; follow meta.next as Passbook sent it"))?,
        ),
    };
    let page = if paginate { PageRequest { page, limit: Some(limit), after } } else { PageRequest::new(1, None) };
    Ok((filter, page))
}

/// `page` of a list endpoint with a fixed page size.
pub fn parse_list_page(page: Option<&str>) -> Result<PageRequest> {
    Ok(PageRequest::new(parse_positive("page", page)?.unwrap_or(1), Some(LIST_PAGE_SIZE)))
}

/// A whole number from 1 to 1,000,000,000 written plainly (no sign, spaces or leading zero),
/// or nothing: exactly what the OpenAPI document's pattern says.
pub(crate) fn parse_positive(field: &str, raw: Option<&str>) -> Result<Option<u64>> {
    match raw {
        None | Some("") => Ok(None),
        Some(text) => match text.parse::<u64>() {
            Ok(n)
                if (1..=1_000_000_000).contains(&n)
                    && text.bytes().all(|b| b.is_ascii_digit())
                    && !text.starts_with('0') =>
            {
                Ok(Some(n))
            }
            _ => Err(Error::invalid(field, format!("{field} must be a positive whole number, got '{text}'"))),
        },
    }
}

/// An instant as ISO-8601 (`2026-01-27T21:00:38.850Z`) or a date (then its start, UTC).
pub(crate) fn parse_instant(field: &str, raw: &str) -> Result<Timestamp> {
    Timestamp::parse_iso(raw).map_or_else(
        || {
            parse_date(field, raw).map_err(|_| {
                Error::invalid(field, format!("{field} must be an ISO-8601 time or a date (YYYY-MM-DD), got '{raw}'"))
            })
        },
        Ok,
    )
}

/// `DD-MM-YYYY` (as Mono's clients send) or `YYYY-MM-DD`, as the start of that day in UTC.
pub fn parse_date(field: &str, raw: &str) -> Result<Timestamp> {
    let bad = || Error::invalid(field, format!("{field} must be a date as DD-MM-YYYY or YYYY-MM-DD, got '{raw}'"));
    let parts: Vec<&str> = raw.split('-').collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(bad());
    };
    if !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad());
    }
    let (y, m, d) = match (a.len(), c.len()) {
        (2, 4) => (*c, *b, *a),
        (4, 2) => (*a, *b, *c),
        _ => return Err(bad()),
    };
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    let day: u8 = d.parse().map_err(|_| bad())?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    let date = Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    Ok(Timestamp::from_datetime(date.midnight().assume_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_orders() {
        let a = parse_date("start", "07-10-2020").unwrap();
        let b = parse_date("start", "2020-10-07").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_iso(), "2020-10-07T00:00:00.000Z");
        for bad in ["2020/10/07", "32-01-2020", "2020-13-01", "yesterday", "1-1-2020"] {
            assert!(parse_date("start", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn end_is_inclusive_and_limits_are_checked() {
        let q = TransactionsQuery {
            start: Some("01-01-2024".into()),
            end: Some("01-01-2024".into()),
            ..Default::default()
        };
        let (filter, page) = parse_transactions_query(&q).unwrap();
        assert_eq!(filter.end.unwrap().0 - filter.start.unwrap().0, DAY_MS);
        assert_eq!(page, PageRequest::new(1, Some(DEFAULT_PAGE_LIMIT)));
        let too_big = TransactionsQuery { limit: Some("501".into()), ..Default::default() };
        assert!(matches!(parse_transactions_query(&too_big), Err(Error::Invalid { field, .. }) if field == "limit"));
        let reversed = TransactionsQuery {
            start: Some("2024-02-01".into()),
            end: Some("2024-01-01".into()),
            ..Default::default()
        };
        assert!(parse_transactions_query(&reversed).is_err());
        let all = TransactionsQuery { paginate: Some("false".into()), ..Default::default() };
        assert_eq!(parse_transactions_query(&all).unwrap().1.limit, None);
    }
}
