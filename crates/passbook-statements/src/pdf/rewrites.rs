//! Signs that a PDF was written again by other software after it was made, which is how a
//! library edit shows: a script that changes a figure opens the file, re-encodes the page it
//! changed, and saves the whole file. The page it touched is then stored unlike its untouched
//! siblings, the file's second identifier changes, and some tools leave their mark.
//!
//! A statement that is locked with a password is spared the file-level signs: banks often lock
//! what their statement system wrote with a second tool, which rewrites the file the same way.
use std::collections::BTreeMap;

use lopdf::{Document, Object};
use passbook_domain::integrity::{Signal, Weight};

/// How one page's drawing instructions are stored and written: each PDF writer is consistent
/// about these within a file, and an editing library re-encodes only the pages it touched.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageWriting {
    /// The content streams' filters, with the zlib compression level of deflated ones.
    pub storage: Vec<String>,
    /// Whole numbers written with a decimal point (`7.0`) or without (`7`), where the page has
    /// them only one way.
    pub whole_numbers: Option<&'static str>,
}

/// Counts of whole numbers among a page's positioning operands, kept while the page is walked.
#[derive(Debug, Clone, Copy, Default)]
pub struct NumberCounts {
    as_real: usize,
    as_integer: usize,
}

impl NumberCounts {
    /// Counts the operands of positioning and font-size operators (not strings, not kerning).
    pub fn add(&mut self, operator: &str, operands: &[Object]) {
        if !matches!(operator, "Td" | "TD" | "Tm" | "cm" | "re" | "Tf" | "TL") {
            return;
        }
        for operand in operands {
            match operand {
                Object::Integer(_) => self.as_integer += 1,
                Object::Real(r) if r.fract() == 0.0 => self.as_real += 1,
                _ => {}
            }
        }
    }

    fn style(self) -> Option<&'static str> {
        const ENOUGH: usize = 3;
        match (self.as_real, self.as_integer) {
            (r, 0) if r >= ENOUGH => Some("whole numbers written as 7.0"),
            (0, i) if i >= ENOUGH => Some("whole numbers written as 7"),
            _ => None,
        }
    }
}

/// The page's writing, from its content streams as stored and the numbers counted on it.
pub fn page_writing(doc: &Document, page_id: lopdf::ObjectId, numbers: NumberCounts) -> PageWriting {
    let storage = doc
        .get_page_contents(page_id)
        .into_iter()
        .filter_map(|id| doc.get_object(id).ok()?.as_stream().ok())
        .map(|stream| {
            let filters: Vec<String> = stream
                .filters()
                .unwrap_or_default()
                .into_iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            match filters.as_slice() {
                [] => "not compressed".to_string(),
                [flate] if flate == "FlateDecode" => format!("deflated, {}", zlib_level(&stream.content)),
                _ => filters.join(" then "),
            }
        })
        .collect();
    PageWriting { storage, whole_numbers: numbers.style() }
}

/// The compression level a zlib stream's header records (RFC 1950's FLEVEL).
fn zlib_level(data: &[u8]) -> &'static str {
    match data {
        [cmf, flg, ..] if cmf & 0x0F == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0 => match flg >> 6 {
            0 => "fastest",
            1 => "fast",
            2 => "default level",
            _ => "best compression",
        },
        _ => "no zlib header",
    }
}

/// Pages carrying figures (counted from 0) whose drawing is stored or written unlike the rest:
/// first by how their content is stored, then by how their numbers are written.
pub fn pages_written_differently(writing: &BTreeMap<usize, PageWriting>) -> Option<Signal> {
    let by = |describe: &dyn Fn(&PageWriting) -> Option<String>| {
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (page, w) in writing {
            if let Some(described) = describe(w) {
                groups.entry(described).or_default().push(*page);
            }
        }
        groups
    };
    let stored = by(&|w| Some(w.storage.join(" + ")));
    let (what, groups) =
        if stored.len() > 1 { ("stored", stored) } else { ("written", by(&|w| w.whole_numbers.map(str::to_string))) };
    if groups.len() < 2 {
        return None;
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    // The most pages share the original writing; the others were written again.
    groups.sort_by_key(|(_, pages)| std::cmp::Reverse(pages.len()));
    let ((usual, usual_pages), (odd, odd_pages)) = (&groups[0], &groups[1]);
    Some(Signal::against(
        "pages_written_differently",
        Weight::Weak,
        format!(
            "The drawing of {} is {what} differently ({odd}) from {} ({usual}): a PDF's software writes every page \
             the same way, so {} was written again by other software, as happens when a page is edited with a \
             library",
            pages(odd_pages),
            pages(usual_pages),
            if odd_pages.len() == 1 { "that page" } else { "those pages" }
        ),
        pages(odd_pages),
    ))
}

fn pages(pages: &[usize]) -> String {
    let listed: Vec<String> = pages.iter().take(5).map(|p| (p + 1).to_string()).collect();
    let more = if pages.len() > 5 { format!(" and {} more", pages.len() - 5) } else { String::new() };
    format!("page{} {}{more}", if pages.len() == 1 { "" } else { "s" }, listed.join(", "))
}

/// The file-level signs of a rewrite: identifiers that changed, a rewriting tool's mark.
pub fn file_rewritten(bytes: &[u8], doc: &Document, producer: Option<&str>, signals: &mut Vec<Signal>) {
    if doc.encryption_state.is_some() {
        return;
    }
    if let Ok(Object::Array(id)) = doc.trailer.get(b"ID")
        && let [Object::String(first, _), Object::String(last, _)] = id.as_slice()
        && first != last
    {
        signals.push(Signal::against(
            "file_identifier_changed",
            Weight::Weak,
            "Its two file identifiers differ: the first is set when a PDF is made and the second each time it is \
             saved again, so this file was saved again after it was made",
            "the trailer's /ID",
        ));
    }
    let producer = producer.unwrap_or_default();
    let lower = producer.to_lowercase();
    let Some(writer) = WRITERS.iter().find(|w| (w.wrote)(bytes)) else { return };
    if !writer.names.iter().any(|n| lower.contains(n)) {
        signals.push(Signal::against(
            "rewritten_by_tool",
            Weight::Weak,
            format!(
                "It was last written by {} ({}), though its document information names other software \
                 (\"{producer}\")",
                writer.tool, writer.mark
            ),
            "the file's first lines",
        ));
    }
}

/// A PDF library recognised by how it writes a file, and the names under which it states itself
/// as the producer. A file written by one while naming other software was written by the
/// library and given another's name: a bank's statement system names itself.
struct Writer {
    tool: &'static str,
    mark: &'static str,
    names: &'static [&'static str],
    wrote: fn(&[u8]) -> bool,
}

const WRITERS: &[Writer] = &[
    Writer {
        tool: "qpdf (or pikepdf, built on it), a tool for changing PDFs",
        mark: "its mark is the file's second line",
        names: &["qpdf", "pikepdf"],
        wrote: |bytes| after_header(bytes).starts_with(b"%\xbf\xf7\xa2\xfe"),
    },
    Writer {
        tool: "ReportLab, a library for drawing PDFs",
        mark: "its name is on the file's second line",
        names: &["reportlab"],
        wrote: |bytes| after_header(bytes).starts_with(b"%\x93\x8c\x8b\x9e ReportLab Generated PDF"),
    },
    Writer {
        tool: "MuPDF (or PyMuPDF, built on it), a library for changing PDFs",
        mark: "it signs the file's first lines",
        names: &["mupdf"],
        wrote: |bytes| {
            let head = &after_header(bytes)[..after_header(bytes).len().min(48)];
            head.windows(17).any(|w| w == b"Written by MuPDF ")
        },
    },
    Writer {
        tool: "pypdf (or PyPDF2), a library for changing PDFs",
        mark: "its binary comment, and its dictionaries written one entry per line",
        names: &["pypdf"],
        wrote: |bytes| after_header(bytes).starts_with(b"%\xe2\xe3\xcf\xd3\n1 0 obj\n<<\n/"),
    },
];

/// The file after its `%PDF-1.x` line.
fn after_header(bytes: &[u8]) -> &[u8] {
    let head = &bytes[..bytes.len().min(64)];
    match head.iter().position(|&b| b == b'\n' || b == b'\r') {
        Some(end) => {
            let rest = &head[end..];
            &rest[rest.iter().take_while(|&&b| b == b'\n' || b == b'\r').count()..]
        }
        None => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writing(storage: &str, numbers: Option<&'static str>) -> PageWriting {
        PageWriting { storage: vec![storage.into()], whole_numbers: numbers }
    }

    #[test]
    fn a_page_stored_unlike_its_siblings_is_named() {
        let same = BTreeMap::from([
            (0, writing("deflated, best compression", None)),
            (1, writing("deflated, best compression", None)),
        ]);
        assert!(pages_written_differently(&same).is_none());
        let mut edited = same.clone();
        edited.insert(2, writing("deflated, best compression", None));
        edited.insert(0, writing("not compressed", None));
        let signal = pages_written_differently(&edited).unwrap();
        assert_eq!(signal.place, "page 1");
        assert!(signal.explanation.contains("not compressed"), "{}", signal.explanation);
        let numbers = BTreeMap::from([
            (0, writing("x", Some("whole numbers written as 7"))),
            (1, writing("x", Some("whole numbers written as 7.0"))),
            (2, writing("x", Some("whole numbers written as 7.0"))),
            (3, writing("x", None)),
        ]);
        assert_eq!(pages_written_differently(&numbers).unwrap().place, "page 1");
    }

    #[test]
    fn zlib_levels_are_read_from_the_header() {
        assert_eq!(zlib_level(&[0x78, 0x9C]), "default level");
        assert_eq!(zlib_level(&[0x78, 0xDA]), "best compression");
        assert_eq!(zlib_level(&[0x78, 0x01]), "fastest");
        assert_eq!(zlib_level(b"BT"), "no zlib header");
    }
}
