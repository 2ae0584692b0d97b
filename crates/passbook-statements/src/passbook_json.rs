//! Passbook's own JSON statement (`GET /passbook/v1/accounts/{id}/statement`): one account, its
//! period, balances and rows as Passbook issued them. Its signature is checked apart, by the
//! domain's `statement_signature`; read here is what it states.
use passbook_domain::Timestamp;
use passbook_domain::statement_file::{FileAccount, FileFormat, FileRow, ReadError, StatedBalance, StatementFile};
use serde::Deserialize;

#[derive(Deserialize)]
struct Document {
    passbook_statement: Statement,
}

#[derive(Deserialize)]
struct Statement {
    account_number: Option<String>,
    holder: Option<String>,
    currency: Option<String>,
    period: Option<Period>,
    opening_balance: Option<i64>,
    closing_balance: Option<i64>,
    transactions: Vec<Row>,
}

#[derive(Deserialize)]
struct Period {
    start: String,
    end: String,
}

#[derive(Deserialize)]
struct Row {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    amount: i64,
    balance: Option<i64>,
    date: String,
    narration: String,
}

/// Whether the text opens a Passbook JSON statement.
pub fn sniff(head: &str) -> bool {
    head.trim_start().starts_with('{') && head.contains("\"passbook_statement\"")
}

pub fn read(file: &[u8]) -> Result<StatementFile, ReadError> {
    let document: Document = serde_json::from_slice(file)
        .map_err(|e| ReadError::Malformed(format!("the Passbook JSON statement could not be read: {e}")))?;
    let statement = document.passbook_statement;
    let date = |text: &str, what: &str| {
        Timestamp::parse_iso(text)
            .or_else(|| Timestamp::parse_iso(&format!("{text}T00:00:00.000Z")))
            .ok_or_else(|| ReadError::Malformed(format!("{what} '{text}' is not a date")))
    };
    let rows = statement
        .transactions
        .iter()
        .enumerate()
        .map(|(i, row)| {
            if row.amount < 0 {
                // The type gives the direction; a negative amount contradicts it, so which way the
                // money went is unknown.
                return Err(ReadError::Malformed(format!(
                    "row {}: amount {} is negative, but amounts are positive and the type gives the direction",
                    i + 1,
                    row.amount
                )));
            }
            let amount = match row.kind.as_str() {
                "credit" => row.amount,
                "debit" => -row.amount,
                other => {
                    return Err(ReadError::Malformed(format!(
                        "row {}: type '{other}' is neither credit nor debit",
                        i + 1
                    )));
                }
            };
            Ok(FileRow {
                date: date(&row.date, &format!("row {}'s date", i + 1))?,
                amount,
                narration: row.narration.clone(),
                reference: row.id.clone(),
                balance: row.balance,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let period = match &statement.period {
        Some(p) => Some((date(&p.start, "the period's start")?, date(&p.end, "the period's end")?)),
        None => None,
    };
    let stated = |amount: Option<i64>, at: Option<Timestamp>| amount.map(|amount| StatedBalance { amount, date: at });
    let account = FileAccount {
        account_number: statement.account_number.filter(|n| !n.is_empty()),
        holder: statement.holder,
        currency: statement.currency,
        opening: stated(statement.opening_balance, period.map(|p| p.0)),
        closing: stated(statement.closing_balance, period.map(|p| p.1)),
        period,
        rows,
        ..Default::default()
    };
    Ok(StatementFile::new(FileFormat::Json, vec![account]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use passbook_domain::statement_file::ReconciliationStatus;

    fn document(kind: &str) -> String {
        format!(
            r#"{{"passbook_statement": {{"account_number": "0123456789", "holder": "ADA OBI", "currency": "NGN",
              "period": {{"start": "2026-01-01", "end": "2026-01-31"}}, "opening_balance": 1000, "closing_balance": 600,
              "transactions": [{{"id": "t1", "type": "{kind}", "amount": 400, "balance": 600,
                                 "date": "2026-01-05T10:30:00.000Z", "narration": "POS", "currency": "NGN"}}]}},
             "signature": {{}}}}"#
        )
    }

    #[test]
    fn reads_what_the_statement_states_and_refuses_a_row_it_cannot_sign() {
        let read = read(document("debit").as_bytes()).unwrap();
        let account = &read.accounts[0];
        assert_eq!((account.account_number.as_deref(), account.currency.as_deref()), (Some("0123456789"), Some("NGN")));
        let row = &account.rows[0];
        assert_eq!((row.amount, row.balance, row.reference.as_deref()), (-400, Some(600), Some("t1")));
        assert_eq!(row.date, Timestamp::parse_iso("2026-01-05T10:30:00.000Z").unwrap(), "the exact time kept");
        assert_eq!(account.reconcile().status, ReconciliationStatus::Balanced);
        let refused = super::read(document("transfer").as_bytes()).unwrap_err();
        assert!(refused.to_string().contains("row 1: type 'transfer'"), "{refused}");
        assert!(sniff(&document("debit")) && !sniff("{\"rows\": []}"));
        let negative = document("credit").replace("\"amount\": 400", "\"amount\": -400");
        let refused = super::read(negative.as_bytes()).unwrap_err();
        assert!(refused.to_string().contains("row 1: amount -400 is negative"), "{refused}");
    }
}
