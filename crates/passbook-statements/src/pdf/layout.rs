//! The words of a PDF's text layer with their positions, grouped into lines.
//!
//! lopdf decodes the content streams and the fonts' encodings; this walks the text operators
//! (`Tm`, `Td`, `TD`, `T*`, `Tj`, `TJ`, `'`, `"`) and the graphics state (`cm`, `q`, `Q`) to
//! place every run of text on the page, then splits runs into words at wide gaps (monospaced
//! statements pad their columns with spaces inside one run).
use std::collections::BTreeMap;

use lopdf::content::Content;
use lopdf::{Document, Encoding, Object};
use passbook_domain::statement_file::ReadError;

use super::metrics::Metrics;
use super::rewrites::{self, NumberCounts};

/// A word and where it starts on the page (PDF units, origin bottom left).
#[derive(Debug, Clone)]
pub struct Word {
    pub x: f32,
    /// Where it ends, estimated from the font size.
    pub right: f32,
    pub text: String,
}

/// Words at one height of one page, left to right.
#[derive(Debug, Clone)]
pub struct Line {
    pub page: usize,
    pub y: f32,
    pub words: Vec<Word>,
}

impl Line {
    pub fn text(&self) -> String {
        self.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")
    }
}

/// The most decompressed content a page may have (what one page's decoding holds in memory at
/// once), and the whole document (a bound against many pages sharing one huge content stream).
/// A statement's page is tens of kilobytes; a 100,000-row statement about 2,200 pages and 40 MB.
const MAX_PAGE_CONTENT: usize = 2 * 1024 * 1024;
const MAX_DOCUMENT_CONTENT: usize = 96 * 1024 * 1024;
/// The most drawing operators, and text runs (kept until the pages are read: about 100 bytes
/// each), a document may have before it is refused.
const MAX_OPERATIONS: usize = 8_000_000;
const MAX_RUNS: usize = 1_000_000;
const MAX_PAGES: usize = 10_000;

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

/// The point (x, y) through the matrix.
fn apply(m: &Matrix, x: f32, y: f32) -> (f32, f32) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

fn number(o: &Object) -> f32 {
    match o {
        Object::Integer(i) => *i as f32,
        Object::Real(r) => *r,
        _ => 0.0,
    }
}

fn matrix(operands: &[Object]) -> Option<Matrix> {
    (operands.len() == 6).then(|| {
        let n: Vec<f32> = operands.iter().map(number).collect();
        [n[0], n[1], n[2], n[3], n[4], n[5]]
    })
}

/// A run of text as shown: where, at what size, in which font, what; and for the drawing's
/// evidence, whether it is visible and when it was drawn.
pub(super) struct Run {
    pub page: usize,
    pub x: f32,
    pub y: f32,
    pub size: f32,
    /// How wide it is drawn, where its font states its widths.
    pub width: Option<f32>,
    pub text: String,
    /// The font's resource name.
    pub font: String,
    /// Drawn with render mode 3 (neither filled nor stroked).
    pub invisible: bool,
    /// Its place in the page's drawing order.
    pub order: usize,
}

/// A rectangle filled white: what hides text drawn before it.
pub(super) struct Cover {
    pub page: usize,
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    pub order: usize,
}

/// Why a document's pages were not read: a limit met (the file is refused), or damage.
pub enum LayoutError {
    Limit(String),
    Unreadable(String),
}

impl From<String> for LayoutError {
    fn from(why: String) -> Self {
        Self::Unreadable(why)
    }
}

/// The text layer's lines, and what the drawing shows of edits (text hidden under a white box or
/// written over other text, an amount in a font its row does not use, invisible text).
pub fn read(doc: &Document) -> Result<(Vec<Line>, Vec<passbook_domain::integrity::Signal>), LayoutError> {
    let pages = doc.get_pages();
    if pages.len() > MAX_PAGES {
        return Err(LayoutError::Limit(format!(
            "it has {} pages, and statements of at most {MAX_PAGES} pages are read",
            pages.len()
        )));
    }
    let mut runs = Vec::new();
    let mut covers = Vec::new();
    let mut budget = Budget { content: MAX_DOCUMENT_CONTENT, operations: MAX_OPERATIONS };
    let mut writing = BTreeMap::new();
    for (index, (_, page_id)) in pages.into_iter().enumerate() {
        past_deadline()?;
        let before = runs.len();
        let numbers = page_runs(doc, index, page_id, (&mut runs, &mut covers), &mut budget)?;
        if runs[before..].iter().any(|r| has_figure(&r.text)) {
            writing.insert(index, rewrites::page_writing(doc, page_id, numbers));
        }
        if runs.len() > MAX_RUNS {
            return Err(LayoutError::Limit(format!(
                "it draws more than {MAX_RUNS} pieces of text (page {})",
                index + 1
            )));
        }
    }
    let mut signals = super::drawing::signals(&runs, &covers);
    signals.extend(rewrites::pages_written_differently(&writing));
    Ok((group(runs), signals))
}

fn past_deadline() -> Result<(), LayoutError> {
    passbook_domain::read_deadline::check().map_err(|e| match e {
        ReadError::Unsafe(why) => LayoutError::Limit(why),
        other => LayoutError::Limit(other.to_string()),
    })
}

/// What is left of the document's allowance of content and operators.
struct Budget {
    content: usize,
    operations: usize,
}

impl Budget {
    fn spend(&mut self, page: usize, content: usize, operations: usize) -> Result<(), LayoutError> {
        self.content = self.content.checked_sub(content).ok_or_else(|| {
            LayoutError::Limit(format!(
                "its pages hold more than {} MB of drawing instructions (page {})",
                MAX_DOCUMENT_CONTENT >> 20,
                page + 1
            ))
        })?;
        self.operations = self.operations.checked_sub(operations).ok_or_else(|| {
            LayoutError::Limit(format!(
                "its pages hold more than {MAX_OPERATIONS} drawing operators (page {})",
                page + 1
            ))
        })?;
        Ok(())
    }
}

fn page_runs(
    doc: &Document,
    page: usize,
    page_id: lopdf::ObjectId,
    (out, covers): (&mut Vec<Run>, &mut Vec<Cover>),
    budget: &mut Budget,
) -> Result<NumberCounts, LayoutError> {
    let fonts = doc.get_page_fonts(page_id).map_err(|e| e.to_string())?;
    let metrics: BTreeMap<Vec<u8>, Metrics> =
        fonts.iter().filter_map(|(name, font)| Some((name.clone(), Metrics::of(doc, font)?))).collect();
    let encodings: BTreeMap<Vec<u8>, Encoding> = fonts
        .into_iter()
        .filter_map(|(name, font)| font.get_font_encoding_with_limit(doc, MAX_PAGE_CONTENT).ok().map(|e| (name, e)))
        .collect();
    let data =
        doc.get_page_content_with_limit(page_id, MAX_PAGE_CONTENT).map_err(|e| match e {
            lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => LayoutError::Limit(
                format!("page {} holds more than {} MB of drawing instructions", page + 1, MAX_PAGE_CONTENT >> 20),
            ),
            other => LayoutError::Unreadable(other.to_string()),
        })?;
    // The page's content is at most MAX_PAGE_CONTENT, which bounds what decoding it allocates.
    budget.spend(page, data.len(), 0)?;
    let content = Content::decode(&data).map_err(|e| e.to_string())?;
    budget.spend(page, 0, content.operations.len())?;
    let mut ctm = IDENTITY;
    let mut stack: Vec<Matrix> = Vec::new();
    let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
    let (mut leading, mut size) = (0.0f32, 10.0f32);
    let mut encoding: Option<&Encoding> = None;
    let mut widths: Option<&Metrics> = None;
    let mut font = String::new();
    let (mut invisible, mut white, mut rects) = (false, false, Vec::new());
    let mut numbers = NumberCounts::default();
    for (i, op) in content.operations.iter().enumerate() {
        if i % 4096 == 0 {
            past_deadline()?;
        }
        let o = &op.operands;
        numbers.add(&op.operator, o);
        match op.operator.as_str() {
            "q" => stack.push(ctm),
            "Q" => ctm = stack.pop().unwrap_or(IDENTITY),
            "cm" => {
                if let Some(m) = matrix(o) {
                    ctm = multiply(&m, &ctm);
                }
            }
            "BT" => {
                tm = IDENTITY;
                tlm = IDENTITY;
            }
            "Tf" => {
                let name = o.first().and_then(|n| n.as_name().ok());
                encoding = name.and_then(|n| encodings.get(n));
                widths = name.and_then(|n| metrics.get(n));
                font = name.map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default();
                size = o.get(1).map_or(size, number);
            }
            "Tr" => invisible = o.first().is_some_and(|m| number(m) == 3.0),
            "g" => white = o.first().is_some_and(|v| number(v) >= 0.99),
            "rg" => white = o.len() == 3 && o.iter().all(|v| number(v) >= 0.99),
            "k" => white = o.len() == 4 && o.iter().all(|v| number(v) <= 0.01),
            "re" if o.len() == 4 => {
                let (x, y, w, h) = (number(&o[0]), number(&o[1]), number(&o[2]), number(&o[3]));
                let (a, b) = (apply(&ctm, x, y), apply(&ctm, x + w, y + h));
                rects.push((a.0.min(b.0), a.1.min(b.1), a.0.max(b.0), a.1.max(b.1)));
            }
            "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" => {
                for (x0, y0, x1, y1) in rects.drain(..) {
                    if white {
                        covers.push(Cover { page, x0, y0, x1, y1, order: i });
                    }
                }
            }
            "n" | "S" | "s" => rects.clear(),
            "TL" => leading = o.first().map_or(leading, number),
            "Tm" => {
                if let Some(m) = matrix(o) {
                    tm = m;
                    tlm = m;
                }
            }
            "Td" | "TD" => {
                let (tx, ty) = (o.first().map_or(0.0, number), o.get(1).map_or(0.0, number));
                if op.operator == "TD" {
                    leading = -ty;
                }
                tlm = multiply(&[1.0, 0.0, 0.0, 1.0, tx, ty], &tlm);
                tm = tlm;
            }
            "T*" => {
                tlm = multiply(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &tlm);
                tm = tlm;
            }
            "Tj" | "TJ" | "'" | "\"" => {
                if matches!(op.operator.as_str(), "'" | "\"") {
                    tlm = multiply(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &tlm);
                    tm = tlm;
                }
                let Some(encoding) = encoding else { continue };
                let shown = if op.operator == "\"" { o.get(2..).unwrap_or_default() } else { o.as_slice() };
                let mut text = String::new();
                collect(&mut text, encoding, shown);
                let at = multiply(&tm, &ctm);
                let scale = (at[0] * at[0] + at[1] * at[1]).sqrt().max(0.01);
                // Move past the run so that the next one in the same BT starts after it.
                let stated = widths.map(|w| w.advance(shown) * size);
                let advance = stated.unwrap_or(text.chars().count() as f32 * size * 0.5);
                tm = multiply(&[1.0, 0.0, 0.0, 1.0, advance, 0.0], &tm);
                let run = Run {
                    page,
                    x: at[4],
                    y: at[5],
                    size: size * scale,
                    width: stated.map(|w| w * scale),
                    text,
                    font: font.clone(),
                    invisible,
                    order: i,
                };
                if !run.text.trim().is_empty() {
                    out.push(run);
                }
            }
            _ => {}
        }
    }
    Ok(numbers)
}

/// Whether a piece of text holds a figure with two decimals (`1,250.00`): a page of the table.
fn has_figure(text: &str) -> bool {
    text.as_bytes()
        .windows(4)
        .any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit() && w[3].is_ascii_digit())
}

fn collect(text: &mut String, encoding: &Encoding, operands: &[Object]) {
    for operand in operands {
        match operand {
            Object::String(bytes, _) => {
                if let Ok(s) = Document::decode_text(encoding, bytes) {
                    text.push_str(&s);
                }
            }
            Object::Array(items) => collect(text, encoding, items),
            // A wide negative kerning is a space between words.
            Object::Integer(i) if *i < -200 => text.push(' '),
            Object::Real(r) if *r < -200.0 => text.push(' '),
            _ => {}
        }
    }
}

/// Runs at the same height (within a third of the font size) form a line; each run splits into
/// words at two or more spaces.
fn group(mut runs: Vec<Run>) -> Vec<Line> {
    runs.sort_by(|a, b| a.page.cmp(&b.page).then(b.y.total_cmp(&a.y)).then(a.x.total_cmp(&b.x)));
    let mut lines: Vec<Line> = Vec::new();
    // Where the last run's pen stopped, with the spaces it ended with, where its width is known.
    let mut pen: Option<(f32, usize)> = None;
    for run in runs {
        let chars = run.text.chars().count().max(1) as f32;
        let char_width = run.width.map_or(run.size * 0.5, |w| w / chars);
        let mut words = split_words(&run.text, run.x, char_width).into_iter().peekable();
        let same_line = lines.last().is_some_and(|l| l.page == run.page && (l.y - run.y).abs() <= run.size / 3.0);
        if !same_line {
            lines.push(Line { page: run.page, y: run.y, words: Vec::new() });
        }
        let line = lines.last_mut().expect("a line was pushed");
        // A run drawn where the one before it stopped continues it (writers split words at
        // kerning pairs, so it may start a kerning's width, up to 0.15 em, before): glued, or one
        // space apart as words of one cell are.
        let leading = run.text.chars().take_while(|c| *c == ' ').count();
        let continues = |end: f32| (-0.15..0.1).contains(&((run.x - end) / run.size));
        if let Some((end, trailing)) = pen.filter(|(end, _)| same_line && continues(*end))
            && trailing + leading < 2
            && let (Some(last), Some(_)) = (line.words.last_mut(), words.peek())
            && (end - last.right).abs() <= char_width * (trailing as f32 + 0.5)
            && let Some(piece) = words.next()
        {
            if trailing + leading == 1 {
                last.text.push(' ');
            }
            last.text.push_str(&piece.text);
            last.right = piece.right;
        }
        line.words.extend(words);
        let trailing = run.text.chars().rev().take_while(|c| *c == ' ').count();
        pen = run.width.map(|w| (run.x + w, trailing));
    }
    for line in &mut lines {
        line.words.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    lines.retain(|l| !l.words.is_empty());
    lines
}

fn split_words(text: &str, x: f32, char_width: f32) -> Vec<Word> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        let start = i;
        // A word ends at two spaces in a row (one space separates words of one cell).
        while i < chars.len() && !(chars[i] == ' ' && chars.get(i + 1).is_none_or(|c| *c == ' ')) {
            i += 1;
        }
        if i > start {
            let text: String = chars[start..i].iter().collect();
            out.push(Word {
                x: x + start as f32 * char_width,
                right: x + i as f32 * char_width,
                text: text.trim().to_string(),
            });
        }
    }
    out
}
