//! The words of a PDF's text layer with their positions, grouped into lines.
//!
//! lopdf decodes the content streams and the fonts' encodings; this walks the text operators
//! (`Tm`, `Td`, `TD`, `T*`, `Tj`, `TJ`, `'`, `"`) and the graphics state (`cm`, `q`, `Q`) to
//! place every run of text on the page, then splits runs into words at wide gaps (monospaced
//! statements pad their columns with spaces inside one run).
use std::collections::BTreeMap;

use lopdf::Document;
use lopdf::content::Content;
use passbook_domain::statement_file::ReadError;

use super::pen::{Cover, PageFonts, Pen, Run};
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

/// The runs of text one page shows and the white rectangles it fills, in drawing order; with
/// the numbers its instructions are written with (for `rewrites`).
fn page_runs(
    doc: &Document,
    page: usize,
    page_id: lopdf::ObjectId,
    (out, covers): (&mut Vec<Run>, &mut Vec<Cover>),
    budget: &mut Budget,
) -> Result<NumberCounts, LayoutError> {
    let fonts = PageFonts::of(doc, page_id, MAX_PAGE_CONTENT).map_err(|e| e.to_string())?;
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
    let mut pen = Pen::new(page, &fonts);
    let mut numbers = NumberCounts::default();
    for (i, op) in content.operations.iter().enumerate() {
        if i % 4096 == 0 {
            past_deadline()?;
        }
        numbers.add(&op.operator, &op.operands);
        pen.follow(op, i, out, covers);
    }
    Ok(numbers)
}

/// Whether a piece of text holds a figure with two decimals (`1,250.00`): a page of the table.
fn has_figure(text: &str) -> bool {
    text.as_bytes()
        .windows(4)
        .any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit() && w[3].is_ascii_digit())
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
