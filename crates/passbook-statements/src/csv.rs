//! CSV exports: the delimiter is whichever of `,` `;` tab `|` splits the lines most evenly;
//! the rest is the table reader's.
use passbook_domain::statement_file::{FileFormat, ReadError, StatementFile};

use crate::table;
use crate::text::decode;

pub fn read(bytes: &[u8]) -> Result<StatementFile, ReadError> {
    let text = decode(bytes);
    let delimiter = delimiter(&text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut cells = table::CellBudget::default();
    for record in reader.records() {
        passbook_domain::read_deadline::check()?;
        let line = rows.len() + 1;
        let record = record.map_err(|e| ReadError::Malformed(format!("line {line}: {e}")))?;
        cells.spend(record.iter().filter(|c| !c.is_empty()).count(), record.len(), || format!("line {line}"))?;
        rows.push(record.iter().map(str::to_string).collect::<Vec<_>>());
    }
    table::read(&rows, FileFormat::Csv)
}

/// The delimiter that gives the most lines the same number (above one) of fields.
fn delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(50).collect();
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|&d| {
            let mut counts: Vec<usize> = lines.iter().map(|l| fields_in(l, d)).filter(|n| *n > 1).collect();
            counts.sort_unstable();
            // The most common field count, weighted by how many lines share it.
            let mut best = (0, 0);
            for chunk in counts.chunk_by(|a, b| a == b) {
                best = best.max((chunk.len(), chunk[0]));
            }
            best
        })
        .unwrap_or(b',')
}

fn fields_in(line: &str, delimiter: u8) -> usize {
    let mut quoted = false;
    let mut n = 1;
    for b in line.bytes() {
        match b {
            b'"' => quoted = !quoted,
            _ if b == delimiter && !quoted => n += 1,
            _ => {}
        }
    }
    n
}
