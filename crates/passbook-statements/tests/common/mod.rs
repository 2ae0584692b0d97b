//! Where the sample statements live: `../shared/statements/` beside the repository (never
//! copied into it), or `PASSBOOK_STATEMENT_SAMPLES`.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test data and assertions on small, known numbers; the lints hold the shipped code"
)]
#[allow(dead_code)]
pub fn samples_dir() -> std::path::PathBuf {
    let dir = std::env::var("PASSBOOK_STATEMENT_SAMPLES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/statements"));
    assert!(dir.join("SOURCES.md").exists(), "the sample statements are expected in {}", dir.display());
    dir
}

/// A minimal XLSX around one sheet's XML.
#[allow(dead_code)]
pub fn xlsx_package(sheet: &str) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Statement" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    for (name, body) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A minimal ODS around one sheet's rows (`<table:table-row>` elements).
#[allow(dead_code)]
pub fn ods_package(rows: &str) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    zip.start_file("META-INF/manifest.xml", deflated).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    zip.start_file("content.xml", deflated).unwrap();
    write!(
        zip,
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Statement">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    )
    .unwrap();
    zip.finish().unwrap().into_inner()
}

/// A minimal legacy Excel file (BIFF8 in a compound file): one sheet of text and number cells at
/// the given (row, column) places. The workbook stream is padded past 4 KB so that it lives in
/// regular sectors.
#[allow(dead_code)]
pub fn xls_package(cells: &[(u16, u16, &str)]) -> Vec<u8> {
    fn record(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
    }
    let bof = |dt: u16| [&0x0600u16.to_le_bytes()[..], &dt.to_le_bytes(), &[0u8; 12]].concat();
    let mut globals = Vec::new();
    record(&mut globals, 0x0809, &bof(0x0005));
    record(&mut globals, 0x0042, &1200u16.to_le_bytes()); // CODEPAGE: UTF-16
    record(&mut globals, 0x1234, &[0u8; 4096]); // padding, an unknown record
    let sheet_name = b"Statement";
    let boundsheet_len = 4 + 8 + sheet_name.len();
    let sheet_at = (globals.len() + boundsheet_len + 4) as u32; // after BOUNDSHEET8 and EOF
    let boundsheet = [&sheet_at.to_le_bytes()[..], &[0, 0, sheet_name.len() as u8, 0], sheet_name].concat();
    record(&mut globals, 0x0085, &boundsheet);
    record(&mut globals, 0x000A, &[]);
    assert_eq!(globals.len() as u32, sheet_at);
    let mut stream = globals;
    record(&mut stream, 0x0809, &bof(0x0010));
    for (row, column, text) in cells {
        let place = [row.to_le_bytes(), column.to_le_bytes(), 15u16.to_le_bytes()].concat();
        match text.parse::<f64>() {
            Ok(n) => record(&mut stream, 0x0203, &[place, n.to_le_bytes().to_vec()].concat()),
            Err(_) => {
                let s = [&(text.len() as u16).to_le_bytes()[..], &[0], text.as_bytes()].concat();
                record(&mut stream, 0x0204, &[place, s].concat());
            }
        }
    }
    record(&mut stream, 0x000A, &[]);
    compound_file("Workbook", &stream)
}

/// A version 3 compound file (512-byte sectors) holding one stream of at least 4 KB.
#[allow(dead_code)]
fn compound_file(name: &str, stream: &[u8]) -> Vec<u8> {
    const FREE: u32 = 0xFFFF_FFFF;
    const END: u32 = 0xFFFF_FFFE;
    let stream_sectors = stream.len().div_ceil(512);
    assert!(stream.len() >= 4096 && 2 + stream_sectors <= 128, "one FAT sector");
    let mut header = Vec::with_capacity(512);
    header.extend_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    header.extend_from_slice(&[0; 16]);
    for v in [0x003Eu16, 0x0003, 0xFFFE, 9, 6] {
        header.extend_from_slice(&v.to_le_bytes());
    }
    header.extend_from_slice(&[0; 6]);
    for v in [0u32, 1, 1, 0, 4096, END, 0, END, 0] {
        header.extend_from_slice(&v.to_le_bytes());
    }
    header.extend_from_slice(&0u32.to_le_bytes()); // DIFAT[0]: the FAT is sector 0
    while header.len() < 512 {
        header.extend_from_slice(&FREE.to_le_bytes());
    }
    let mut fat = vec![0xFFFF_FFFDu32, END];
    for i in 0..stream_sectors {
        fat.push(if i + 1 == stream_sectors { END } else { (3 + i) as u32 });
    }
    fat.resize(128, FREE);
    let entry = |name: &str, kind: u8, child: u32, start: u32, size: u32| {
        let mut e = vec![0u8; 128];
        let units: Vec<u8> = name.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
        e[..units.len()].copy_from_slice(&units);
        e[0x40..0x42].copy_from_slice(&(units.len() as u16).to_le_bytes());
        e[0x42] = kind;
        e[0x43] = 1;
        e[0x44..0x48].copy_from_slice(&FREE.to_le_bytes());
        e[0x48..0x4C].copy_from_slice(&FREE.to_le_bytes());
        e[0x4C..0x50].copy_from_slice(&child.to_le_bytes());
        e[0x74..0x78].copy_from_slice(&start.to_le_bytes());
        e[0x78..0x7C].copy_from_slice(&size.to_le_bytes());
        e
    };
    let mut directory = [entry("Root Entry", 5, 1, END, 0), entry(name, 2, FREE, 2, stream.len() as u32)].concat();
    directory.resize(512, 0);
    let mut out = header;
    out.extend(fat.iter().flat_map(|v| v.to_le_bytes()));
    out.extend(directory);
    out.extend_from_slice(stream);
    out.resize(512 + (2 + stream_sectors) * 512, 0);
    out
}
