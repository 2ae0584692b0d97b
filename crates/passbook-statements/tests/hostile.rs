//! Files built to hurt the reader: external entities, entity expansion, a spreadsheet that
//! inflates to gigabytes. Each is refused with a reason, quickly, without reading the payload.
use std::io::Write;

use passbook_domain::statement_file::{ReadError, StatementReader};
use passbook_statements::FileReader;

mod common;

fn read(bytes: &[u8], name: &str) -> Result<usize, ReadError> {
    FileReader::default().read(bytes, Some(name), None).map(|f| f.accounts.len())
}

#[test]
fn xml_entities_are_refused() {
    let external = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Acct><Id><IBAN>&x;</IBAN></Id></Acct></Stmt></BkToCstmrStmt></Document>"#;
    let billion = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>&c;</IBAN></Id></Acct></Stmt></BkToCstmrStmt></Document>"#;
    for xml in [external, billion] {
        let refused = read(xml.as_bytes(), "camt.xml").unwrap_err();
        assert!(matches!(refused, ReadError::Unsafe(_)), "{refused:?}");
    }
    let undeclared =
        r#"<Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>&x;</IBAN></Id></Acct></Stmt></BkToCstmrStmt></Document>"#;
    assert!(matches!(read(undeclared.as_bytes(), "camt.xml").unwrap_err(), ReadError::Unsafe(_)));
    let ofx = "OFXHEADER:100\n<!DOCTYPE OFX [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<OFX><STMTRS><CURDEF>NGN</STMTRS></OFX>";
    assert!(matches!(read(ofx.as_bytes(), "x.ofx").unwrap_err(), ReadError::Unsafe(_)));
}

#[test]
fn a_spreadsheet_that_inflates_too_far_is_refused_before_it_is_opened() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..80 {
        zip.write_all(&zeros).unwrap();
    }
    let bomb = zip.finish().unwrap().into_inner();
    assert!(bomb.len() < 1024 * 1024, "{} bytes inflate to 80 MB", bomb.len());
    let started = std::time::Instant::now();
    let refused = read(&bomb, "bomb.xlsx").unwrap_err();
    assert!(matches!(&refused, ReadError::Unsafe(m) if m.contains("inflates to 80 MB")), "{refused:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "refused without inflating it");
}

#[test]
fn a_file_over_the_limit_is_refused_before_it_is_read() {
    let reader = FileReader { max_bytes: 1024 };
    assert_eq!(reader.read(&[b'a'; 2048], None, None).unwrap_err(), ReadError::TooLarge { limit_mb: 0 });
}

/// An XLSX whose sheet names its first and its last possible cell (`A1`, `XFD1048576`): read
/// one cell at a time, and refused at the far one, instead of a dense grid of 17 billion cells.
#[test]
fn a_sheet_that_names_a_far_cell_is_refused_without_allocating_for_it() {
    let sheet = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>"#;
    let refused = read(&common::xlsx_package(sheet), "far.xlsx").unwrap_err();
    assert!(matches!(&refused, ReadError::Unsafe(m) if m.contains("row 1048576 column 16384")), "{refused:?}");
}

/// 2 MB of nested elements: refused at the 65th level, not read in quadratic time.
#[test]
fn deeply_nested_xml_is_refused_at_a_fixed_depth() {
    let mut xml = String::from(r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>"#);
    xml.push_str(&"<a>".repeat(700_000));
    let started = std::time::Instant::now();
    let refused = read(xml.as_bytes(), "deep.xml").unwrap_err();
    assert!(matches!(&refused, ReadError::Unsafe(m) if m.contains("deeper than 64 levels")), "{refused:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "refused at once");
}

/// A PDF whose pages all share one content stream of 1.9 MB of operators: the document's
/// allowance of content and operators runs out after a few pages and the file is refused with
/// the limit it met.
#[test]
fn pages_sharing_one_huge_content_stream_are_refused_by_the_documents_allowance() {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let flood = "0 0 m\n".repeat(320_000).into_bytes();
    let content = doc.add_object(Stream::new(dictionary! {}, flood));
    let kids: Vec<Object> = (0..40)
        .map(|_| {
            doc.add_object(dictionary! {"Type" => "Page", "Parent" => pages_id, "Contents" => content, "Resources" => dictionary! {}})
                .into()
        })
        .collect();
    doc.objects.insert(pages_id, Object::Dictionary(dictionary! {"Type" => "Pages", "Kids" => kids, "Count" => 40}));
    let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
    let refused = read(&bytes, "shared.pdf").unwrap_err();
    assert!(matches!(&refused, ReadError::Unsafe(m) if m.starts_with("its pages hold more than")), "{refused:?}");
}

/// A 5 MB narration is cut to 1,000 characters when it is read.
#[test]
fn a_huge_narration_is_cut_when_it_is_read() {
    let csv = format!("Date,Description,Amount\n2025-01-02,{},-100.00\n", "x".repeat(5 * 1024 * 1024));
    let read = FileReader::default().read(csv.as_bytes(), Some("long.csv"), None).unwrap();
    assert_eq!(read.accounts[0].rows[0].narration.len(), 1_000);
}

/// Every reader checks the read's deadline in its loops: with the deadline already past, each
/// format is refused with the limit it met, instead of being read to the end.
#[test]
fn every_reader_stops_at_the_deadline() {
    let root = common::samples_dir();
    let samples = [
        "csv/csv2ofx__gls.csv",
        "xlsx/oca__sample_statement_en.xlsx",
        "ofx/asgrim__ofxdata-bb.ofx",
        "camt053/viafintech__valid_example.xml",
        "mt940/oca__test-ing.940",
        "pdf/dkb-parser__Kontoauszug_DKB_2020_011.pdf",
    ];
    for sample in samples {
        let bytes = std::fs::read(root.join(sample)).unwrap();
        assert!(read(&bytes, sample).is_ok(), "{sample} reads without a deadline");
        let _read = passbook_domain::read_deadline::start(std::time::Duration::ZERO);
        std::thread::sleep(std::time::Duration::from_millis(1));
        let refused = read(&bytes, sample).unwrap_err();
        assert!(matches!(&refused, ReadError::Unsafe(m) if m.contains("longer than")), "{sample}: {refused:?}");
    }
}

/// An ODS whose rows repeat 400,000 times between two values (calamine would fill 80 million cells): refused from its extent, before
/// calamine would build the grid between them; a small ODS statement still reads.
#[test]
fn an_ods_that_spreads_over_a_huge_grid_is_refused_before_it_is_read() {
    let cell = |text: &str| {
        format!(r#"<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#)
    };
    let row = |cells: &[&str]| {
        format!("<table:table-row>{}</table:table-row>", cells.iter().map(|c| cell(c)).collect::<String>())
    };
    let statement = [row(&["Date", "Description", "Amount"]), row(&["2025-01-02", "Salary", "5000.00"])].concat();
    assert_eq!(read(&common::ods_package(&statement), "ok.ods").unwrap(), 1);
    let far = format!(
        r#"{}<table:table-row table:number-rows-repeated="400000"><table:table-cell table:number-columns-repeated="200"/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="199"/>{}</table:table-row>"#,
        row(&["Date"]),
        cell("1")
    );
    let refused = read(&common::ods_package(&far), "far.ods").unwrap_err();
    assert!(matches!(&refused, ReadError::Unsafe(m) if m.contains("more than 1500000 cells")), "{refused:?}");
}

/// A legacy `.xls` naming cells `A1` and `IV65536` (calamine would fill 16.7 million cells when it
/// opens the file): refused from its extent; a small `.xls` statement still reads.
#[test]
fn an_xls_that_spreads_over_a_huge_grid_is_refused_before_it_is_opened() {
    let statement = [
        (0, 0, "Date"),
        (0, 1, "Description"),
        (0, 2, "Amount"),
        (1, 0, "2025-01-02"),
        (1, 1, "Salary"),
        (1, 2, "5000.5"),
    ];
    assert_eq!(read(&common::xls_package(&statement), "ok.xls").unwrap(), 1);
    let refused = read(&common::xls_package(&[(0, 0, "Date"), (65535, 255, "1")]), "far.xls").unwrap_err();
    assert!(matches!(&refused, ReadError::Unsafe(m) if m.contains("more than 1500000 cells")), "{refused:?}");
}
