//! The generated Nigerian corpus (see `nigerian/mod.rs`): fourteen banks' and wallets' layouts,
//! each as CSV and XLSX, read back row for row: dates, amounts, narrations, balances, the
//! opening and closing balance, the account number, the holder and the currency.
use passbook_domain::statement_file::{ReconciliationStatus, StatementReader};
use passbook_statements::FileReader;

mod common;
mod nigerian;
use nigerian::*;

#[test]
fn every_nigerian_layout_reads_exactly() {
    let reader = FileReader::default();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (i, layout) in layouts().iter().enumerate() {
        let (opening, truth) = transactions(i as u64, 40 + i * 3);
        let table = table(layout, opening, &truth);
        for (kind, bytes) in [("csv", csv(&table)), ("xlsx", xlsx(&table))] {
            let name = format!("{}.{kind}", layout.name);
            checked += 1;
            let read = match reader.read(&bytes, Some(&name), None) {
                Ok(read) => read,
                Err(e) => {
                    wrong.push(format!("{name}: {e}"));
                    continue;
                }
            };
            let [account] = read.accounts.as_slice() else {
                wrong.push(format!("{name}: {} accounts", read.accounts.len()));
                continue;
            };
            let mut got: Vec<Truth> = account
                .rows
                .iter()
                .map(|r| Truth {
                    date: r.date.to_datetime().date(),
                    amount: r.amount,
                    narration: r.narration.clone(),
                    balance: r.balance.unwrap_or(i64::MIN),
                })
                .collect();
            if layout.newest_first {
                got.reverse();
            }
            let facts = (
                account.account_number.as_deref(),
                account.holder.as_deref(),
                account.currency.as_deref(),
                account.opening.map(|b| b.amount),
                account.closing_balance(),
                account.reconcile().status,
            );
            let want = (
                Some(NUMBER),
                Some(HOLDER),
                Some("NGN"),
                Some(opening),
                truth.last().map(|t| t.balance),
                ReconciliationStatus::Balanced,
            );
            if facts != want {
                wrong.push(format!("{name}: read {facts:?}, want {want:?}"));
            }
            if got != truth {
                let first = got.iter().zip(&truth).position(|(g, t)| g != t);
                wrong.push(format!(
                    "{name}: {} rows read of {}; first difference at {first:?}: {:?} vs {:?}",
                    got.len(),
                    truth.len(),
                    first.map(|f| &got[f]),
                    first.map(|f| &truth[f])
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {checked} statements read wrong:\n{}", wrong.len(), wrong.join("\n"));
}
