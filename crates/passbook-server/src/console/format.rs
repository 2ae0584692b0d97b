//! How the console writes times, money and pages of lists.
use passbook_domain::Timestamp;

/// `2026-11-30 10:45:07 UTC`.
pub fn when(t: Timestamp) -> String {
    let dt = t.to_datetime();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

pub fn when_opt(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "—".to_string(), when)
}

/// `₦1,234.56` from kobo.
pub fn naira(kobo: i64) -> String {
    let sign = if kobo < 0 { "-" } else { "" };
    let whole = (kobo.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}₦{grouped}.{:02}", kobo.abs() % 100)
}

/// Links to the previous and next page of a list, keeping its other query parameters.
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub fn new(page: u64, per_page: u64, total: u64, base: &str) -> Self {
        let pages = total.div_ceil(per_page).max(1);
        let link = |p: u64| format!("{base}{}page={p}", if base.contains('?') { '&' } else { '?' });
        Self {
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// A sortable column: its key in `?sort=`, its header, and the value of a row it sorts by.
pub type SortColumn<T> = (&'static str, &'static str, fn(&T) -> String);

/// A column a table can be sorted by: its header links to the page sorted by it.
pub struct Column {
    pub label: &'static str,
    pub href: String,
    pub mark: &'static str,
}

/// Sorts this page's rows by the chosen column (`sort`, `-` first for descending) and makes the
/// headers, each linking to the other order of its column.
pub fn sort_rows<T>(rows: &mut [T], sort: Option<&str>, base: &str, columns: &[SortColumn<T>]) -> Vec<Column> {
    let (desc, key) = match sort {
        Some(s) => s.strip_prefix('-').map_or((false, s), |k| (true, k)),
        None => (false, ""),
    };
    if let Some((_, _, value)) = columns.iter().find(|(k, _, _)| *k == key) {
        rows.sort_by_cached_key(|row| sortable(&value(row)));
        if desc {
            rows.reverse();
        }
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    columns
        .iter()
        .map(|(k, label, _)| {
            let next = if *k == key && !desc { format!("-{k}") } else { k.to_string() };
            let mark = match (*k == key, desc) {
                (true, false) => " ▲",
                (true, true) => " ▼",
                _ => "",
            };
            Column { label, href: format!("{base}{sep}sort={next}"), mark }
        })
        .collect()
}

/// Numbers (with their signs, commas and currency signs dropped) sort as numbers, the rest as text.
fn sortable(value: &str) -> (u8, i128, String) {
    let digits: String = value.chars().filter(|c| c.is_ascii_digit() || *c == '-' || *c == '.').collect();
    match digits.replace('.', "").parse::<i128>() {
        Ok(n)
            if !digits.is_empty()
                && value.chars().any(|c| c.is_ascii_digit())
                && !value.chars().any(char::is_alphabetic) =>
        {
            (0, n, String::new())
        }
        _ => (1, 0, value.to_lowercase()),
    }
}

/// `a=b&c=d` of the non-empty pairs, for links that keep a list's filters.
pub fn query(pairs: &[(&str, Option<&str>)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            out.append_pair(k, v);
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_pages_read_as_people_write_them() {
        assert_eq!(naira(123_456_789), "₦1,234,567.89");
        assert_eq!(naira(-5), "-₦0.05");
        let p = Pager::new(2, 20, 45, "/console/links?status=failed");
        assert_eq!((p.pages, p.prev.as_deref()), (3, Some("/console/links?status=failed&page=1")));
        assert_eq!(p.next.as_deref(), Some("/console/links?status=failed&page=3"));
    }

    #[test]
    fn tables_sort_numbers_as_numbers() {
        let mut rows: Vec<String> = ["₦10.00", "₦9.50", "₦100.00"].map(String::from).to_vec();
        let columns: [SortColumn<String>; 1] = [("amount", "Amount", |r| r.clone())];
        let headers = sort_rows(&mut rows, Some("-amount"), "/x", &columns);
        assert_eq!(rows, ["₦100.00", "₦10.00", "₦9.50"]);
        assert_eq!((headers[0].href.as_str(), headers[0].mark), ("/x?sort=amount", " ▼"));
    }
}
