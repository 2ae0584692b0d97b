//! PDF statements with a text layer.
mod drawing;
mod evidence;
mod facts;
mod layout;
mod metrics;
mod pen;
mod rewrites;
mod rows;

use lopdf::{Document, LoadOptions};
use passbook_domain::statement_file::ReadError;

pub use layout::{Line, Word};
pub use rows::read;

/// Opens the PDF, with its password when it has one.
pub fn open(bytes: &[u8], password: Option<&str>) -> Result<Document, ReadError> {
    let mut options = match password.filter(|p| !p.is_empty()) {
        Some(p) => LoadOptions::with_password(p),
        None => LoadOptions::default(),
    };
    // A bound against compression bombs in object and cross-reference streams.
    options.max_decompressed_size = Some(64 * 1024 * 1024);
    let doc = Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::InvalidPassword => {
            if password.is_some_and(|p| !p.is_empty()) {
                ReadError::WrongPassword
            } else {
                ReadError::PasswordRequired
            }
        }
        other => ReadError::Malformed(format!("the PDF could not be opened: {other}")),
    })?;
    if doc.is_encrypted() {
        return Err(if password.is_some_and(|p| !p.is_empty()) {
            ReadError::WrongPassword
        } else {
            ReadError::PasswordRequired
        });
    }
    Ok(doc)
}

/// The text layer's lines, and the pages (counted from 0) that have none: scanned pages.
pub fn lines(bytes: &[u8], password: Option<&str>) -> Result<(Vec<Line>, Vec<usize>), ReadError> {
    read_document(bytes, password).map(|page| (page.lines, page.without_text))
}

/// A PDF as the statement reader needs it: its text layer, the pages without one, and what the
/// file and its drawing show of its history.
pub(crate) struct Pages {
    pub lines: Vec<Line>,
    pub without_text: Vec<usize>,
    pub evidence: Vec<passbook_domain::integrity::Signal>,
}

pub(crate) fn read_document(bytes: &[u8], password: Option<&str>) -> Result<Pages, ReadError> {
    let doc = open(bytes, password)?;
    let (lines, mut evidence) = layout::read(&doc).map_err(|e| match e {
        layout::LayoutError::Limit(why) => ReadError::Unsafe(why),
        layout::LayoutError::Unreadable(why) => {
            ReadError::Malformed(format!("the PDF's pages could not be read: {why}"))
        }
    })?;
    let pages = doc.get_pages().len();
    let without_text = (0..pages).filter(|p| !lines.iter().any(|l| l.page == *p && !l.words.is_empty())).collect();
    let text: String = lines.iter().map(|l| l.text() + "\n").collect();
    let mut file_evidence = evidence::gather(bytes, &doc, &text);
    file_evidence.append(&mut evidence);
    Ok(Pages { lines, without_text, evidence: file_evidence })
}
