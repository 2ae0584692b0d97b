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
    let mut signals = part("docProps/core.xml").map(|core| saves(&core)).unwrap_or_default();
    signals.extend(part("docProps/app.xml").and_then(|app| application(&app)));
    for name in sheets {
        signals.extend(part(&name).and_then(|sheet| formulas(&sheet, name)));
    }
    signals
}

/// Who last saved the file and when, against who made it and when (`docProps/core.xml`).
fn saves(core: &str) -> Vec<Signal> {
    let mut signals = Vec::new();
    let creator = tag(core, "dc:creator").unwrap_or_default();
    if let Some(editor) = tag(core, "cp:lastModifiedBy").filter(|e| !e.is_empty() && *e != creator) {
        signals.push(Signal::against(
            "saved_by_another_person",
            Weight::Weak,
            format!("Last saved by \"{editor}\", not by \"{creator}\" who made it"),
            "docProps/core.xml lastModifiedBy",
        ));
    }
    let (created, modified) = (tag(core, "dcterms:created"), tag(core, "dcterms:modified"));
    if let (Some(c), Some(m)) = (created.as_deref().and_then(iso_seconds), modified.as_deref().and_then(iso_seconds))
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
    signals
}

/// The application that last saved the file (`docProps/app.xml`), when it is one a person uses.
fn application(app: &str) -> Option<Signal> {
    let name = tag(app, "Application")?;
    let lower = name.to_lowercase();
    SPREADSHEET_APPS.iter().any(|a| lower.contains(a)).then(|| {
        Signal::against(
            "saved_in_spreadsheet_app",
            Weight::Weak,
            format!("Last saved by \"{name}\", a spreadsheet application a person works in, not a bank's export"),
            "docProps/app.xml Application",
        )
    })
}

/// Formulas in a sheet, where a bank's export writes values.
fn formulas(sheet: &str, name: String) -> Option<Signal> {
    let count = sheet.matches("<f>").count() + sheet.matches("<f ").count();
    (count > 0).then(|| {
        Signal::against(
            "formulas",
            Weight::Weak,
            format!("{count} cell(s) hold formulas, where a bank's export writes values"),
            name,
        )
    })
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
