//! The generated Nigerian corpus (see `nigerian/mod.rs`): fourteen banks' and wallets' layouts,
//! each as CSV, XLSX and a multi-page PDF (some locked with a password), read back row for row:
//! dates, amounts, narrations, balances, the opening and closing balance, the account number,
//! the holder and the currency.
use passbook_domain::statement_file::{ReconciliationStatus, StatementReader};
use passbook_statements::FileReader;

mod common;
mod nigerian;
use nigerian::pdf::{PdfStyle, pdf};
use nigerian::*;

#[test]
fn every_nigerian_layout_reads_exactly() {
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (i, layout) in layouts().iter().enumerate() {
        let (opening, truth) = transactions(i as u64, 40 + i * 3);
        let table = table(layout, opening, &truth);
        let style = pdf_style(i);
        let files = [
            ("csv", csv(&table), None),
            ("xlsx", xlsx(&table), None),
            ("pdf", pdf(layout, &table, &style), style.password),
        ];
        for (kind, bytes, password) in files {
            checked += 1;
            let name = format!("{}.{kind}", layout.name);
            if let Ok(dir) = std::env::var("PASSBOOK_CORPUS_OUT") {
                std::fs::write(std::path::Path::new(&dir).join(&name), &bytes).unwrap();
            }
            if let Err(why) = reads_exactly(&name, &bytes, password, layout, opening, &truth) {
                wrong.push(format!("{name}: {why}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {checked} statements read wrong:\n{}", wrong.len(), wrong.join("\n"));
}

/// Page breaks every 24 to 36 lines; every other layout's narrations wrap; a third carry their
/// balance forward at each break; times under dates wherever the layout prints them; two are
/// locked.
fn pdf_style(i: usize) -> PdfStyle {
    PdfStyle {
        lines_per_page: 24 + (i * 5) % 13,
        narration_width: if i.is_multiple_of(2) { 14 } else { 60 },
        carried_forward: i.is_multiple_of(3),
        time_below: i % 2 == 1,
        password: [0, 11].contains(&i).then_some("20250131"),
        scanned_page: false,
    }
}

fn reads_exactly(
    name: &str,
    bytes: &[u8],
    password: Option<&str>,
    layout: &Layout,
    opening: i64,
    truth: &[Truth],
) -> Result<(), String> {
    let read = FileReader::default().read(bytes, Some(name), password).map_err(|e| e.to_string())?;
    let [account] = read.accounts.as_slice() else { return Err(format!("{} accounts", read.accounts.len())) };
    let mut got: Vec<Truth> = account
        .rows
        .iter()
        .map(|r| Truth {
            date: r.date.to_datetime().date(),
            amount: r.amount,
            narration: r.narration.clone(),
            balance: r.balance.unwrap_or(i64::MIN),
        })
        .collect();
    if layout.newest_first {
        got.reverse();
    }
    let facts = (
        account.account_number.as_deref(),
        account.holder.as_deref(),
        account.currency.as_deref(),
        account.opening.map(|b| b.amount),
        account.closing_balance(),
        account.reconcile().status,
    );
    let want = (
        Some(NUMBER),
        Some(HOLDER),
        states_currency(layout, name).then_some("NGN"),
        Some(opening),
        truth.last().map(|t| t.balance),
        ReconciliationStatus::Balanced,
    );
    let mut why = Vec::new();
    if facts != want {
        why.push(format!("read {facts:?}, want {want:?}"));
    }
    if got != truth {
        let first = got.iter().zip(truth).position(|(g, t)| g != t);
        why.push(format!(
            "{} rows read of {}; first difference at {first:?}: {:?} vs {:?}",
            got.len(),
            truth.len(),
            first.map(|f| &got[f]),
            first.map(|f| &truth[f])
        ));
    }
    if why.is_empty() { Ok(()) } else { Err(why.join("; ")) }
}

/// Whether the file states its currency: every CSV and XLSX does (a banner line, a header's
/// unit or the naira sign on its amounts); a PDF only by a banner line or a header's unit (the
/// generator's PDFs print amounts without the sign), and what it does not state stays unknown.
fn states_currency(layout: &Layout, name: &str) -> bool {
    !name.ends_with(".pdf")
        || layout.banner.iter().any(|(label, _)| label.to_lowercase().contains("currency"))
        || layout.columns.iter().any(|(column, _)| column.contains('₦') || column.contains("NGN"))
}

/// A page without a text layer (a scanned page inside an e-statement) is named in the report,
/// and the rows of the other pages are all read.
#[test]
fn a_page_without_text_is_reported_by_number() {
    let layout = &layouts()[1];
    let (opening, truth) = transactions(7, 60);
    let style = PdfStyle { scanned_page: true, ..pdf_style(1) };
    let bytes = pdf(layout, &table(layout, opening, &truth), &style);
    let read = FileReader::default().read(&bytes, Some("scanned.pdf"), None).unwrap();
    assert_eq!(read.accounts[0].rows.len(), truth.len());
    assert_eq!(read.skipped[0].at, "page 2", "{:?}", read.skipped);
    assert!(read.skipped[0].reason.contains("no text layer"), "{:?}", read.skipped);
}
