//! Charts drawn on the server as inline SVG: no script, no external asset, readable with
//! JavaScript off. Colours come from classes in `console.css`.
use std::fmt::Write;

use passbook_domain::numbers::narrow;
use passbook_domain::services::console::DayLinks;

const WIDTH: u32 = 640;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Links per day: started, linked and failed side by side, with a legend.
pub fn links_per_day(days: &[DayLinks]) -> String {
    let frame = Frame::new(days);
    let Frame { height, top, plot, left, max, .. } = frame;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Links started, linked and failed per day"><title>Links per day</title>"#
    );
    let _ = write!(
        svg,
        r#"<text class="axis" x="0" y="{}">{max}</text><text class="axis" x="0" y="{}">0</text>"#,
        top + 4,
        top + plot
    );
    let _ = write!(svg, r#"<line class="grid" x1="{left}" y1="{}" x2="{WIDTH}" y2="{}"/>"#, top + plot, top + plot);
    for (i, day) in days.iter().enumerate() {
        frame.day(&mut svg, i, day, days.len() <= 16 || i % 2 == 0);
    }
    for (k, class) in SERIES.iter().enumerate() {
        let x = left + narrow(k) * 90;
        let _ = write!(
            svg,
            r#"<rect class="{class}" x="{x}" y="4" width="10" height="10"/><text class="axis" x="{}" y="13">{class}</text>"#,
            x + 14
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The three bars of each day, in this order (each also the bar's CSS class).
const SERIES: [&str; 3] = ["started", "linked", "failed"];

/// Where the chart draws: its height, the margins around the plot, a day's slot and bar width,
/// and the value at the top of the axis.
#[derive(Clone, Copy)]
struct Frame {
    height: u32,
    top: u32,
    plot: u32,
    left: u32,
    slot: f64,
    bar: f64,
    max: u64,
}

impl Frame {
    fn new(days: &[DayLinks]) -> Self {
        let (height, top, bottom, left) = (200, 24, 28, 36);
        let slot = (WIDTH - left) as f64 / days.len().max(1) as f64;
        let max = days.iter().map(|d| d.started).max().unwrap_or(0).max(1);
        Self { height, top, plot: height - top - bottom, left, slot, bar: (slot / 4.0).max(2.0), max }
    }

    /// The `i`-th day's bars, and its date below them when `dated`.
    fn day(&self, svg: &mut String, i: usize, day: &DayLinks, dated: bool) {
        let Self { height, top, plot, left, slot, bar, max } = *self;
        let x0 = left as f64 + i as f64 * slot + slot / 8.0;
        let date = super::format::when(day.day);
        for (j, (value, class)) in [day.started, day.linked, day.failed].into_iter().zip(SERIES).enumerate() {
            let h = value as f64 * plot as f64 / max as f64;
            let _ = write!(
                svg,
                r#"<rect class="{class}" x="{:.1}" y="{:.1}" width="{bar:.1}" height="{h:.1}"><title>{} {class}: {value}</title></rect>"#,
                x0 + j as f64 * bar,
                (top + plot) as f64 - h,
                date.get(..10).unwrap_or_default(),
            );
        }
        if dated {
            let label = escape(date.get(5..10).unwrap_or_default());
            let _ = write!(svg, r#"<text class="axis" x="{x0:.1}" y="{}">{label}</text>"#, height - 10);
        }
    }
}

/// One labelled horizontal bar per row, the longest as wide as the chart; `note` is written
/// after the value.
pub fn bars(label: &str, rows: &[(String, u64, String)]) -> String {
    let row_h = 26;
    let height = narrow(rows.len().max(1)) * row_h + 8;
    let (name_w, value_w) = (170, 150);
    let room = (WIDTH - name_w - value_w) as f64;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}"><title>{}</title>"#,
        escape(label),
        escape(label)
    );
    if rows.is_empty() {
        svg.push_str(r#"<text class="axis" x="0" y="18">Nothing yet</text>"#);
    }
    for (i, (name, value, note)) in rows.iter().enumerate() {
        let y = 4 + narrow(i) * row_h;
        let w = (*value as f64 * room / max as f64).max(1.0);
        let _ = write!(
            svg,
            r#"<text class="label" x="0" y="{}">{}</text><rect class="bar" x="{name_w}" y="{y}" width="{w:.1}" height="{}"/><text class="value" x="{:.1}" y="{}">{value}{}</text>"#,
            y + 16,
            escape(name),
            row_h - 8,
            name_w as f64 + w + 6.0,
            y + 16,
            escape(note)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use passbook_domain::Timestamp;

    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scale_to_the_largest() {
        let svg = bars("x", &[("<b>".into(), 10, " (50%)".into()), ("y".into(), 5, String::new())]);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains(r#"width="320.0""#) && svg.contains(r#"width="160.0""#));
    }

    #[test]
    fn each_day_has_its_three_bars_to_scale_and_its_date() {
        let day =
            |n: i64, started, linked, failed| DayLinks { day: Timestamp(n * 86_400_000), started, linked, failed };
        let svg = links_per_day(&[day(20_000, 4, 3, 1), day(20_001, 2, 0, 2)]);
        assert_eq!(svg.matches("<rect class=").count(), 6 + 3, "three bars a day, and the legend's three");
        // The tallest bar (4 started) fills the plot's 148 units; 3 linked fill three quarters.
        assert!(svg.contains(r#"height="148.0"><title>2024-10-04 started: 4</title>"#), "{svg}");
        assert!(svg.contains(r#"height="111.0"><title>2024-10-04 linked: 3</title>"#), "{svg}");
        assert!(svg.contains(r#"<title>2024-10-05 failed: 2</title>"#), "{svg}");
        assert!(svg.contains(">10-04</text>") && svg.contains(">10-05</text>"), "{svg}");
        assert!(svg.ends_with("</svg>"));
    }
}
