//! What an XLSX says about its history: who last saved it and when, against who made it and
//! when (`docProps/core.xml`), and formulas where a bank's export writes values. A statement
//! exported by a bank's system and then opened and saved in a spreadsheet application carries
//! that application's save.
use std::io::{Cursor, Read};

use passbook_domain::integrity::{Signal, Weight};

/// Spreadsheet applications that name themselves in `docProps/app.xml` when they save a file.
/// Excel is not among them: many export libraries (PhpSpreadsheet, ClosedXML, EPPlus) write
/// "Microsoft Excel" there too, so its name alone says nothing.
const SPREADSHEET_APPS: &[&str] = &["libreoffice", "openoffice", "wps office", "kingsoft", "numbers", "onlyoffice"];

/// The most of one part read (the archive's inflated size is bounded before this runs).
const MAX_PART: u64 = 8 * 1024 * 1024;

pub fn gather(bytes: &[u8]) -> Vec<Signal> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Vec::new() };
    let sheets: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok())
        .filter(|n| n.starts_with("xl/worksheets/") && n.ends_with(".xml"))
        .map(|n| n.into_owned())
        .collect();
    let mut part = |name: &str| -> Option<String> {
        let member = archive.by_name(name).ok()?;
        let mut text = String::new();
        member.take(MAX_PART).read_to_string(&mut text).ok()?;
        Some(text)
    };
    let mut signals = Vec::new();
    if let Some(core) = part("docProps/core.xml") {
        let creator = tag(&core, "dc:creator").unwrap_or_default();
        if let Some(editor) = tag(&core, "cp:lastModifiedBy").filter(|e| !e.is_empty() && *e != creator) {
            signals.push(Signal::against(
                "saved_by_another_person",
                Weight::Weak,
                format!("Last saved by \"{editor}\", not by \"{creator}\" who made it"),
                "docProps/core.xml lastModifiedBy",
            ));
        }
        let (created, modified) = (tag(&core, "dcterms:created"), tag(&core, "dcterms:modified"));
        if let (Some(c), Some(m)) =
            (created.as_deref().and_then(iso_seconds), modified.as_deref().and_then(iso_seconds))
            && m - c > 60
        {
            signals.push(Signal::against(
                "modified_after_creation",
                Weight::Weak,
                format!(
                    "Saved again {} minutes after it was made ({} → {})",
                    (m - c) / 60,
                    created.unwrap_or_default(),
                    modified.unwrap_or_default()
                ),
                "docProps/core.xml modified",
            ));
        }
    }
    if let Some(app) = part("docProps/app.xml").and_then(|a| tag(&a, "Application")) {
        let lower = app.to_lowercase();
        if SPREADSHEET_APPS.iter().any(|a| lower.contains(a)) {
            signals.push(Signal::against(
                "saved_in_spreadsheet_app",
                Weight::Weak,
                format!("Last saved by \"{app}\", a spreadsheet application a person works in, not a bank's export"),
                "docProps/app.xml Application",
            ));
        }
    }
    for name in sheets {
        let Some(sheet) = part(&name) else { continue };
        let formulas = sheet.matches("<f>").count() + sheet.matches("<f ").count();
        if formulas > 0 {
            signals.push(Signal::against(
                "formulas",
                Weight::Weak,
                format!("{formulas} cell(s) hold formulas, where a bank's export writes values"),
                name,
            ));
        }
    }
    signals
}

/// The text of the first `<name …>text</name>`.
fn tag(xml: &str, name: &str) -> Option<String> {
    let open = xml.find(&format!("<{name}"))?;
    let start = open + xml[open..].find('>')? + 1;
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(xml[start..end].trim().to_string())
}

/// Seconds of an ISO 8601 UTC time (`2025-03-01T10:00:00Z`), for comparing two of them.
fn iso_seconds(text: &str) -> Option<i64> {
    let format = time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(text.trim(), &format).ok().map(|t| t.unix_timestamp())
}
