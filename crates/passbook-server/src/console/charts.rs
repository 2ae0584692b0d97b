//! Charts drawn on the server as inline SVG: no script, no external asset, readable with
//! JavaScript off. Colours come from classes in `console.css`.
use std::fmt::Write;

use passbook_domain::services::console::DayLinks;

const WIDTH: u32 = 640;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Links per day: started, linked and failed side by side, with a legend.
pub fn links_per_day(days: &[DayLinks]) -> String {
    let height = 200;
    let (top, bottom, left) = (24, 28, 36);
    let plot = height - top - bottom;
    let max = days.iter().map(|d| d.started).max().unwrap_or(0).max(1);
    let slot = (WIDTH - left) as f64 / days.len().max(1) as f64;
    let bar = (slot / 4.0).max(2.0);
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
        let x0 = left as f64 + i as f64 * slot + slot / 8.0;
        for (j, (value, class, what)) in
            [(day.started, "started", "started"), (day.linked, "linked", "linked"), (day.failed, "failed", "failed")]
                .into_iter()
                .enumerate()
        {
            let h = value as f64 * plot as f64 / max as f64;
            let _ = write!(
                svg,
                r#"<rect class="{class}" x="{:.1}" y="{:.1}" width="{bar:.1}" height="{h:.1}"><title>{} {what}: {value}</title></rect>"#,
                x0 + j as f64 * bar,
                (top + plot) as f64 - h,
                super::format::when(day.day).get(..10).unwrap_or_default(),
            );
        }
        if days.len() <= 16 || i % 2 == 0 {
            let date = super::format::when(day.day);
            let _ = write!(
                svg,
                r#"<text class="axis" x="{:.1}" y="{}">{}</text>"#,
                x0,
                height - 10,
                escape(date.get(5..10).unwrap_or_default())
            );
        }
    }
    for (k, (class, label)) in [("started", "started"), ("linked", "linked"), ("failed", "failed")].iter().enumerate() {
        let x = left + k as u32 * 90;
        let _ = write!(
            svg,
            r#"<rect class="{class}" x="{x}" y="4" width="10" height="10"/><text class="axis" x="{}" y="13">{label}</text>"#,
            x + 14
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One labelled horizontal bar per row, the longest as wide as the chart; `note` is written
/// after the value.
pub fn bars(label: &str, rows: &[(String, u64, String)]) -> String {
    let row_h = 26;
    let height = (rows.len().max(1) as u32) * row_h + 8;
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
        let y = 4 + i as u32 * row_h;
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
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scale_to_the_largest() {
        let svg = bars("x", &[("<b>".into(), 10, " (50%)".into()), ("y".into(), 5, String::new())]);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains(r#"width="320.0""#) && svg.contains(r#"width="160.0""#));
    }
}
