//! Excel (XLSX, XLS) and OpenDocument spreadsheets, through calamine: every cell becomes text
//! (dates as `YYYY-MM-DD`) and the table reader does the rest. An XLSX is a ZIP archive, so its
//! members' declared sizes are checked first: a small file that inflates into gigabytes is
//! refused before calamine opens it.
use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Sheets, open_workbook_auto_from_rs};
use passbook_domain::statement_file::{FileFormat, ReadError, StatementFile};

use crate::table;

/// The most a spreadsheet may inflate to.
const MAX_INFLATED: u64 = 64 * 1024 * 1024;
/// The largest sheet read: a statement of 100,000 rows (with its banner and header) is years of
/// a busy account, and no bank exports more than a few dozen columns. A cell beyond these is
/// refused, not allocated for (the cells kept are capped apart, by `table::MAX_CELLS`).
const MAX_ROWS: u32 = 200_000;
const MAX_COLUMNS: u32 = 256;

pub fn read(bytes: &[u8]) -> Result<StatementFile, ReadError> {
    if bytes.starts_with(b"PK") {
        check_archive(bytes)?;
        crate::ods_extent::check(bytes)?;
    } else {
        crate::xls_extent::check(bytes)?;
    }
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ReadError::Malformed(format!("the spreadsheet could not be opened: {e}")))?;
    let mut last_error = None;
    for name in workbook.sheet_names() {
        let rows = match &mut workbook {
            Sheets::Xlsx(xlsx) => sparse_rows(xlsx, &name)?,
            other => {
                let range = other
                    .worksheet_range(&name)
                    .map_err(|e| ReadError::Malformed(format!("the sheet '{name}' could not be read: {e}")))?;
                range.rows().map(|row| row.iter().map(text).collect()).collect()
            }
        };
        match table::read(&rows, FileFormat::Spreadsheet) {
            Ok(mut file) if file.accounts.iter().any(|a| !a.rows.is_empty()) => {
                if bytes.starts_with(b"PK") {
                    file.evidence = crate::spreadsheet_evidence::gather(bytes);
                }
                return Ok(file);
            }
            Ok(_) => {}
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| ReadError::NothingFound("no sheet holds a statement table".into())))
}

/// An XLSX sheet's cells as rows, read one cell at a time: a sheet that names a far cell
/// (`XFD1048576`) costs nothing until it holds a value there, and then it is refused.
fn sparse_rows<RS: std::io::Read + std::io::Seek>(
    xlsx: &mut calamine::Xlsx<RS>,
    name: &str,
) -> Result<Vec<Vec<String>>, ReadError> {
    let unreadable =
        |e: calamine::XlsxError| ReadError::Malformed(format!("the sheet '{name}' could not be read: {e}"));
    let mut cells = xlsx.worksheet_cells_reader(name).map_err(unreadable)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut budget = crate::table::CellBudget::default();
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        passbook_domain::read_deadline::check()?;
        let value = data_ref_text(cell.get_value());
        if value.is_empty() {
            continue;
        }
        let (row, column) = cell.get_position();
        budget.spend(1, 0, || format!("the sheet '{name}' at row {}", row + 1))?;
        if row >= MAX_ROWS || column >= MAX_COLUMNS {
            return Err(ReadError::Unsafe(format!(
                "the sheet '{name}' has a value at row {} column {}, beyond the {MAX_ROWS} rows and {MAX_COLUMNS} \
                 columns a statement may have",
                row + 1,
                column + 1
            )));
        }
        let (row, column) = (row as usize, column as usize);
        if rows.len() <= row {
            rows.resize_with(row + 1, Vec::new);
        }
        if rows[row].len() <= column {
            rows[row].resize(column + 1, String::new());
        }
        rows[row][column] = value;
    }
    Ok(rows)
}

fn data_ref_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => format_float(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => serial_date(dt.as_f64()),
        DataRef::Empty | DataRef::Error(_) => String::new(),
    }
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
    match epoch.checked_add(time::Duration::days(passbook_domain::numbers::round(serial.floor()))) {
        Some(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day()),
        None => String::new(),
    }
}
