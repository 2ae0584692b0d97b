//! Reads bank statement files into accounts and rows: the file way into an institution.
//!
//! [`FileReader`] implements the domain's `StatementReader` port. It recognises the format from
//! the bytes (the file name is only a hint), hands the file to that format's reader, and checks
//! what came back: every account with its period, and nothing accepted that holds neither rows
//! nor balances.
mod camt;
mod csv;
mod header_names;
mod mt940;
mod ods_extent;
mod ofx;
mod passbook_json;
pub mod pdf;
mod spreadsheet;
mod spreadsheet_evidence;
mod table;
mod text;
mod xls_extent;

use passbook_domain::statement_file::{ReadError, StatementFile, StatementReader};

/// Reads statement files of at most `max_bytes`.
#[derive(Debug, Clone)]
pub struct FileReader {
    pub max_bytes: usize,
}

impl Default for FileReader {
    fn default() -> Self {
        Self { max_bytes: 20 * 1024 * 1024 }
    }
}

impl StatementReader for FileReader {
    fn read(&self, file: &[u8], file_name: Option<&str>, password: Option<&str>) -> Result<StatementFile, ReadError> {
        if file.len() > self.max_bytes {
            return Err(ReadError::TooLarge { limit_mb: (self.max_bytes / 1024 / 1024) as u64 });
        }
        if file.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
            return Err(ReadError::Empty);
        }
        let mut read = match sniff(file, file_name)? {
            Kind::Ofx => ofx::read(file)?,
            Kind::Camt => camt::read(file)?,
            Kind::Mt940 => mt940::read(file)?,
            Kind::Csv => csv::read(file)?,
            Kind::Spreadsheet => spreadsheet::read(file)?,
            Kind::Pdf => pdf::read(file, password)?,
            Kind::PassbookJson => passbook_json::read(file)?,
        };
        finish(&mut read)?;
        Ok(read)
    }
}

enum Kind {
    Ofx,
    Camt,
    Mt940,
    Csv,
    Spreadsheet,
    Pdf,
    PassbookJson,
}

/// The format, from the first bytes. Zip archives (XLSX, ODS) and OLE files (XLS) are
/// spreadsheets; text is told apart by what it contains.
fn sniff(file: &[u8], file_name: Option<&str>) -> Result<Kind, ReadError> {
    if file.starts_with(b"%PDF") || file.get(..1024).is_some_and(|head| head.windows(5).any(|w| w == b"%PDF-")) {
        return Ok(Kind::Pdf);
    }
    if file.starts_with(b"PK\x03\x04") || file.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Ok(Kind::Spreadsheet);
    }
    let head = text::decode(&file[..file.len().min(8192)]);
    if head.chars().filter(|c| c.is_control() && !c.is_whitespace() && !matches!(c, '\u{1}' | '\u{3}')).count() > 8 {
        let name = file_name.unwrap_or("the file");
        return Err(ReadError::Unsupported(format!(
            "{name} is not a statement format Passbook reads. Upload an OFX/QFX, CAMT.053 (XML), MT940, CSV, \
             Excel (XLSX/XLS), PDF or Passbook JSON statement."
        )));
    }
    Ok(if passbook_json::sniff(&head) {
        Kind::PassbookJson
    } else if ofx::sniff(&head) {
        Kind::Ofx
    } else if camt::sniff(&head) {
        Kind::Camt
    } else if mt940::sniff(&head) {
        Kind::Mt940
    } else if head.trim_start().starts_with('<') {
        return Err(ReadError::Unsupported(
            "This XML file is neither OFX nor a CAMT.053 statement (camt.052 and camt.054 are reports, not statements)."
                .into(),
        ));
    } else {
        Kind::Csv
    })
}

/// What the API serves of a row or an account, at most: a field that holds more is cut when it
/// is read, so a 20 MB narration is never stored or served.
const MAX_NARRATION: usize = 1_000;
const MAX_NAME: usize = 200;
const MAX_NUMBER: usize = 64;

fn cut(text: &mut Option<String>, max: usize) {
    if let Some(text) = text {
        cut_text(text, max);
    }
}

fn cut_text(text: &mut String, max: usize) {
    if let Some((at, _)) = text.char_indices().nth(max) {
        text.truncate(at);
    }
}

/// Every account gets its period (from its rows when the file states none), and a file that
/// yields nothing is refused.
fn finish(read: &mut StatementFile) -> Result<(), ReadError> {
    read.accounts.retain(|a| !a.rows.is_empty() || a.opening.is_some() || a.closing.is_some());
    if read.accounts.is_empty() {
        return Err(ReadError::NothingFound(format!(
            "the {} file holds no account with transactions or balances",
            read.format.as_str()
        )));
    }
    for account in &mut read.accounts {
        cut(&mut account.account_number, MAX_NUMBER);
        cut(&mut account.holder, MAX_NAME);
        cut(&mut account.bank_id, MAX_NUMBER);
        for row in &mut account.rows {
            cut_text(&mut row.narration, MAX_NARRATION);
            cut(&mut row.reference, MAX_NUMBER);
        }
        if account.period.is_none() {
            let first = account.rows.iter().map(|r| r.date).min();
            let last = account.rows.iter().map(|r| r.date).max();
            account.period = first.zip(last);
        }
    }
    Ok(())
}
