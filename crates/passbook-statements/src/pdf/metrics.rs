//! How wide a font draws each character code, from the widths the PDF states (`/Widths` of a
//! simple font, `/W` of a composite font's descendant). Writers that place each piece of a word
//! where the previous piece ended (Chromium's Skia splits words at kerning pairs: `DA` then
//! `TE`) can only be read right with the true widths: estimated ones leave gaps inside words.
use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object};
use passbook_domain::numbers::narrow;

/// The widths a font states, in thousandths of its size.
#[derive(Debug, Clone)]
pub enum Metrics {
    /// One byte per code: `/Widths` from `/FirstChar`.
    Simple { first: u32, widths: Vec<f32>, missing: f32 },
    /// Two bytes per code (`Identity-H` and other two-byte CMaps): `/W`, else `/DW`.
    Composite { widths: HashMap<u32, f32>, default: f32 },
}

/// The most widths read from one font (a CJK font states tens of thousands).
const MAX_WIDTHS: usize = 70_000;

impl Metrics {
    /// The font's stated widths; `None` for fonts that state none (the standard 14).
    pub fn of(doc: &Document, font: &Dictionary) -> Option<Self> {
        let resolve = |o: &Object| -> Option<Object> {
            match o {
                Object::Reference(id) => doc.get_object(*id).ok().cloned(),
                other => Some(other.clone()),
            }
        };
        let number = |o: &Object| resolve(o).and_then(|o| o.as_float().ok());
        if font.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Type0") {
            let descendants = resolve(font.get(b"DescendantFonts").ok()?)?;
            let first = descendants.as_array().ok()?.first()?.clone();
            let descendant = resolve(&first)?;
            let descendant = descendant.as_dict().ok()?;
            let default = descendant.get(b"DW").ok().and_then(number).unwrap_or(1000.0);
            let mut widths = HashMap::new();
            if let Some(w) = descendant.get(b"W").ok().and_then(resolve) {
                read_w(w.as_array().ok()?, &number, &resolve, &mut widths);
            }
            return Some(Self::Composite { widths, default });
        }
        let first = char_code(font.get(b"FirstChar").ok().and_then(number)?);
        let widths = resolve(font.get(b"Widths").ok()?)?;
        let widths: Vec<f32> =
            widths.as_array().ok()?.iter().take(MAX_WIDTHS).map(|w| number(w).unwrap_or(0.0)).collect();
        let missing = font
            .get(b"FontDescriptor")
            .ok()
            .and_then(resolve)
            .and_then(|d| d.as_dict().ok()?.get(b"MissingWidth").ok().and_then(number))
            .unwrap_or(0.0);
        Some(Self::Simple { first, widths, missing })
    }

    /// How far the shown operands (strings, and a `TJ` array's adjustments) move the pen, in
    /// units of the font size.
    pub fn advance(&self, shown: &[Object]) -> f32 {
        shown
            .iter()
            .map(|operand| match operand {
                Object::String(bytes, _) => self.string_width(bytes),
                Object::Array(items) => self.advance(items),
                Object::Integer(i) => -(*i as f32) / 1000.0,
                Object::Real(r) => -r / 1000.0,
                _ => 0.0,
            })
            .sum()
    }

    fn string_width(&self, bytes: &[u8]) -> f32 {
        let thousandths: f32 = match self {
            Self::Simple { first, widths, missing } => bytes
                .iter()
                .map(|&b| u32::from(b).checked_sub(*first).and_then(|i| widths.get(i as usize)).unwrap_or(missing))
                .sum(),
            Self::Composite { widths, default } => bytes
                .chunks(2)
                .map(|c| widths.get(&(u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))).unwrap_or(default))
                .sum(),
        };
        thousandths / 1000.0
    }
}

/// `/W`: `c [w1 w2 …]` gives codes from c on; `c_first c_last w` gives a range one width.
fn read_w(
    w: &[Object],
    number: &dyn Fn(&Object) -> Option<f32>,
    resolve: &dyn Fn(&Object) -> Option<Object>,
    out: &mut HashMap<u32, f32>,
) {
    let mut i = 0;
    while i + 1 < w.len() && out.len() < MAX_WIDTHS {
        let Some(start) = number(&w[i]) else { return };
        let start = char_code(start);
        match resolve(&w[i + 1]) {
            Some(Object::Array(list)) => {
                for (k, width) in list.iter().take(MAX_WIDTHS).enumerate() {
                    out.insert(start.saturating_add(narrow(k)), number(width).unwrap_or(0.0));
                }
                i += 2;
            }
            _ => {
                let (Some(end), Some(width)) = (number(&w[i + 1]), w.get(i + 2).and_then(number)) else { return };
                for code in start..=char_code(end).min(start.saturating_add(narrow(MAX_WIDTHS))) {
                    out.insert(code, width);
                }
                i += 3;
            }
        }
    }
}

/// A character code a font gives as a number: `as` saturates a hostile one (negative, NaN,
/// beyond `u32`) instead of failing the page.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "saturating, on purpose")]
fn char_code(n: f32) -> u32 {
    n as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_widths_from_w_lists_and_ranges() {
        let mut widths = HashMap::new();
        let w = [Object::Integer(3), Object::Array(vec![278.into(), 556.into()]), 10.into(), 12.into(), 500.into()];
        read_w(&w, &|o| o.as_float().ok(), &|o| Some(o.clone()), &mut widths);
        let metrics = Metrics::Composite { widths, default: 1000.0 };
        assert_eq!(metrics.advance(&[Object::string_literal(vec![0, 3, 0, 4])]), 0.834);
        assert_eq!(metrics.advance(&[Object::string_literal(vec![0, 11, 0, 99])]), 1.5);
        let kerned = Object::Array(vec![Object::string_literal(vec![0, 3]), Object::Integer(-278)]);
        assert_eq!(metrics.advance(&[kerned]), 0.556);
    }
}
