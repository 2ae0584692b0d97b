//! Files built to hurt the reader: external entities, entity expansion, a spreadsheet that
//! inflates to gigabytes. Each is refused with a reason, quickly, without reading the payload.
use std::io::Write;

use passbook_domain::statement_file::{ReadError, StatementReader};
use passbook_statements::FileReader;

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
