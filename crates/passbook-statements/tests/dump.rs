//! Developer tools, ignored in normal runs: `ONLY=<part of a file name> ROWS=1 cargo test -p
//! passbook-statements --test dump -- --ignored --nocapture` prints what the reader makes of the
//! shared samples (`FILE=<path>`: of that file); `PDF=<path> … dump_pdf_lines` prints a PDF's positioned words.
use passbook_domain::statement_file::StatementReader;
use passbook_statements::FileReader;

mod common;

#[test]
#[ignore]
fn dump() {
    let root = common::samples_dir();
    let only = std::env::var("ONLY").unwrap_or_default();
    for dir in ["ofx", "camt053", "mt940", "csv", "xlsx", "pdf"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir)).unwrap().map(|e| e.unwrap().path()).collect();
        // FILE=<path>: that file instead of the samples.
        if let Ok(file) = std::env::var("FILE") {
            files = if dir == "ofx" { vec![file.into()] } else { Vec::new() };
        }
        files.sort();
        for f in files.into_iter().filter(|f| f.to_string_lossy().contains(&only)) {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            match FileReader::default().read(&std::fs::read(&f).unwrap(), Some(&name), None) {
                Err(e) => println!("{name}: ERROR {e}"),
                Ok(read) => {
                    for a in &read.accounts {
                        let r = a.reconcile();
                        println!(
                            "{name}: {:?} {:?} rows={} opening={:?} closing={:?} {:?} difference={:?} broken={} {:?} {:?}",
                            a.account_number,
                            a.currency,
                            a.rows.len(),
                            a.opening.map(|b| b.amount),
                            a.closing.map(|b| b.amount),
                            r.status,
                            r.difference,
                            r.broken_rows.len(),
                            r.mismatched_totals,
                            r.gaps
                        );
                        for row in a.rows.iter().filter(|_| std::env::var("ROWS").is_ok()) {
                            println!(
                                "   {} {} {:?} {}",
                                &row.date.to_iso()[..10],
                                row.amount,
                                row.balance,
                                row.narration
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
#[ignore]
fn dump_pdf_lines() {
    let bytes = std::fs::read(std::env::var("PDF").expect("PDF=<path>")).unwrap();
    for line in passbook_statements::pdf::lines(&bytes, std::env::var("PW").ok().as_deref()).unwrap().0 {
        let words: Vec<String> = line.words.iter().map(|w| format!("[{:.0}-{:.0}]{}", w.x, w.right, w.text)).collect();
        println!("p{} y={:.0}: {}", line.page, line.y, words.join(" "));
    }
}
