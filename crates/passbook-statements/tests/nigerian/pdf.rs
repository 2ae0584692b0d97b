//! The corpus's statements as PDFs, laid out as Nigerian e-statements are: a banner on the first
//! page, the table's header repeated at the top of every page, narrations wrapped over several
//! lines in a narrow column, a time printed under its row's date, carried-forward balances at
//! page breaks, page numbers in the footer, and optionally a user password (banks send
//! statements locked with a password they text to the customer).
use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

use super::Layout;

pub struct PdfStyle {
    /// Table lines (rows and their wrapped continuations) on a page.
    pub lines_per_page: usize,
    /// The widest a narration line may be, in characters; longer narrations wrap.
    pub narration_width: usize,
    /// `Balance C/F` at the foot of a page and `Balance B/F` at the head of the next.
    pub carried_forward: bool,
    /// A `10:32:11` time goes on the line under its date instead of beside it.
    pub time_below: bool,
    pub password: Option<&'static str>,
    /// A page with no text (a scanned image) after the first.
    pub scanned_page: bool,
}

const FONT_SIZE: f32 = 7.0;
/// Helvetica's average advance at size 7, generous, so that columns never overlap.
const CHAR_WIDTH: f32 = 3.9;
const LEADING: f32 = 10.0;
const TOP: f32 = 800.0;

/// One line of text on a page: (x, text) pieces at one height.
type Line = Vec<(f32, String)>;

/// The table (as `super::table` makes it: banner, header, body, footer) drawn on pages.
pub fn pdf(layout: &Layout, table: &[Vec<String>], style: &PdfStyle) -> Vec<u8> {
    let names: Vec<String> = layout.columns.iter().map(|(n, _)| pdf_text(n)).collect();
    let header_at = table
        .iter()
        .position(|row| row.iter().map(|c| pdf_text(c)).eq(names.iter().cloned()))
        .expect("the table has its header");
    let body_end = table.len() - 2;
    let narration = layout.columns.iter().position(|(_, role)| *role == "narr");
    let xs = column_positions(&names, &table[header_at + 1..body_end], narration, style.narration_width);
    let header: Line = xs.iter().copied().zip(names.iter().cloned()).collect();
    let balance_col = layout.columns.iter().position(|(_, role)| *role == "balance");

    let mut pages: Vec<Vec<Line>> = vec![Vec::new()];
    for row in &table[..header_at] {
        pages[0].push(match row.as_slice() {
            [label, value] => vec![(40.0, pdf_text(label)), (160.0, pdf_text(value))],
            cells => cells.iter().map(|c| (40.0, pdf_text(c))).collect(),
        });
    }
    pages[0].push(header.clone());
    let mut used = 0;
    let mut last_balance: Option<String> = None;
    for row in &table[header_at + 1..body_end] {
        let lines = row_lines(row, &xs, narration, style);
        if used + lines.len() > style.lines_per_page {
            if style.carried_forward
                && let Some(balance) = &last_balance
            {
                pages
                    .last_mut()
                    .unwrap()
                    .push(vec![(xs[0], "Balance C/F".into()), (xs[xs.len() - 1], balance.clone())]);
            }
            pages.push(vec![header.clone()]);
            if style.carried_forward
                && let Some(balance) = &last_balance
            {
                pages
                    .last_mut()
                    .unwrap()
                    .push(vec![(xs[0], "Balance B/F".into()), (xs[xs.len() - 1], balance.clone())]);
            }
            used = 0;
        }
        used += lines.len();
        pages.last_mut().unwrap().extend(lines);
        last_balance = balance_col.map(|b| pdf_text(&row[b]));
    }
    for row in &table[body_end..] {
        pages.last_mut().unwrap().push(row.iter().map(|c| (40.0, pdf_text(c))).collect());
    }
    if style.scanned_page {
        pages.insert(1, Vec::new());
    }
    write(&pages, style.password, made_by(layout.name))
}

/// The software a bank's statement system is built on, as its PDFs name it (Producer, Creator).
/// Which system each bank runs is not public: the corpus spreads its layouts over the reporting
/// engines that statements from Nigerian banks and wallets commonly name.
fn made_by(layout: &str) -> (&'static str, &'static str) {
    const SYSTEMS: &[(&str, &str)] = &[
        ("iTextSharp\u{2122} 5.5.13.3 \u{a9}2000-2022 iText Group NV (AGPL-version)", "e-Statement Service"),
        ("JasperReports Library version 6.20.0-2bc7ab61c56f459e8176eb05c7705e145cd400ad", "JasperReports"),
        ("Microsoft Reporting Services PDF Rendering Extension 15.0.0.0", "Microsoft Reporting Services 15.0.0.0"),
        ("Qt 4.8.7", "wkhtmltopdf 0.12.6"),
        (
            "Skia/PDF m120",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.71 Safari/537.36",
        ),
        ("iText\u{ae} 7.2.5 \u{a9}2000-2023 iText Group NV (AGPL-version)", "Statement Generator"),
        ("Crystal Reports", "Crystal Reports"),
    ];
    SYSTEMS[layout.bytes().map(usize::from).sum::<usize>() % SYSTEMS.len()]
}

/// The x of each column: as wide as its widest cell (the narration column no wider than
/// `narration_width` characters), with a gap between.
fn column_positions(names: &[String], body: &[Vec<String>], narration: Option<usize>, width: usize) -> Vec<f32> {
    let mut x = 30.0;
    (0..names.len())
        .map(|c| {
            let widest = body.iter().map(|r| pdf_text(&r[c]).chars().count()).chain([names[c].chars().count()]).max();
            let chars = if Some(c) == narration { width } else { widest.unwrap_or(0) };
            let at = x;
            x += chars as f32 * CHAR_WIDTH + 14.0;
            at
        })
        .collect()
}

/// A body row as the lines it takes: the narration wrapped at word boundaries, and a date's time
/// on the line below when the style says so.
fn row_lines(row: &[String], xs: &[f32], narration: Option<usize>, style: &PdfStyle) -> Vec<Line> {
    let mut first: Line = Vec::new();
    let mut below: Vec<Line> = Vec::new();
    for (c, cell) in row.iter().enumerate() {
        let text = pdf_text(cell);
        if text.is_empty() {
            continue;
        }
        let pieces: Vec<String> = if Some(c) == narration {
            wrap(&text, style.narration_width)
        } else if c == 0
            && style.time_below
            && text.len() > 9
            && text[text.len() - 9..].starts_with(' ')
            && text.ends_with(|c: char| c.is_ascii_digit())
            && text[text.len() - 8..].contains(':')
        {
            vec![text[..text.len() - 9].to_string(), text[text.len() - 8..].to_string()]
        } else {
            vec![text]
        };
        for (i, piece) in pieces.into_iter().enumerate() {
            if i == 0 {
                first.push((xs[c], piece));
            } else {
                while below.len() < i {
                    below.push(Vec::new());
                }
                below[i - 1].push((xs[c], piece));
            }
        }
    }
    std::iter::once(first).chain(below).collect()
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().unwrap();
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// The base-14 fonts hold no naira sign: PDFs that print one embed a font for it. These write
/// amounts without it and headers with the code.
fn pdf_text(cell: &str) -> String {
    cell.replace("(₦)", "(NGN)").replace('₦', "")
}

fn write(pages: &[Vec<Line>], password: Option<&str>, (producer, creator): (&str, &str)) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let made = Object::string_literal("D:20250401080000+01'00'");
    let info = doc.add_object(dictionary! {
        "Producer" => text_string(producer), "Creator" => text_string(creator),
        "CreationDate" => made.clone(), "ModDate" => made,
    });
    doc.trailer.set("Info", info);
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let count = pages.len();
    let mut kids: Vec<Object> = Vec::new();
    for (p, lines) in pages.iter().enumerate() {
        let mut operations = Vec::new();
        let footer = if lines.is_empty() { vec![] } else { vec![(270.0, format!("Page {} of {count}", p + 1))] };
        let placed = lines.iter().enumerate().map(|(i, l)| (TOP - i as f32 * LEADING, l)).chain([(30.0, &footer)]);
        for (y, line) in placed {
            for (x, text) in line {
                operations.push(Operation::new("BT", vec![]));
                operations.push(Operation::new("Tf", vec!["F1".into(), FONT_SIZE.into()]));
                operations.push(Operation::new("Td", vec![(*x).into(), y.into()]));
                operations.push(Operation::new("Tj", vec![Object::string_literal(text.as_str())]));
                operations.push(Operation::new("ET", vec![]));
            }
        }
        let content = doc.add_object(Stream::new(dictionary! {}, Content { operations }.encode().unwrap()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content, "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        kids.push(page.into());
    }
    doc.objects
        .insert(pages_id, Object::Dictionary(dictionary! {"Type" => "Pages", "Kids" => kids, "Count" => count as i64}));
    let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog);
    doc.compress();
    // Written once: both halves of the file identifier are the same (ISO 32000 14.4).
    let id = Object::String(content_digest(&doc), lopdf::StringFormat::Hexadecimal);
    doc.trailer.set("ID", vec![id.clone(), id]);
    if let Some(password) = password {
        let version = lopdf::EncryptionVersion::V2 {
            document: &doc,
            owner_password: "bank-owner",
            user_password: password,
            key_length: 128,
            permissions: lopdf::Permissions::all(),
        };
        let state = lopdf::EncryptionState::try_from(version).unwrap();
        doc.encrypt(&state).unwrap();
    }
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// A PDF text string: PDFDocEncoding where it can be, else UTF-16BE with its byte-order mark.
fn text_string(text: &str) -> Object {
    if text.chars().all(|c| (c as u32) < 0x80) {
        return Object::string_literal(text);
    }
    let wide = [0xFEu8, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
    Object::String(wide, lopdf::StringFormat::Literal)
}

/// Sixteen bytes that differ for every file: a hash of its pages' contents.
fn content_digest(doc: &Document) -> Vec<u8> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for object in doc.objects.values() {
        if let Object::Stream(stream) = object {
            stream.content.hash(&mut hasher);
        }
    }
    let a = hasher.finish();
    a.hash(&mut hasher);
    [a.to_be_bytes(), hasher.finish().to_be_bytes()].concat()
}
