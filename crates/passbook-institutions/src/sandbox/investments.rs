//! Holdings and earnings of a sandbox investment account, generated from the account id.
use passbook_domain::Timestamp;
use passbook_domain::connector::{Asset, Earning, Investments};
use passbook_domain::numbers;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::seed;

const HOLDINGS: &[(&str, &str, Option<&str>, i64)] = &[
    ("Apple Inc.", "Stocks", Some("AAPL"), 23_000),
    ("Tesla, Inc.", "Stocks", Some("TSLA"), 25_000),
    ("Amazon.com, Inc.", "Stocks", Some("AMZN"), 18_500),
    ("Microsoft Corporation", "Stocks", Some("MSFT"), 42_000),
    ("US Real Estate Plan", "Real Estate", None, 0),
    ("Fixed Income Dollar Plan", "Fixed Income", None, 0),
];

const DAY_MS: i64 = 86_400_000;

pub fn generate(account_id: &str, linked_at: Timestamp) -> Investments {
    let mut rng = ChaCha8Rng::seed_from_u64(seed(&["investments", account_id]));
    let count = rng.random_range(2..=5);
    let mut assets = Vec::new();
    let mut earnings = Vec::new();
    for (i, (name, kind, symbol, price)) in
        HOLDINGS.iter().enumerate().filter(|(i, _)| (*i + account_id.len()) % 6 < count)
    {
        let cost = rng.random_range(50_000..2_000_000); // US cents
        let growth = rng.random_range(-0.15..0.45);
        let value = numbers::round(cost as f64 * (1.0 + growth));
        let quantity = (*price > 0).then(|| (value as f64 / *price as f64 * 1000.0).round() / 1000.0);
        assets.push(Asset {
            name: name.to_string(),
            kind: kind.to_string(),
            symbol: symbol.map(str::to_string),
            cost,
            value,
            quantity,
            price: (*price > 0).then_some(*price),
        });
        for month in 1..=rng.random_range(2..=6) {
            let amount = numbers::round(cost as f64 * rng.random_range(0.002..0.01));
            earnings.push(Earning {
                id: format!("{account_id}-e{i}-{month}"),
                amount,
                narration: format!("{} payout from {name}", if *kind == "Stocks" { "Dividend" } else { "Interest" }),
                date: Timestamp(linked_at.0 - month as i64 * 30 * DAY_MS),
                asset_name: name.to_string(),
                symbol: symbol.map(str::to_string),
            });
        }
    }
    earnings.sort_by_key(|e| std::cmp::Reverse(e.date));
    Investments { currency: "USD".into(), cash_balance: rng.random_range(0..50_000), assets, earnings }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdings_are_stable_per_account() {
        let a = generate("6553f10000000000000000aa", Timestamp(1_735_689_600_000));
        let b = generate("6553f10000000000000000aa", Timestamp(1_735_689_600_000));
        assert_eq!(serde_json_like(&a), serde_json_like(&b));
        assert!(!a.assets.is_empty() && !a.earnings.is_empty());
    }

    fn serde_json_like(i: &Investments) -> String {
        format!("{:?}", (i.cash_balance, i.assets.len(), i.earnings.iter().map(|e| e.amount).collect::<Vec<_>>()))
    }
}
