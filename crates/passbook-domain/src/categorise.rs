//! A narration-based categoriser for Nigerian bank narrations.
use crate::model::TxKind;

/// Ordered rules: the first whose keyword appears in the upper-cased narration wins.
const RULES: &[(&[&str], &str)] = &[
    (
        &[
            "STAMP DUTY",
            "SMS ALERT",
            "SMS CHARGE",
            "MAINTENANCE FEE",
            "COMMISSION",
            "VAT ON",
            "NIP CHARGE",
            "TRANSFER FEE",
            "CARD ISSUANCE",
        ],
        "bank_charges",
    ),
    (&["SALARY", "PAYROLL", "SAL/"], "income"),
    (&["AIRTIME", "DATA BUNDLE", "/DATA/", "RECHARGE"], "airtime_and_data"),
    (
        &["DSTV", "GOTV", "IKEDC", "EKEDC", "AEDC", "PHCN", "ELECTRICITY", "LAWMA", "STARTIMES", "BILL PAYMENT"],
        "bills_and_utilities",
    ),
    (&["ATM WDL", "ATM WITHDRAWAL", "CASH WITHDRAWAL"], "atm_withdrawal"),
    (
        &["POS", "WEB PURCHASE", "PAYSTACK", "FLUTTERWAVE", "JUMIA", "BOLT", "UBER", "NETFLIX", "SPOTIFY"],
        "online_transactions",
    ),
    (&["LOAN", "REPAYMENT"], "loan"),
    (&["NIP", "TRF", "TRANSFER", "USSD", "FT/", "MOBILE TRF"], "transfer"),
];

pub fn categorise(narration: &str, _kind: TxKind) -> &'static str {
    let upper = narration.to_uppercase();
    RULES
        .iter()
        .find(|(keywords, _)| keywords.iter().any(|k| upper.contains(k)))
        .map_or("unknown", |(_, category)| category)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_narrations() {
        let cases = [
            ("NIP/TRF FRM ADEBAYO OKAFOR/GTB", "transfer"),
            ("STAMP DUTY CHARGE", "bank_charges"),
            ("POS PURCHASE @ SHOPRITE LEKKI", "online_transactions"),
            ("AIRTIME/MTN/08031234567", "airtime_and_data"),
            ("SALARY FOR MARCH ACME NIG LTD", "income"),
            ("ATM WDL @ ZENITH ALLEN AVE", "atm_withdrawal"),
            ("DSTV SUBSCRIPTION 1023456", "bills_and_utilities"),
            ("PG00001", "unknown"),
        ];
        for (narration, expected) in cases {
            assert_eq!(categorise(narration, TxKind::Debit), expected, "{narration}");
        }
    }
}
