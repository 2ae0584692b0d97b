//! A corpus of statements laid out as Nigerian banks and wallets lay out their e-statements
//! (from what is publicly known of them: column names, date and amount forms, banner rows,
//! balance rows, row order), made with known ground truth. Each layout is written as CSV and as
//! XLSX; every one must read back exactly.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test data and assertions on small, known numbers; the lints hold the shipped code"
)]
pub mod pdf;

use time::{Date, Month};

/// One transaction as the generator made it: what the reader must give back.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    pub date: Date,
    /// Kobo: positive money in.
    pub amount: i64,
    pub narration: String,
    pub balance: i64,
}

#[derive(Clone, Copy)]
pub enum Dates {
    /// `02-Jan-2025`
    DayMonYear,
    /// `02-JAN-25`
    DayMonYy,
    /// `02 Jan 2025 10:32:11`
    DayMonYearTime,
    /// `Jan 02, 2025`
    MonDayYear,
    /// `02/01/2025`
    Slashed,
    /// `02/01/25 10:32:11`
    SlashedYyTime,
    /// `2025-01-02`
    Iso,
    /// `2025-01-02 10:32:11`
    IsoTime,
}

#[derive(Clone, Copy)]
pub enum Amounts {
    /// Debit and credit columns, plain numbers (`12,500.00`).
    Split,
    /// Debit and credit columns with the naira sign, `--` when empty.
    SplitNaira,
    /// One signed column: `+₦5,000.00` / `-₦1,200.00`.
    SignedNaira,
    /// One column with `DR`/`CR` suffixes.
    Suffixed,
}

pub struct Layout {
    pub name: &'static str,
    /// Column names, using the placeholders `date`, `value`, `narr`, `ref`, `debit`, `credit`,
    /// `amount`, `balance`, or anything else for a column left blank.
    pub columns: &'static [(&'static str, &'static str)],
    pub dates: Dates,
    pub amounts: Amounts,
    pub newest_first: bool,
    /// The opening balance as a dated row of its own, with this label in the narration.
    pub opening_row: Option<&'static str>,
    /// Banner rows above the table: (label, value) with `{number}`, `{name}` and `{opening}`.
    pub banner: &'static [(&'static str, &'static str)],
}

pub const NUMBER: &str = "0123456789";
pub const HOLDER: &str = "ADEBAYO CHIOMA OKAFOR";

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

pub fn layouts() -> Vec<Layout> {
    use Amounts::*;
    use Dates::*;
    let bank = &[("Account Name", "{name}"), ("Account Number", "{number}"), ("Currency", "NGN")][..];
    vec![
        Layout {
            name: "gtbank",
            columns: &[
                ("Trans. Date", "date"),
                ("Value. Date", "value"),
                ("Reference", "ref"),
                ("Debits", "debit"),
                ("Credits", "credit"),
                ("Balance", "balance"),
                ("Originating Branch", "x"),
                ("Remarks", "narr"),
            ],
            dates: DayMonYear,
            amounts: Split,
            newest_first: false,
            opening_row: None,
            banner: &[
                ("Account Name", "{name}"),
                ("Account Number", "{number}"),
                ("Currency", "NGN"),
                ("Opening Balance", "{opening}"),
            ],
        },
        Layout {
            name: "access",
            columns: &[
                ("Posted Date", "date"),
                ("Value Date", "value"),
                ("Description", "narr"),
                ("Debit", "debit"),
                ("Credit", "credit"),
                ("Balance", "balance"),
            ],
            dates: DayMonYy,
            amounts: Split,
            newest_first: false,
            opening_row: Some("Opening Balance"),
            banner: bank,
        },
        Layout {
            name: "zenith",
            columns: &[
                ("DATE POSTED", "date"),
                ("VALUE DATE", "value"),
                ("DESCRIPTION", "narr"),
                ("DEBIT", "debit"),
                ("CREDIT", "credit"),
                ("BALANCE", "balance"),
            ],
            dates: Slashed,
            amounts: Split,
            newest_first: false,
            opening_row: Some("Opening Balance"),
            banner: &[("ACCOUNT NAME:", "{name}"), ("ACCOUNT NUMBER:", "{number}"), ("CURRENCY:", "NGN")],
        },
        Layout {
            name: "uba",
            columns: &[
                ("Tran Date", "date"),
                ("Value Date", "value"),
                ("Narration", "narr"),
                ("Chq. No", "x"),
                ("Debit", "debit"),
                ("Credit", "credit"),
                ("Balance", "balance"),
            ],
            dates: DayMonYear,
            amounts: Split,
            newest_first: false,
            opening_row: Some("BALANCE B/F"),
            banner: bank,
        },
        Layout {
            name: "firstbank",
            columns: &[
                ("TransDate", "date"),
                ("Reference", "ref"),
                ("ValueDate", "value"),
                ("Debit", "debit"),
                ("Credit", "credit"),
                ("Balance", "balance"),
                ("Remarks", "narr"),
            ],
            dates: DayMonYear,
            amounts: Split,
            newest_first: false,
            opening_row: None,
            banner: &[
                ("Account Name", "{name}"),
                ("Account No.", "{number}"),
                ("Currency", "NGN"),
                ("Opening Balance", "{opening}"),
            ],
        },
        Layout {
            name: "fidelity",
            columns: &[
                ("Transaction Date", "date"),
                ("Value Date", "value"),
                ("Reference", "ref"),
                ("Narration", "narr"),
                ("Debit", "debit"),
                ("Credit", "credit"),
                ("Balance", "balance"),
            ],
            dates: MonDayYear,
            amounts: Split,
            newest_first: false,
            opening_row: Some("Opening Balance"),
            banner: bank,
        },
        Layout {
            name: "stanbic",
            columns: &[
                ("Date", "date"),
                ("Description", "narr"),
                ("Reference", "ref"),
                ("Money Out", "debit"),
                ("Money In", "credit"),
                ("Balance", "balance"),
            ],
            dates: Iso,
            amounts: Split,
            newest_first: false,
            opening_row: Some("BALANCE BROUGHT FORWARD"),
            banner: bank,
        },
        Layout {
            name: "sterling",
            columns: &[
                ("Trans Date", "date"),
                ("Value Date", "value"),
                ("Narration", "narr"),
                ("Ref", "ref"),
                ("Amount", "amount"),
                ("Balance", "balance"),
            ],
            dates: DayMonYear,
            amounts: Suffixed,
            newest_first: false,
            opening_row: None,
            banner: &[
                ("Account Name", "{name}"),
                ("Account Number", "{number}"),
                ("Currency", "NGN"),
                ("Opening Balance", "{opening}"),
            ],
        },
        Layout {
            name: "wema-alat",
            columns: &[
                ("Date", "date"),
                ("Description", "narr"),
                ("Withdrawals", "debit"),
                ("Lodgements", "credit"),
                ("Balance", "balance"),
            ],
            dates: Slashed,
            amounts: Split,
            newest_first: false,
            opening_row: Some("Opening Balance"),
            banner: bank,
        },
        Layout {
            name: "fcmb",
            columns: &[
                ("Txn Date", "date"),
                ("Value Date", "value"),
                ("Description", "narr"),
                ("Debit (NGN)", "debit"),
                ("Credit (NGN)", "credit"),
                ("Balance (NGN)", "balance"),
            ],
            dates: DayMonYy,
            amounts: Split,
            newest_first: false,
            opening_row: Some("Opening Balance"),
            banner: &[("Account Name", "{name}"), ("Account Number", "{number}")],
        },
        Layout {
            name: "kuda",
            columns: &[
                ("Date/Time", "date"),
                ("Money In", "credit"),
                ("Money Out", "debit"),
                ("Category", "x"),
                ("To / From", "narr"),
                ("Balance", "balance"),
            ],
            dates: SlashedYyTime,
            amounts: SplitNaira,
            newest_first: true,
            opening_row: None,
            banner: &[("Customer Name", "{name}"), ("NUBAN", "{number}"), ("Opening Balance", "{opening}")],
        },
        Layout {
            name: "opay",
            columns: &[
                ("Trans. Time", "date"),
                ("Value Date", "value"),
                ("Description", "narr"),
                ("Debit(₦)", "debit"),
                ("Credit(₦)", "credit"),
                ("Balance After(₦)", "balance"),
                ("Channel", "x"),
                ("Transaction Reference", "ref"),
            ],
            dates: DayMonYearTime,
            amounts: SplitNaira,
            newest_first: true,
            opening_row: None,
            banner: &[("Account Name", "{name}"), ("Account Number", "{number}"), ("Opening Balance", "{opening}")],
        },
        Layout {
            name: "palmpay",
            columns: &[
                ("Transaction Date", "date"),
                ("Transaction Detail", "narr"),
                ("Money In/Out", "amount"),
                ("Balance", "balance"),
                ("Transaction ID", "ref"),
            ],
            dates: IsoTime,
            amounts: SignedNaira,
            newest_first: true,
            opening_row: None,
            banner: &[("Name", "{name}"), ("Account Number", "{number}"), ("Opening Balance", "{opening}")],
        },
        Layout {
            name: "moniepoint",
            columns: &[
                ("Date", "date"),
                ("Narration", "narr"),
                ("Reference", "ref"),
                ("Amount", "amount"),
                ("Balance After", "balance"),
            ],
            dates: DayMonYearTime,
            amounts: SignedNaira,
            newest_first: false,
            opening_row: None,
            banner: &[("Account Name", "{name}"), ("Account Number", "{number}"), ("Opening Balance", "{opening}")],
        },
    ]
}

/// A statement's transactions over about three months, from a seed.
pub fn transactions(seed: u64, n: usize) -> (i64, Vec<Truth>) {
    let mut x = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let opening = 5_000_000 + next(50_000_000) as i64;
    let mut balance = opening;
    let mut date = Date::from_calendar_date(2025, Month::January, 2).unwrap();
    let narrations = [
        "NIP TRF FROM OKON EMEKA/SALARY",
        "POS PURCHASE SHOPRITE LEKKI",
        "AIRTIME MTN 08031234567",
        "TRF TO IBRAHIM MUSA",
        "SMS ALERT CHARGES",
        "ATM WDL GTB YABA",
        "USSD TRANSFER TO KUDA",
        "ELECTRICITY IKEDC",
    ];
    let rows = (0..n)
        .map(|_| {
            date = date.saturating_add(time::Duration::days(next(3) as i64));
            let credit = next(3) == 0;
            let amount = (next(20_000) as i64 + 1) * 100 + next(100) as i64;
            let amount = if credit { amount * 5 } else { -amount.min(balance) };
            balance += amount;
            Truth { date, amount, narration: narrations[next(8) as usize].to_string(), balance }
        })
        .collect();
    (opening, rows)
}

fn date_text(d: Date, style: Dates) -> String {
    let (y, m, day) = (d.year(), MONTHS[d.month() as usize - 1], d.day());
    let mm = d.month() as u8;
    match style {
        Dates::DayMonYear => format!("{day:02}-{m}-{y}"),
        Dates::DayMonYy => format!("{day:02}-{}-{:02}", m.to_uppercase(), y % 100),
        Dates::DayMonYearTime => format!("{day:02} {m} {y} 10:{:02}:11", day % 60),
        Dates::MonDayYear => format!("{m} {day:02}, {y}"),
        Dates::Slashed => format!("{day:02}/{mm:02}/{y}"),
        Dates::SlashedYyTime => format!("{day:02}/{mm:02}/{:02} 09:15:00", y % 100),
        Dates::Iso => format!("{y}-{mm:02}-{day:02}"),
        Dates::IsoTime => format!("{y}-{mm:02}-{day:02} 14:05:59"),
    }
}

/// `1234567` kobo as `12,345.67`.
pub fn naira(kobo: i64) -> String {
    let whole = (kobo.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02}", kobo.abs() % 100)
}

/// The statement as rows of cells, banner first.
pub fn table(layout: &Layout, opening: i64, rows: &[Truth]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![vec![format!("{} e-Statement", layout.name.to_uppercase())]];
    for (label, value) in layout.banner {
        let value = value.replace("{number}", NUMBER).replace("{name}", HOLDER).replace("{opening}", &naira(opening));
        out.push(vec![label.to_string(), value]);
    }
    out.push(vec![]);
    out.push(layout.columns.iter().map(|(name, _)| name.to_string()).collect());
    let cells = |date: Date, narration: &str, amount: Option<i64>, balance: i64, i: usize| -> Vec<String> {
        layout
            .columns
            .iter()
            .map(|(_, role)| match *role {
                "date" | "value" => date_text(date, layout.dates),
                "narr" => narration.to_string(),
                "ref" => amount.map(|_| format!("REF{:08}", i * 7919 % 100_000_000)).unwrap_or_default(),
                "balance" => naira(balance),
                "debit" | "credit" => {
                    let wanted = if *role == "debit" { amount.filter(|a| *a < 0) } else { amount.filter(|a| *a > 0) };
                    match (wanted, layout.amounts) {
                        (Some(a), Amounts::SplitNaira) => format!("₦{}", naira(a)),
                        (Some(a), _) => naira(a),
                        (None, Amounts::SplitNaira) => "--".into(),
                        (None, _) => String::new(),
                    }
                }
                "amount" => match (amount, layout.amounts) {
                    (Some(a), Amounts::SignedNaira) => format!("{}₦{}", if a < 0 { "-" } else { "+" }, naira(a)),
                    (Some(a), _) => format!("{} {}", naira(a), if a < 0 { "DR" } else { "CR" }),
                    (None, _) => String::new(),
                },
                _ => String::new(),
            })
            .collect()
    };
    let mut body: Vec<Vec<String>> = Vec::new();
    if let Some(label) = layout.opening_row {
        body.push(cells(rows[0].date, label, None, opening, 0));
    }
    for (i, row) in rows.iter().enumerate() {
        body.push(cells(row.date, &row.narration, Some(row.amount), row.balance, i + 1));
    }
    if layout.newest_first {
        body.reverse();
    }
    out.extend(body);
    out.push(vec![]);
    out.push(vec!["This is a computer-generated statement and requires no signature.".into()]);
    out
}

pub fn csv(table: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::new();
    for row in table {
        let cells: Vec<String> = row
            .iter()
            .map(|c| if c.contains([',', '"']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.clone() })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// An XLSX: text in inline strings, amounts (`12,500.00` without a sign or symbol) as numbers,
/// as bank exports store them.
pub fn xlsx(table: &[Vec<String>]) -> Vec<u8> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in table.iter().enumerate() {
        sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, cell) in row.iter().enumerate() {
            let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
            let number = cell.replace(',', "");
            if !cell.is_empty() && cell.contains('.') && number.parse::<f64>().is_ok() && !cell.starts_with(['+', '-'])
            {
                sheet.push_str(&format!(r#"<c r="{at}"><v>{number}</v></c>"#));
            } else if !cell.is_empty() {
                let escaped = cell.replace('&', "&amp;").replace('<', "&lt;");
                sheet.push_str(&format!(r#"<c r="{at}" t="inlineStr"><is><t>{escaped}</t></is></c>"#));
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    crate::common::xlsx_package(&sheet)
}
