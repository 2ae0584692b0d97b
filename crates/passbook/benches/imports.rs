//! Statement import throughput: a 100,000-row statement in each format, read by the
//! `StatementReader` (parse) and then imported end to end through a running server on SQLite
//! (parse, keep the import, link the account, fetch: the rows stored as transactions). The
//! baseline, measured in the same run, is the `csv` crate splitting the same CSV file into
//! records and nothing more.
//!
//! Run with `cargo bench -p passbook --bench imports`. The import is split in two: reading the
//! file, keeping it and linking its account (the request); then the data fetch that stores the
//! rows as transactions (the background job).
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test data and assertions on small, known numbers; the lints hold the shipped code"
)]
use std::io::Write;
use std::time::{Duration, Instant};

use passbook::Config;
use passbook_domain::linking::StatementUpload;
use passbook_domain::model::{AccountId, DataStatus, Transaction, TxKind};
use passbook_domain::services::{CustomerSpec, StatementImportRequest};
use passbook_domain::statement_file::StatementReader;
use passbook_domain::statement_pdf::{StatementDoc, render};
use passbook_domain::{Timestamp, Vault};

const ROWS: usize = 100_000;
const DAY_MS: i64 = 86_400_000;
/// 2020-01-01.
const START: i64 = 1_577_836_800_000;

/// The rows every file holds: dates, signed amounts in kobo, running balances.
struct Row {
    date: Timestamp,
    amount: i64,
    balance: i64,
    narration: String,
}

fn rows() -> (i64, Vec<Row>) {
    let opening = 50_000_000;
    let mut balance = opening;
    let rows = (0..ROWS)
        .map(|i| {
            let amount = if i % 5 == 0 { 2_500_000 + (i as i64 % 97) * 100 } else { -(10_000 + (i as i64 % 89) * 100) };
            balance += amount;
            Row {
                date: Timestamp(START + (i as i64 / 40) * DAY_MS),
                amount,
                balance,
                narration: format!("POS PURCHASE SHOP {} LAGOS REF {i:07}", i % 300),
            }
        })
        .collect();
    (opening, rows)
}

fn day(t: Timestamp) -> String {
    t.to_iso()[..10].to_string()
}

fn money(minor: i64) -> String {
    format!("{}{}.{:02}", if minor < 0 { "-" } else { "" }, minor.abs() / 100, minor.abs() % 100)
}

fn csv(rows: &[Row]) -> Vec<u8> {
    let mut out = String::from("Date,Description,Amount,Balance\n");
    for r in rows {
        out.push_str(&format!("{},{},{},{}\n", day(r.date), r.narration, money(r.amount), money(r.balance)));
    }
    out.into_bytes()
}

fn ofx(opening: i64, rows: &[Row]) -> Vec<u8> {
    let closing = rows.last().map_or(opening, |r| r.balance);
    let mut out = String::from(
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>NGN\
         <BANKACCTFROM><BANKID>058<ACCTID>0123456789<ACCTTYPE>SAVINGS</BANKACCTFROM><BANKTRANLIST>\n",
    );
    for (i, r) in rows.iter().enumerate() {
        out.push_str(&format!(
            "<STMTTRN><TRNTYPE>{}<DTPOSTED>{}<TRNAMT>{}<FITID>{i}<NAME>{}</STMTTRN>\n",
            if r.amount < 0 { "DEBIT" } else { "CREDIT" },
            day(r.date).replace('-', ""),
            money(r.amount),
            r.narration
        ));
    }
    out.push_str(&format!(
        "</BANKTRANLIST><LEDGERBAL><BALAMT>{}</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n",
        money(closing)
    ));
    out.into_bytes()
}

fn camt(opening: i64, rows: &[Row]) -> Vec<u8> {
    let closing = rows.last().map_or(opening, |r| r.balance);
    let balance = |code: &str, amount: i64| {
        format!(
            "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"NGN\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Dt><Dt>2020-01-01</Dt></Dt></Bal>",
            money(amount.abs()),
            if amount < 0 { "DBIT" } else { "CRDT" }
        )
    };
    let mut out = format!(
        "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt>\
         <Acct><Id><IBAN>NG00BANK0123456789</IBAN></Id><Ccy>NGN</Ccy></Acct>{}{}\n",
        balance("OPBD", opening),
        balance("CLBD", closing)
    );
    for r in rows {
        out.push_str(&format!(
            "<Ntry><Amt Ccy=\"NGN\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{}</Dt></BookgDt><AddtlNtryInf>{}</AddtlNtryInf></Ntry>\n",
            money(r.amount.abs()),
            if r.amount < 0 { "DBIT" } else { "CRDT" },
            day(r.date),
            r.narration
        ));
    }
    out.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    out.into_bytes()
}

fn mt940(opening: i64, rows: &[Row]) -> Vec<u8> {
    let yymmdd = |t: Timestamp| day(t).replace('-', "")[2..].to_string();
    let amount = |a: i64| money(a.abs()).replace('.', ",");
    let closing = rows.last().map_or(opening, |r| r.balance);
    let mut out = format!(":20:BENCH\n:25:0123456789\n:28C:1/1\n:60F:C200101NGN{}\n", amount(opening));
    for r in rows {
        out.push_str(&format!(
            ":61:{}{}{}NTRFNONREF\n:86:{}\n",
            yymmdd(r.date),
            if r.amount < 0 { "D" } else { "C" },
            amount(r.amount),
            r.narration
        ));
    }
    out.push_str(&format!(":62F:C{}NGN{}\n-\n", yymmdd(rows.last().unwrap().date), amount(closing)));
    out.into_bytes()
}

/// A minimal XLSX: one sheet of inline strings and numbers.
fn xlsx(rows: &[Row]) -> Vec<u8> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    let text = |s: &str| format!(r#"<c t="inlineStr"><is><t>{s}</t></is></c>"#);
    sheet.push_str(&format!("<row>{}{}{}{}</row>", text("Date"), text("Description"), text("Amount"), text("Balance")));
    for r in rows {
        sheet.push_str(&format!(
            "<row>{}{}<c><v>{}</v></c><c><v>{}</v></c></row>",
            text(&day(r.date)),
            text(&r.narration),
            money(r.amount),
            money(r.balance)
        ));
    }
    sheet.push_str("</sheetData></worksheet>");
    let files = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Statement" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn pdf(opening: i64, rows: &[Row]) -> Vec<u8> {
    let transactions: Vec<Transaction> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| Transaction {
            id: format!("{i}"),
            account_id: "bench".into(),
            date: r.date,
            narration: r.narration.clone(),
            amount: r.amount.abs(),
            kind: if r.amount < 0 { TxKind::Debit } else { TxKind::Credit },
            balance: Some(r.balance),
            category: String::new(),
            currency: "NGN".into(),
            fingerprint: format!("{i}"),
        })
        .collect();
    render(&StatementDoc {
        institution: "Bench Bank",
        holder: "ADA OBI",
        account_number: "0123456789",
        currency: "NGN",
        from: rows[0].date,
        to: rows.last().unwrap().date,
        opening_balance: opening,
        closing_balance: rows.last().unwrap().balance,
        transactions: &transactions,
    })
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (opening, rows) = rows();
    let files: Vec<(&str, &str, Vec<u8>)> = vec![
        ("CSV", "statement.csv", csv(&rows)),
        ("OFX 1.x (SGML)", "statement.ofx", ofx(opening, &rows)),
        ("CAMT.053", "statement.xml", camt(opening, &rows)),
        ("MT940", "statement.sta", mt940(opening, &rows)),
        ("XLSX", "statement.xlsx", xlsx(&rows)),
        ("PDF (text layer)", "statement.pdf", pdf(opening, &rows)),
    ];

    let csv_bytes = &files[0].2;
    let started = Instant::now();
    let mut records = 0;
    for record in csv::ReaderBuilder::new().from_reader(csv_bytes.as_slice()).records() {
        record.unwrap();
        records += 1;
    }
    let baseline = started.elapsed();
    assert_eq!(records, ROWS);

    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(format!("sqlite://{}", dir.path().join("bench.db").display()));
    config.master_key = Some(Vault::generate_key());
    config.http.rate_limits = passbook_server::RateLimits::off();
    config.http.max_upload_bytes = 512 * 1024 * 1024;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = passbook::start(config, listener).await.unwrap();
    let passbook = server.passbook.clone();
    let app = server.created_sandbox_app.clone().unwrap().app;
    let reader = passbook_statements::FileReader { max_bytes: 512 * 1024 * 1024 };

    println!("## Statement imports: {ROWS} rows\n");
    println!(
        "Baseline: the `csv` crate splits the CSV file ({:.1} MB) into records in {:.3} s ({:.0} rows/s).\n",
        csv_bytes.len() as f64 / 1e6,
        baseline.as_secs_f64(),
        ROWS as f64 / baseline.as_secs_f64()
    );
    println!(
        "| format | file | parse | parse rows/s | parse vs baseline | import and link | then fetch (rows stored) | end to end | rows/s end to end |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (i, (label, name, bytes)) in files.iter().enumerate() {
        let started = Instant::now();
        let read = reader.read(bytes, Some(name), None).unwrap_or_else(|e| panic!("{label}: {e}"));
        let parse = started.elapsed();
        assert_eq!(read.accounts[0].rows.len(), ROWS, "{label}");

        let started = Instant::now();
        let request = StatementImportRequest {
            customer: Some(CustomerSpec::New { name: "Ada Obi".into(), email: format!("bench{i}@example.ng") }),
            institution: None,
            account: None,
            reference: None,
            upload: StatementUpload {
                file: bytes.clone(),
                file_name: Some(name.to_string()),
                password: None,
                currency: None,
            },
        };
        let imported = passbook.linking().import_statement(&app, request).await.unwrap();
        let linked = started.elapsed();
        let id = AccountId(imported.accounts[0].id.to_string());
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let account = passbook.accounts().get(&app, &id).await.unwrap();
            if account.data_status != DataStatus::Processing {
                assert_eq!(account.transaction_count as usize, ROWS, "{label}: every row stored");
                break;
            }
            assert!(Instant::now() < deadline, "{label}: the fetch did not finish");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let end_to_end = started.elapsed();
        println!(
            "| {label} | {:.1} MB | {:.2} s | {:.0} | {:.1}× | {:.2} s | {:.2} s | {:.2} s | {:.0} |",
            bytes.len() as f64 / 1e6,
            parse.as_secs_f64(),
            ROWS as f64 / parse.as_secs_f64(),
            parse.as_secs_f64() / baseline.as_secs_f64(),
            linked.as_secs_f64(),
            (end_to_end - linked).as_secs_f64(),
            end_to_end.as_secs_f64(),
            ROWS as f64 / end_to_end.as_secs_f64()
        );
    }
    server.shutdown().await;
}
