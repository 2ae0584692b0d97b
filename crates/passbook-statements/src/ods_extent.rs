//! How large an OpenDocument sheet is before calamine reads it. calamine builds each sheet as a
//! dense grid from its first to its last cell with a value, so a tiny file whose rows repeat a
//! million times (`table:number-rows-repeated`) between two values would cost gigabytes. This
//! walks `content.xml` as a stream, counting rows and columns with their repeats, and refuses a
//! sheet whose grid is larger than a statement's.
use std::io::{Cursor, Read};

use passbook_domain::statement_file::ReadError;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The largest grid (rows × columns between the first and the last value) a sheet may make.
pub(crate) const MAX_GRID: u64 = 1_500_000;

/// One sheet's extent so far: the first and last row and column holding a value.
#[derive(Default)]
struct Extent {
    row: u64,
    rows: Option<(u64, u64)>,
    columns: Option<(u64, u64)>,
}

impl Extent {
    fn grid(&self) -> u64 {
        match (self.rows, self.columns) {
            (Some((r0, r1)), Some((c0, c1))) => (r1 - r0 + 1).saturating_mul(c1 - c0 + 1),
            _ => 0,
        }
    }

    fn value(&mut self, first_column: u64, last_column: u64, rows: u64) {
        let last_row = self.row + rows - 1;
        self.rows = Some(self.rows.map_or((self.row, last_row), |(a, _)| (a, last_row)));
        self.columns =
            Some(self.columns.map_or((first_column, last_column), |(a, b)| (a.min(first_column), b.max(last_column))));
    }
}

fn repeats(e: &BytesStart<'_>, name: &str) -> u64 {
    let value = e.try_get_attribute(name).ok().flatten();
    value.and_then(|a| a.value.parse().ok()).unwrap_or(1).max(1)
}

fn has_value_type(e: &BytesStart<'_>) -> bool {
    e.try_get_attribute("office:value-type").ok().flatten().is_some()
}

/// `Err` when a sheet of the ODS archive `bytes` would make a grid larger than `MAX_GRID`.
pub(crate) fn check(bytes: &[u8]) -> Result<(), ReadError> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ok(()) };
    let Ok(mut content) = archive.by_name("content.xml") else { return Ok(()) };
    let mut xml = Vec::new();
    content
        .read_to_end(&mut xml)
        .map_err(|e| ReadError::Malformed(format!("the spreadsheet's content could not be read: {e}")))?;
    let mut reader = Reader::from_reader(xml.as_slice());
    let mut buf = Vec::new();
    let mut sheet = Extent::default();
    // The current row's repeat count and next column.
    let (mut row_repeats, mut column) = (1u64, 0u64);
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| ReadError::Malformed(format!("the spreadsheet's content is not valid XML: {e}")))?;
        match event {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "table:table" => sheet = Extent::default(),
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                row_repeats = repeats(&e, "table:number-rows-repeated");
                column = 0;
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                sheet.row += repeats(&e, "table:number-rows-repeated");
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => sheet.row += row_repeats,
            Event::Start(ref e) | Event::Empty(ref e)
                if matches!(e.name().as_ref(), "table:table-cell" | "table:covered-table-cell") =>
            {
                let n = repeats(e, "table:number-columns-repeated");
                // A cell written open may hold text (`<text:p>`); a typed one holds a value.
                let valued = matches!(event, Event::Start(_)) || has_value_type(e);
                if valued {
                    sheet.value(column, column + n - 1, row_repeats);
                    if sheet.grid() > MAX_GRID {
                        return Err(ReadError::Unsafe(format!(
                            "a sheet spreads its values over more than {MAX_GRID} cells (to row {} column {})",
                            sheet.row + row_repeats,
                            column + n
                        )));
                    }
                }
                column = column.saturating_add(n);
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}
