//! Hostile shapes, generated with random sizes up to the upload limit: sparse far cells in a
//! spreadsheet, pages sharing one content stream, operator and text-run floods, deep nesting in
//! XML and OFX, a CSV of one endless field or of very many columns, an MT940 narration without
//! end. Each is read (or refused) under the server's reading deadline while the process's peak
//! resident memory is watched: no input may raise it by more than `MEMORY_CEILING`. Time is
//! bounded by the deadline, which `hostile.rs` shows every reader keeps. The one test of this
//! binary runs alone, so the peak is this read's.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test data and assertions on small, known numbers; the lints hold the shipped code"
)]
use std::time::{Duration, Instant};

use lopdf::{Document, Object, Stream, dictionary};
use passbook_domain::statement_file::StatementReader;
use passbook_statements::FileReader;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod common;

/// The most one read may hold at once, above what the input itself takes.
const MEMORY_CEILING: usize = 256 * 1024 * 1024;
const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;

/// The process's resident memory now and at its peak since the last reset, in bytes (Linux:
/// `/proc/self/status`; writing 5 to `clear_refs` resets the peak to what is resident now).
fn resident() -> (usize, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> usize {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<usize>().unwrap() * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

fn sheet_with_cells(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    let far_row = rng.random_range(1..2_000_000u32);
    for r in [1, far_row / 2, far_row] {
        let column = rng.random_range(0..26u8);
        sheet.push_str(&format!(
            r#"<row r="{r}"><c r="{}{r}" t="inlineStr"><is><t>Date</t></is></c><c r="XFD{r}"><v>1</v></c></row>"#,
            (b'A' + column) as char
        ));
    }
    sheet.push_str("</sheetData></worksheet>");
    common::xlsx_package(&sheet)
}

/// An ODS grid just inside the limit: two values far apart, empty rows repeated between.
fn spread_ods(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let columns = rng.random_range(2..256u32);
    let rows = (1_450_000 / columns).min(99_000);
    let cell = r#"<table:table-cell office:value-type="string"><text:p>1</text:p></table:table-cell>"#;
    common::ods_package(&format!(
        r#"<table:table-row>{cell}</table:table-row><table:table-row table:number-rows-repeated="{rows}"><table:table-cell table:number-columns-repeated="{columns}"/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="{}"/>{cell}</table:table-row>"#,
        columns - 1
    ))
}

/// A legacy `.xls` with two cells as far apart as its grid allows, the second just inside or
/// past the limit.
fn far_xls(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let column = rng.random_range(1..256u16);
    let row = rng.random_range(1..65535u16);
    common::xls_package(&[(0, 0, "Date"), (row, column, "1")])
}

fn dense_sheet(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let rows = rng.random_range(1_000..60_000);
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for r in 1..=rows {
        sheet.push_str(&format!(r#"<row r="{r}"><c r="A{r}"><v>45000</v></c><c r="B{r}"><v>-1.5</v></c></row>"#));
    }
    sheet.push_str("</sheetData></worksheet>");
    common::xlsx_package(&sheet)
}

fn pdf(pages: usize, content: Vec<u8>, shared: bool) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {"Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica"});
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let one = doc.add_object(Stream::new(dictionary! {}, content.clone()));
    let kids: Vec<Object> = (0..pages)
        .map(|_| {
            let stream = if shared { one } else { doc.add_object(Stream::new(dictionary! {}, content.clone())) };
            doc.add_object(
                dictionary! {"Type" => "Page", "Parent" => pages_id, "Contents" => stream, "Resources" => resources},
            )
            .into()
        })
        .collect();
    doc.objects
        .insert(pages_id, Object::Dictionary(dictionary! {"Type" => "Pages", "Kids" => kids, "Count" => pages as i64}));
    let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

fn operator_flood(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let ops = rng.random_range(10_000..400_000);
    pdf(rng.random_range(1..60), "0 0 m\n".repeat(ops).into_bytes(), rng.random_bool(0.5))
}

fn text_run_flood(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let runs = rng.random_range(1_000..45_000);
    let mut content = String::from("BT /F1 8 Tf\n");
    for i in 0..runs {
        content.push_str(&format!("1 0 0 1 {} {} Tm (02/01/2025 x 1,000.00) Tj\n", i % 500, i % 800));
    }
    content.push_str("ET\n");
    pdf(rng.random_range(1..60), content.into_bytes(), true)
}

fn deep_camt(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let depth = rng.random_range(100..UPLOAD_LIMIT / 4);
    let mut xml = String::from(r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>"#);
    xml.push_str(&"<a>".repeat(depth));
    xml.into_bytes()
}

fn deep_ofx(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let depth = rng.random_range(100..UPLOAD_LIMIT / 12);
    let mut ofx = String::from("OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>NGN");
    ofx.push_str(&"<STMTTRN>".repeat(depth));
    ofx.into_bytes()
}

fn endless_csv_field(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let len = rng.random_range(1024..UPLOAD_LIMIT - 100);
    format!("Date,Description,Amount\n2025-01-02,{},-1.00\n", "x".repeat(len)).into_bytes()
}

fn wide_csv(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let columns = if rng.random_bool(0.5) { rng.random_range(300..50_000) } else { rng.random_range(3..256) };
    let rows = (UPLOAD_LIMIT / (columns * 2)).saturating_sub(2).max(1);
    let line = vec!["1"; columns].join(",");
    let mut csv = format!("Date,Amount,{}\n", vec!["x"; columns - 2].join(","));
    for _ in 0..rows {
        csv.push_str(&line);
        csv.push('\n');
    }
    csv.into_bytes()
}

fn endless_mt940(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let lines = rng.random_range(100..UPLOAD_LIMIT / 70);
    let mut mt =
        String::from(":20:X\n:25:NL00BANK0123456789\n:60F:C250101EUR100,00\n:61:2501020102D1,00NTRFNONREF\n:86:");
    for _ in 0..lines {
        mt.push_str("narration continued over one more line of sixty-five characters.\n");
    }
    mt.push_str(":62F:C250102EUR99,00\n");
    mt.into_bytes()
}

type Shape = fn(&mut ChaCha8Rng) -> Vec<u8>;

const SHAPES: [(&str, &str, Shape); 12] = [
    ("far cells", "far.xlsx", sheet_with_cells),
    ("far xls", "far.xls", far_xls),
    ("spread ods", "spread.ods", spread_ods),
    ("dense sheet", "dense.xlsx", dense_sheet),
    ("operator flood", "ops.pdf", operator_flood),
    ("text-run flood", "runs.pdf", text_run_flood),
    ("deep camt", "deep.xml", deep_camt),
    ("deep ofx", "deep.ofx", deep_ofx),
    ("endless field", "long.csv", endless_csv_field),
    ("wide csv", "wide.csv", wide_csv),
    ("endless narration", "long.sta", endless_mt940),
    ("random bytes", "noise.pdf", random_bytes),
];

fn random_bytes(rng: &mut ChaCha8Rng) -> Vec<u8> {
    (0..rng.random_range(0..1 << 20)).map(|_| rng.random()).collect()
}

const CHILD: &str = "PASSBOOK_CEILING_INPUT";

/// Each input is read in a process of its own (this test binary run again for one input), so
/// that its peak is its own and not hidden by memory an earlier read left with the allocator.
#[test]
fn no_hostile_shape_takes_more_than_the_memory_ceiling() {
    if let Ok(input) = std::env::var(CHILD) {
        return read_one(&input);
    }
    let rounds: u64 = std::env::var("PASSBOOK_FUZZ_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(2);
    let mut over = Vec::new();
    for (index, (shape, ..)) in SHAPES.iter().enumerate() {
        for seed in 0..rounds {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "no_hostile_shape_takes_more_than_the_memory_ceiling", "--nocapture"])
                .env(CHILD, format!("{index}:{seed}"))
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let Some(report) = stdout.lines().find_map(|l| l.strip_prefix("ceiling: ")) else {
                panic!("{shape} #{seed} did not report: {stdout} {}", String::from_utf8_lossy(&out.stderr));
            };
            eprintln!("{shape} #{seed}: {report}");
            let grew: usize = report.split_whitespace().next().unwrap().parse().unwrap();
            if grew > MEMORY_CEILING >> 20 {
                over.push(format!("{shape} #{seed}: {report}"));
            }
        }
    }
    assert!(over.is_empty(), "over the {} MB ceiling: {over:?}", MEMORY_CEILING >> 20);
}

/// Makes input `index:seed`, reads it under the server's deadline, and prints how far the
/// resident memory rose above what it was with the input made.
fn read_one(input: &str) {
    let (index, seed) = input.split_once(':').unwrap();
    let (_, name, make) = SHAPES[index.parse::<usize>().unwrap()];
    let mut rng = ChaCha8Rng::seed_from_u64(0xce11 + seed.parse::<u64>().unwrap());
    let input = make(&mut rng);
    let input = &input[..input.len().min(UPLOAD_LIMIT)];
    reset_peak();
    let (before, _) = resident();
    let started = Instant::now();
    let outcome = {
        let _deadline = passbook_domain::read_deadline::start(Duration::from_secs(5));
        FileReader::default().read(input, Some(name), None).map(|f| f.accounts.len()).map_err(|e| e.to_string())
    };
    let grew = resident().1.saturating_sub(before);
    println!(
        "ceiling: {} MB above {} MB, {} KB in, {:?}, {outcome:?}",
        grew >> 20,
        before >> 20,
        input.len() / 1024,
        started.elapsed()
    );
}
