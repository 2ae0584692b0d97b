//! Passbook's own statement PDF reads back row for row, over many pages.
use passbook_domain::Timestamp;
use passbook_domain::model::{Transaction, TxKind};
use passbook_domain::statement_file::{ReconciliationStatus, StatementReader};
use passbook_domain::statement_pdf::{StatementDoc, render};
use passbook_statements::FileReader;

#[test]
fn a_long_passbook_statement_reads_back_row_for_row() {
    let mut balance = 1_000_000;
    let opening = balance;
    let transactions: Vec<Transaction> = (0..2_000)
        .map(|i| {
            let amount = 1_000 + i as i64;
            let kind = if i % 3 == 0 { TxKind::Credit } else { TxKind::Debit };
            balance += if kind == TxKind::Credit { amount } else { -amount };
            Transaction {
                id: i.to_string(),
                account_id: "a".into(),
                date: Timestamp(1_700_000_000_000 + (i as i64 / 10) * 86_400_000),
                narration: format!("TRANSFER {i} (OPAY) & CO"),
                amount,
                kind,
                balance: Some(balance),
                category: String::new(),
                currency: "NGN".into(),
                fingerprint: i.to_string(),
            }
        })
        .collect();
    let pdf = render(&StatementDoc {
        institution: "Kuda Bank",
        holder: "ADA OBI",
        account_number: "0123456789",
        currency: "NGN",
        from: transactions[0].date,
        to: transactions.last().unwrap().date,
        opening_balance: opening,
        closing_balance: balance,
        transactions: &transactions,
    });
    let read = FileReader::default().read(&pdf, Some("statement.pdf"), None).unwrap();
    let account = &read.accounts[0];
    assert_eq!(account.account_number.as_deref(), Some("0123456789"));
    assert_eq!(account.currency.as_deref(), Some("NGN"));
    assert_eq!(account.rows.len(), transactions.len());
    for (row, t) in account.rows.iter().zip(&transactions) {
        let signed = if t.kind == TxKind::Credit { t.amount } else { -t.amount };
        assert_eq!((row.amount, row.balance), (signed, t.balance), "{}", t.narration);
        assert_eq!(row.narration, t.narration);
    }
    assert_eq!(account.reconcile().status, ReconciliationStatus::Balanced);
}
