//! What a PDF's drawing shows of edits made on the page, the way editors and forgers make them:
//! a white box drawn over a figure and a new one written on top, a figure written over another,
//! one amount in a font its row does not use, figures in invisible text.
use std::collections::HashMap;

use passbook_domain::integrity::{Signal, Weight};

use super::pen::{Cover, Run};

/// The most runs compared on one page for overwritten text (a statement page has hundreds).
const MAX_RUNS_COMPARED: usize = 20_000;

pub(super) fn signals(runs: &[Run], covers: &[Cover]) -> Vec<Signal> {
    let mut signals = Vec::new();
    let mut pages: HashMap<usize, Vec<&Run>> = HashMap::new();
    for run in runs {
        pages.entry(run.page).or_default().push(run);
    }
    let mut pages: Vec<_> = pages.into_iter().collect();
    pages.sort_by_key(|(page, _)| *page);
    let mut hidden = Finding::default();
    let mut overwritten = Finding::default();
    let mut odd_font = Finding::default();
    let mut invisible = Finding::default();
    for (page, runs) in &pages {
        let covers: Vec<&Cover> = covers.iter().filter(|c| c.page == *page).collect();
        for run in runs.iter().filter(|r| !r.invisible && has_digit(&r.text)) {
            let (x, y) = (run.x + run.size * 0.25, run.y + run.size * 0.3);
            if covers.iter().any(|c| c.order > run.order && c.x0 <= x && x <= c.x1 && c.y0 <= y && y <= c.y1) {
                hidden.add(*page, &run.text);
            }
        }
        if runs.len() <= MAX_RUNS_COMPARED {
            overwritten_text(*page, runs, &mut overwritten);
        }
        amounts_in_odd_fonts(*page, runs, &mut odd_font);
        if runs.iter().any(|r| !r.invisible && has_digit(&r.text)) {
            for run in runs.iter().filter(|r| r.invisible && has_digit(&r.text)) {
                invisible.add(*page, &run.text);
            }
        }
    }
    hidden.report(
        &mut signals,
        "text_hidden_under_box",
        Weight::Strong,
        "figure(s) drawn and then covered with a white box",
    );
    overwritten.report(
        &mut signals,
        "text_over_text",
        Weight::Strong,
        "figure(s) written over different text at the same place",
    );
    odd_font.report(
        &mut signals,
        "amount_in_odd_font",
        Weight::Strong,
        "amount(s) in a font or size that the rest of their row does not use",
    );
    invisible.report(&mut signals, "invisible_text", Weight::Weak, "figure(s) in invisible text beside visible ones");
    signals
}

/// Where one kind of finding shows: how many, and the first.
#[derive(Default)]
struct Finding {
    count: usize,
    first: Option<(usize, String)>,
}

impl Finding {
    fn add(&mut self, page: usize, text: &str) {
        self.count += 1;
        self.first.get_or_insert_with(|| (page, text.trim().chars().take(60).collect()));
    }

    fn report(self, signals: &mut Vec<Signal>, code: &str, weight: Weight, what: &str) {
        let Some((page, text)) = self.first else { return };
        signals.push(Signal::against(
            code,
            weight,
            format!("{} {what}; the first on page {}: \"{text}\"", self.count, page + 1),
            format!("page {}", page + 1),
        ));
    }
}

fn has_digit(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit())
}

/// Two visible runs starting at the same place with different figures: one written over the
/// other (bold drawn by overprinting repeats the same text, and is not counted).
fn overwritten_text(page: usize, runs: &[&Run], finding: &mut Finding) {
    let mut visible: Vec<&&Run> = runs.iter().filter(|r| !r.invisible && has_digit(&r.text)).collect();
    visible.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    for (i, a) in visible.iter().enumerate() {
        let near = a.size.max(1.0) * 0.3;
        for b in visible[i + 1..].iter().take_while(|b| b.y - a.y <= near) {
            if (b.x - a.x).abs() <= near && a.text.trim() != b.text.trim() {
                let later = if a.order > b.order { a } else { b };
                finding.add(page, &later.text);
            }
        }
    }
}

/// An amount whose font (or size) differs from the one every other figure of its line uses,
/// where that style is the page's usual one for figures: a cell typed in by an editor. Whole
/// lines in another style (bold totals) are not counted.
/// A font size in tenths of a point, to compare sizes as equal that print alike.
#[allow(clippy::cast_possible_truncation, reason = "`as` saturates a hostile size; no real one comes near")]
fn tenths(size: f32) -> i32 {
    (size * 10.0).round() as i32
}

fn amounts_in_odd_fonts(page: usize, runs: &[&Run], finding: &mut Finding) {
    let style = |r: &Run| (r.font.clone(), tenths(r.size));
    let figures: Vec<&&Run> = runs.iter().filter(|r| !r.invisible && has_digit(&r.text)).collect();
    let mut usual: HashMap<(String, i32), usize> = HashMap::new();
    for run in &figures {
        *usual.entry(style(run)).or_default() += 1;
    }
    let Some((common, _)) = usual.iter().max_by_key(|(_, n)| **n) else { return };
    for run in figures.iter().filter(|r| is_amount(&r.text) && style(r) != *common) {
        let line: Vec<_> =
            figures.iter().filter(|o| !std::ptr::eq(**o, *run) && (o.y - run.y).abs() <= run.size / 3.0).collect();
        if line.len() >= 2 && line.iter().all(|o| style(o) == *common) {
            finding.add(page, &run.text);
        }
    }
}

/// `1,234.56`, `-60000.00`, `60.000,00 CR`: digits with a decimal part, little else.
fn is_amount(text: &str) -> bool {
    let t = text.trim();
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    let decimal = t.len() >= 3 && matches!(t.as_bytes()[t.len().saturating_sub(3)], b'.' | b',');
    digits >= 3 && digits * 2 >= t.len() && (decimal || t.contains(['.', ',']))
}
