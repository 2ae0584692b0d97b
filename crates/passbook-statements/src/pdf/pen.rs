//! Following a page's drawing instructions: the graphics state (`q`, `Q`, `cm`, the fill
//! colour, rectangles) and the text state (`Tf`, `Tm`, `Td`, `TD`, `T*`, `TL`, `Tr`) as
//! PDF 32000-1 (§8.4, §9.3) defines them, to place every run of text shown (`Tj`, `TJ`, `'`,
//! `"`) and every white rectangle filled.
use std::collections::BTreeMap;

use lopdf::content::Operation;
use lopdf::{Document, Encoding, Object};

use super::metrics::Metrics;

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

/// The fonts a page names: their widths (where stated) and encodings.
pub(super) struct PageFonts<'d> {
    metrics: BTreeMap<Vec<u8>, Metrics>,
    encodings: BTreeMap<Vec<u8>, Encoding<'d>>,
}

impl<'d> PageFonts<'d> {
    pub(super) fn of(doc: &'d Document, page_id: lopdf::ObjectId, limit: usize) -> lopdf::Result<Self> {
        let fonts = doc.get_page_fonts(page_id)?;
        let metrics = fonts.iter().filter_map(|(name, font)| Some((name.clone(), Metrics::of(doc, font)?))).collect();
        let encodings = fonts
            .into_iter()
            .filter_map(|(name, font)| font.get_font_encoding_with_limit(doc, limit).ok().map(|e| (name, e)))
            .collect();
        Ok(Self { metrics, encodings })
    }
}

/// Where a page's drawing stands after the instructions followed so far.
pub(super) struct Pen<'a, 'd> {
    page: usize,
    fonts: &'a PageFonts<'d>,
    /// The current transformation matrix, and those `q` saved.
    ctm: Matrix,
    saved: Vec<Matrix>,
    /// The text matrix and the text line matrix.
    tm: Matrix,
    tlm: Matrix,
    leading: f32,
    size: f32,
    encoding: Option<&'a Encoding<'d>>,
    widths: Option<&'a Metrics>,
    font: String,
    /// Text render mode 3: neither filled nor stroked.
    invisible: bool,
    /// The fill colour is white.
    white: bool,
    /// Rectangles of the path being built, as (x0, y0, x1, y1) on the page.
    rects: Vec<(f32, f32, f32, f32)>,
}

impl<'a, 'd> Pen<'a, 'd> {
    pub(super) fn new(page: usize, fonts: &'a PageFonts<'d>) -> Self {
        Self {
            page,
            fonts,
            ctm: IDENTITY,
            saved: Vec::new(),
            tm: IDENTITY,
            tlm: IDENTITY,
            leading: 0.0,
            size: 10.0,
            encoding: None,
            widths: None,
            font: String::new(),
            invisible: false,
            white: false,
            rects: Vec::new(),
        }
    }

    /// Follows the page's `order`-th instruction: text it shows goes to `runs`, a white
    /// rectangle it fills to `covers`.
    pub(super) fn follow(&mut self, op: &Operation, order: usize, runs: &mut Vec<Run>, covers: &mut Vec<Cover>) {
        let o = op.operands.as_slice();
        match op.operator.as_str() {
            "q" => self.saved.push(self.ctm),
            "Q" => self.ctm = self.saved.pop().unwrap_or(IDENTITY),
            "cm" => {
                if let Some(m) = matrix(o) {
                    self.ctm = multiply(&m, &self.ctm);
                }
            }
            "BT" => (self.tm, self.tlm) = (IDENTITY, IDENTITY),
            "Tf" => self.set_font(o),
            "Tr" => self.invisible = o.first().is_some_and(|m| number(m) == 3.0),
            "g" => self.white = o.first().is_some_and(|v| number(v) >= 0.99),
            "rg" => self.white = o.len() == 3 && o.iter().all(|v| number(v) >= 0.99),
            "k" => self.white = o.len() == 4 && o.iter().all(|v| number(v) <= 0.01),
            "re" if o.len() == 4 => {
                let (x, y, w, h) = (number(&o[0]), number(&o[1]), number(&o[2]), number(&o[3]));
                let (a, b) = (apply(&self.ctm, x, y), apply(&self.ctm, x + w, y + h));
                self.rects.push((a.0.min(b.0), a.1.min(b.1), a.0.max(b.0), a.1.max(b.1)));
            }
            "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" => {
                for (x0, y0, x1, y1) in self.rects.drain(..) {
                    if self.white {
                        covers.push(Cover { page: self.page, x0, y0, x1, y1, order });
                    }
                }
            }
            "n" | "S" | "s" => self.rects.clear(),
            "TL" => self.leading = o.first().map_or(self.leading, number),
            "Tm" => {
                if let Some(m) = matrix(o) {
                    (self.tm, self.tlm) = (m, m);
                }
            }
            "Td" | "TD" => {
                let (tx, ty) = (o.first().map_or(0.0, number), o.get(1).map_or(0.0, number));
                if op.operator == "TD" {
                    self.leading = -ty;
                }
                self.move_line(tx, ty);
            }
            "T*" => self.move_line(0.0, -self.leading),
            "Tj" | "TJ" => runs.extend(self.show(o, order)),
            "'" => {
                self.move_line(0.0, -self.leading);
                runs.extend(self.show(o, order));
            }
            "\"" => {
                self.move_line(0.0, -self.leading);
                runs.extend(self.show(o.get(2..).unwrap_or_default(), order));
            }
            _ => {}
        }
    }

    fn set_font(&mut self, operands: &[Object]) {
        let name = operands.first().and_then(|n| n.as_name().ok());
        self.encoding = name.and_then(|n| self.fonts.encodings.get(n));
        self.widths = name.and_then(|n| self.fonts.metrics.get(n));
        self.font = name.map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default();
        self.size = operands.get(1).map_or(self.size, number);
    }

    /// To the start of the next line, offset from the start of this one.
    fn move_line(&mut self, tx: f32, ty: f32) {
        self.tlm = multiply(&[1.0, 0.0, 0.0, 1.0, tx, ty], &self.tlm);
        self.tm = self.tlm;
    }

    /// The run of text `shown`, where the text matrix places it (none without a known font, or
    /// when it is only spaces); the pen moves past it, so that the next run in the same text
    /// object starts after it.
    fn show(&mut self, shown: &[Object], order: usize) -> Option<Run> {
        let encoding = self.encoding?;
        let mut text = String::new();
        collect(&mut text, encoding, shown);
        let at = multiply(&self.tm, &self.ctm);
        let scale = (at[0] * at[0] + at[1] * at[1]).sqrt().max(0.01);
        let stated = self.widths.map(|w| w.advance(shown) * self.size);
        let advance = stated.unwrap_or(text.chars().count() as f32 * self.size * 0.5);
        self.tm = multiply(&[1.0, 0.0, 0.0, 1.0, advance, 0.0], &self.tm);
        (!text.trim().is_empty()).then(|| Run {
            page: self.page,
            x: at[4],
            y: at[5],
            size: self.size * scale,
            width: stated.map(|w| w * scale),
            text,
            font: self.font.clone(),
            invisible: self.invisible,
            order,
        })
    }
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
