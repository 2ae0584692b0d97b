use passbook_domain::statement_file::StatementReader;
use passbook_statements::FileReader;

#[test]
#[ignore]
fn dump() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/statements");
    let only = std::env::var("ONLY").unwrap_or_default();
    for dir in ["ofx", "camt053", "mt940", "csv", "xlsx", "pdf"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            if !name.contains(&only) {
                continue;
            }
            let bytes = std::fs::read(&f).unwrap();
            match FileReader::default().read(&bytes, Some(&name), None) {
                Ok(read) => {
                    for a in &read.accounts {
                        let r = a.reconcile();
                        println!(
                            "{name}: acct={:?} ccy={:?} rows={} open={:?} close={:?} status={:?} diff={:?} broken={} totals={:?} gaps={}",
                            a.account_number,
                            a.currency,
                            a.rows.len(),
                            a.opening.map(|b| b.amount),
                            a.closing.map(|b| b.amount),
                            r.status,
                            r.difference,
                            r.broken_rows.len(),
                            r.mismatched_totals,
                            r.gaps.len()
                        );
                        if std::env::var("ROWS").is_ok() {
                            for row in &a.rows {
                                println!(
                                    "   {:?} {} {:?} {}",
                                    row.date.to_iso().get(..10),
                                    row.amount,
                                    row.balance,
                                    row.narration
                                );
                            }
                        }
                    }
                }
                Err(e) => println!("{name}: ERROR {e}"),
            }
            if std::env::var("MANIFEST").is_ok() {
                match FileReader::default().read(&bytes, Some(&name), None) {
                    Ok(read) => {
                        let accts: Vec<String> = read
                            .accounts
                            .iter()
                            .map(|a| {
                                format!(
                                    "({:?}, {}, {:?}, {:?})",
                                    a.account_number.as_deref().unwrap_or(""),
                                    a.rows.len(),
                                    a.reconcile().status,
                                    a.reconcile().difference
                                )
                            })
                            .collect();
                        eprintln!("    (\"{dir}/{name}\", Read(&[{}])),", accts.join(", "));
                    }
                    Err(e) => eprintln!("    (\"{dir}/{name}\", Refused({:?})),", e.to_string()),
                }
            }
        }
    }
}

#[test]
#[ignore]
fn dump_pdf_lines() {
    let f = std::env::var("PDF").unwrap();
    let bytes = std::fs::read(&f).unwrap();
    for line in passbook_statements::pdf::lines(&bytes, std::env::var("PW").ok().as_deref()).unwrap() {
        let words: Vec<String> = line.words.iter().map(|w| format!("[{:.0}-{:.0}]{}", w.x, w.right, w.text)).collect();
        println!("p{} y={:.0}: {}", line.page, line.y, words.join(" "));
    }
}
