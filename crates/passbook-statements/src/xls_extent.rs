//! How large a legacy Excel (BIFF, `.xls`) sheet is before calamine reads it. calamine reads every
//! sheet when it opens the file and builds each as a dense grid from its first to its last cell,
//! so a few hundred bytes naming cells `A1` and `IV65536` would cost half a gigabyte per sheet.
//! This finds the workbook stream in the compound file (MS-CFB) and walks its records (MS-XLS),
//! noting where each sheet's cells lie, and refuses a sheet whose grid is larger than a
//! statement's. A file it cannot follow is left to calamine, which refuses damaged files itself.
use passbook_domain::statement_file::ReadError;

use crate::ods_extent::MAX_GRID;

const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The compound file's sectors and allocation tables.
struct Compound<'a> {
    file: &'a [u8],
    sector: usize,
    fat: Vec<u32>,
}

impl<'a> Compound<'a> {
    fn open(file: &'a [u8]) -> Option<Self> {
        if file.get(..8)? != SIGNATURE {
            return None;
        }
        let sector = 1usize << u16_at(file, 0x1E)?.min(16);
        let mut fat_sectors: Vec<u32> = (0..109).filter_map(|i| u32_at(file, 0x4C + 4 * i)).collect();
        // Further FAT sector numbers live in DIFAT sectors, chained through their last entry.
        let (mut difat, mut left) = (u32_at(file, 0x44)?, u32_at(file, 0x48)?);
        while left > 0 && difat < END_OF_CHAIN {
            let at = (difat as usize + 1) * sector;
            let entries = sector / 4 - 1;
            fat_sectors.extend((0..entries).filter_map(|i| u32_at(file, at + 4 * i)));
            difat = u32_at(file, at + 4 * entries)?;
            left -= 1;
        }
        let count = u32_at(file, 0x2C)? as usize;
        let mut fat = Vec::new();
        for &s in fat_sectors.iter().filter(|s| **s < END_OF_CHAIN).take(count) {
            let at = (s as usize + 1) * sector;
            fat.extend((0..sector / 4).filter_map(|i| u32_at(file, at + 4 * i)));
        }
        Some(Self { file, sector, fat })
    }

    /// The bytes of the chain of sectors starting at `first` (at most the file's length, so a
    /// cycle in the table ends).
    fn chain(&self, first: u32, table: &[u32], unit: usize, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut at = first;
        while at < END_OF_CHAIN && out.len() <= self.file.len() {
            let start = at as usize * unit;
            match data.get(start..start + unit) {
                Some(bytes) => out.extend_from_slice(bytes),
                None => break,
            }
            at = table.get(at as usize).copied().unwrap_or(END_OF_CHAIN);
        }
        out
    }

    /// Regular sectors are numbered from the end of the 512-byte header.
    fn sectors(&self) -> &'a [u8] {
        self.file.get(self.sector..).unwrap_or_default()
    }

    /// The workbook stream (`Workbook`, or `Book` in BIFF5).
    fn workbook(&self) -> Option<Vec<u8>> {
        let first_dir = u32_at(self.file, 0x30)?;
        let directory = self.chain(first_dir, &self.fat, self.sector, self.sectors());
        let entries: Vec<&[u8]> = directory.chunks_exact(128).collect();
        let root = entries.first()?;
        let name = |e: &[u8]| {
            let len = (u16_at(e, 0x40).unwrap_or(0) as usize).min(64).saturating_sub(2);
            let units: Vec<u16> = e[..len].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            String::from_utf16_lossy(&units)
        };
        let entry = entries.iter().find(|e| e[0x42] == 2 && matches!(name(e).as_str(), "Workbook" | "Book"))?;
        let (start, size) = (u32_at(entry, 0x74)?, u32_at(entry, 0x78)? as usize);
        let cutoff = u32_at(self.file, 0x38)? as usize;
        let mut stream = if size < cutoff {
            let mini_stream = self.chain(u32_at(root, 0x74)?, &self.fat, self.sector, self.sectors());
            let mini_fat_bytes = self.chain(u32_at(self.file, 0x3C)?, &self.fat, self.sector, self.sectors());
            let mini_fat: Vec<u32> =
                mini_fat_bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            let mini = 1usize << u16_at(self.file, 0x20)?.min(16);
            self.chain(start, &mini_fat, mini, &mini_stream)
        } else {
            self.chain(start, &self.fat, self.sector, self.sectors())
        };
        stream.truncate(size);
        Some(stream)
    }
}

/// The cells (row, first column, last column) a record puts on the sheet.
fn cells(kind: u16, data: &[u8]) -> Option<(u16, u16, u16)> {
    let (row, column) = (u16_at(data, 0)?, u16_at(data, 2)?);
    match kind {
        // NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST, FORMULA
        0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => Some((row, column, column)),
        // MULRK: its last column closes the record.
        0x00BD => Some((row, column, u16_at(data, data.len().checked_sub(2)?)?)),
        _ => None,
    }
}

/// `Err` when a sheet of the `.xls` file `bytes` would make a grid larger than `MAX_GRID`.
pub(crate) fn check(bytes: &[u8]) -> Result<(), ReadError> {
    let Some(stream) = Compound::open(bytes).and_then(|c| c.workbook()) else { return Ok(()) };
    let mut at = 0;
    let mut extent: Option<(u16, u16, u16, u16)> = None;
    while let (Some(kind), Some(len)) = (u16_at(&stream, at), u16_at(&stream, at + 2)) {
        let data = stream.get(at + 4..at + 4 + len as usize).unwrap_or_default();
        at += 4 + len as usize;
        if kind == 0x0809 {
            extent = None; // BOF: a new sheet (or a chart inside one)
        } else if let Some((row, first, last)) = cells(kind, data) {
            let (r0, r1, c0, c1) = extent.unwrap_or((row, row, first, last));
            let now = (r0.min(row), r1.max(row), c0.min(first), c1.max(last));
            let grid = (now.1 - now.0) as u64 + 1;
            if grid.saturating_mul((now.3.saturating_sub(now.2)) as u64 + 1) > MAX_GRID {
                return Err(ReadError::Unsafe(format!(
                    "a sheet spreads its values over more than {MAX_GRID} cells (to row {} column {})",
                    now.1 as u32 + 1,
                    now.3 as u32 + 1
                )));
            }
            extent = Some(now);
        }
    }
    Ok(())
}
