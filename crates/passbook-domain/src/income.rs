//! Income analysis over an account's credits, and the affordability of a loan: the arithmetic
//! behind `mono.events.account_income` and `mono.events.account_credit_worthiness`.
use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Transaction, TxKind};
use crate::numbers;

pub use passbook_types::webhooks::IncomeStream;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IncomeReport {
    pub total_income: i64,
    pub employer: String,
    pub streams: Vec<IncomeStream>,
    pub monthly_income: i64,
    pub annual_income: i64,
    pub months_assessed: usize,
}

/// The source of a credit: the employer of a salary, the sender of a transfer.
fn source(narration: &str) -> (String, &'static str) {
    let upper = narration.to_uppercase();
    if let Some(rest) = upper.strip_prefix("SALARY FOR ") {
        // "SALARY FOR MARCH ACME NIGERIA LTD" → the employer after the month.
        let employer = rest.split_once(' ').map_or(rest, |(_, e)| e).trim().to_string();
        return (employer, "SALARY");
    }
    if upper.contains("SALARY") || upper.contains("PAYROLL") {
        return (upper, "SALARY");
    }
    let sender = upper.strip_prefix("NIP/TRF FRM ").map(|r| r.split('/').next().unwrap_or(r).trim().to_string());
    (sender.unwrap_or(upper), "WAGES")
}

fn month_of(t: &Transaction) -> String {
    t.date.to_iso()[..7].to_string()
}

/// Streams are sources that paid in at least two different months.
pub fn analyse(transactions: &[Transaction]) -> IncomeReport {
    let months: std::collections::BTreeSet<String> = transactions.iter().map(month_of).collect();
    let months_assessed = months.len().max(1);
    let mut by_source: BTreeMap<(String, &'static str), Vec<&Transaction>> = BTreeMap::new();
    for t in transactions.iter().filter(|t| t.kind == TxKind::Credit) {
        by_source.entry(source(&t.narration)).or_default().push(t);
    }
    let mut streams: Vec<(String, IncomeStream)> = by_source
        .into_iter()
        .filter_map(|((name, kind), mut credits)| {
            credits.sort_by_key(|t| t.date);
            let periods: std::collections::BTreeSet<String> = credits.iter().map(|t| month_of(t)).collect();
            if periods.len() < 2 {
                return None;
            }
            let total: i64 = credits.iter().map(|t| t.amount).sum();
            let mean = total as f64 / credits.len() as f64;
            let variance = credits.iter().map(|t| (t.amount as f64 - mean).powi(2)).sum::<f64>() / credits.len() as f64;
            let stability = (1.0 - variance.sqrt() / mean).clamp(0.0, 1.0);
            let (first, last) = (credits[0], credits[credits.len() - 1]);
            let monthly = periods.len() * 10 >= months_assessed * 8 && credits.len() <= periods.len() + 1;
            Some((
                name,
                IncomeStream {
                    income_type: kind.to_string(),
                    frequency: if monthly { "MONTHLY" } else { "VARIABLE" }.into(),
                    aggregated_monthly_average: total / numbers::signed(months_assessed),
                    average_income_amount: numbers::round(mean),
                    stability: (stability * 100.0).round() / 100.0,
                    first_income_date: first.date.to_iso()[..10].to_string(),
                    last_income_date: last.date.to_iso()[..10].to_string(),
                    last_income_amount: last.amount,
                    last_income_description: last.narration.to_lowercase(),
                    periods_with_income: periods.len(),
                    number_of_incomes: credits.len(),
                    number_of_months: months_assessed,
                    currency: last.currency.clone(),
                },
            ))
        })
        .collect();
    streams.sort_by_key(|(_, s)| std::cmp::Reverse(s.aggregated_monthly_average));
    let total_income: i64 =
        streams.iter().map(|(_, s)| s.average_income_amount * numbers::signed(s.number_of_incomes)).sum();
    let monthly_income = streams.iter().map(|(_, s)| s.aggregated_monthly_average).sum();
    let employer = streams.iter().find(|(_, s)| s.income_type == "SALARY").map(|(n, _)| n.clone()).unwrap_or_default();
    IncomeReport {
        total_income,
        employer,
        monthly_income,
        annual_income: monthly_income * 12,
        months_assessed,
        streams: streams.into_iter().map(|(_, s)| s).collect(),
    }
}

/// The monthly repayment of `principal` (minor units) at `annual_rate` percent over `months`.
/// Rates so small that the annuity formula divides by (nearly) zero are no interest at all.
pub fn monthly_payment(principal: i64, annual_rate: f64, months: u32) -> i64 {
    let r = annual_rate / 100.0 / 12.0;
    let n = months.max(1) as f64;
    let discount = 1.0 - (1.0 + r).powf(-n);
    let payment =
        if r.abs() < 1e-9 || discount <= f64::EPSILON { principal as f64 / n } else { principal as f64 * r / discount };
    numbers::round(payment).max(0)
}

/// A loan is affordable when its repayment, with existing repayments, stays within a third of
/// monthly income (in 128 bits: no sum of 64-bit amounts overflows).
pub fn can_afford(monthly_income: i64, payment: i64, existing_repayments: i64) -> bool {
    (payment as i128 + existing_repayments as i128) * 3 <= monthly_income as i128
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn credit(day: i64, narration: &str, amount: i64) -> Transaction {
        Transaction {
            id: day.to_string(),
            account_id: "a".into(),
            date: Timestamp(1_704_067_200_000 + day * 86_400_000),
            narration: narration.into(),
            amount,
            kind: TxKind::Credit,
            balance: None,
            category: "income".into(),
            currency: "NGN".into(),
            fingerprint: day.to_string(),
        }
    }

    #[test]
    fn a_monthly_salary_is_a_stable_monthly_stream() {
        let txs: Vec<_> =
            (0..6).map(|m| credit(24 + m * 31, &format!("SALARY FOR M{m} ACME LTD"), 50_000_000)).collect();
        let report = analyse(&txs);
        assert_eq!(report.streams.len(), 1);
        let s = &report.streams[0];
        assert_eq!((s.income_type.as_str(), s.frequency.as_str()), ("SALARY", "MONTHLY"));
        assert_eq!(s.stability, 1.0);
        assert_eq!(report.employer, "ACME LTD");
        assert_eq!(report.monthly_income, 50_000_000);
        assert_eq!(report.annual_income, 600_000_000);
    }

    #[test]
    fn one_off_credits_are_not_income() {
        assert!(analyse(&[credit(1, "NIP/TRF FRM ADA OBI/GTB", 10_000)]).streams.is_empty());
    }

    #[test]
    fn amortised_payment() {
        assert_eq!(monthly_payment(1_200_000, 0.0, 12), 100_000);
        assert_eq!(monthly_payment(30_000_000, 5.0, 12), 2_568_224);
        assert!(can_afford(9_000_000, 2_000_000, 1_000_000));
        assert!(!can_afford(9_000_000, 2_000_000, 1_000_001));
    }

    #[test]
    fn tiny_rates_and_huge_amounts_stay_finite() {
        assert_eq!(monthly_payment(100, 1e-300, 12), 8);
        assert_eq!(monthly_payment(1_200, 1e-10, 12), 100);
        assert!(!can_afford(i64::MAX, i64::MAX, i64::MAX));
        assert!(monthly_payment(1_000_000_000_000_000, 100.0, 1) > 1_000_000_000_000_000);
    }
}
