//! Excel (XLSX, XLS) and OpenDocument spreadsheets, through calamine: every cell becomes text
//! (dates as `YYYY-MM-DD`) and the table reader does the rest. An XLSX is a ZIP archive, so its
//! members' declared sizes are checked first: a small file that inflates into gigabytes is
//! refused before calamine opens it.
use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use passbook_domain::statement_file::*;

use crate::table;

/// The most a spreadsheet may inflate to.
const MAX_INFLATED: u64 = 64 * 1024 * 1024;

pub fn read(bytes: &[u8]) -> Result<StatementFile, ReadError> {
    if bytes.starts_with(b"PK") {
        check_archive(bytes)?;
    }
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ReadError::Malformed(format!("the spreadsheet could not be opened: {e}")))?;
    let mut last_error = None;
    for name in workbook.sheet_names() {
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| ReadError::Malformed(format!("the sheet '{name}' could not be read: {e}")))?;
        let rows: Vec<Vec<String>> = range.rows().map(|row| row.iter().map(text).collect()).collect();
        match table::read(&rows, FileFormat::Spreadsheet) {
            Ok(file) if file.accounts.iter().any(|a| !a.rows.is_empty()) => return Ok(file),
            Ok(_) => {}
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| ReadError::NothingFound("no sheet holds a statement table".into())))
}

fn check_archive(bytes: &[u8]) -> Result<(), ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ReadError::Malformed(format!("the spreadsheet's archive is damaged: {e}")))?;
    // The declared sizes; the ZIP reader stops at a member's declared size, so a lying header
    // does not get past this either.
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let member = archive
            .by_index_raw(i)
            .map_err(|e| ReadError::Malformed(format!("the spreadsheet's archive is damaged: {e}")))?;
        total = total.saturating_add(member.size());
    }
    if total > MAX_INFLATED {
        return Err(ReadError::Unsafe(format!(
            "the spreadsheet inflates to {} MB, more than the {} MB allowed",
            total / 1024 / 1024,
            MAX_INFLATED / 1024 / 1024
        )));
    }
    Ok(())
}

fn text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => format_float(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => serial_date(dt.as_f64()),
    }
}

/// A float as a decimal without exponent or binary noise (`1234.5`, `-50`).
fn format_float(f: f64) -> String {
    let rounded = (f * 100.0).round() / 100.0;
    let s = format!("{rounded:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
fn serial_date(serial: f64) -> String {
    let epoch = time::Date::from_calendar_date(1899, time::Month::December, 30).expect("valid");
    match epoch.checked_add(time::Duration::days(serial.floor() as i64)) {
        Some(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day()),
        None => String::new(),
    }
}
