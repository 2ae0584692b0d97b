//! A statement account as its connector serves it: the handle that names the import and the
//! account's place in the file, and the file's account as fetched data.
use sha2::{Digest, Sha256};

use crate::connector::{FetchedData, FetchedTransaction};
use crate::model::{DataStatus, Identity, ImportId, TxKind};
use crate::statement_file::{FileAccount, ReconciliationStatus};

const PREFIX: &str = "statement:";

/// The handle of the `index`th account of import `import_id`: `statement:{import}:{index}`.
pub fn handle(import_id: &str, index: usize) -> String {
    format!("{PREFIX}{import_id}:{index}")
}

/// The import and account index a handle names; `None` for any other handle.
pub fn parse_handle(connector_ref: &str) -> Option<(ImportId, usize)> {
    let rest = connector_ref.strip_prefix(PREFIX)?;
    let (import, index) = rest.rsplit_once(':')?;
    Some((import.into(), index.parse().ok()?))
}

/// What a fetch of the account brings: its closing balance, its holder, its rows, and its data
/// status: AVAILABLE when the statement states its balance and its numbers reconcile, else
/// PARTIAL. `currency` for a file that states none.
pub fn fetched(file: &FileAccount, currency: &str) -> FetchedData {
    let currency = file.currency.as_deref().unwrap_or(currency);
    let balance = file.closing_balance();
    let reconciled = file.reconcile().status == ReconciliationStatus::Balanced;
    FetchedData {
        balance,
        identity: file.holder.as_ref().map(|name| Identity { full_name: name.clone(), ..Identity::default() }),
        transactions: Some(transactions(file, currency)),
        account_type: file.kind.clone(),
        status: Some(if balance.is_some() && reconciled { DataStatus::Available } else { DataStatus::Partial }),
        ..FetchedData::default()
    }
}

/// The rows as transactions. A row is known by everything the bank states of it (date,
/// amount, narration, reference, running balance) and, among rows that state exactly the same,
/// by how many came before it: two different rows never share an identity (a reference is not
/// unique in every format: MT940 files repeat `NONREF` and batch references), and a newer
/// statement that overlaps an older one adds only the rows that are new.
fn transactions(file: &FileAccount, currency: &str) -> Vec<FetchedTransaction> {
    let mut seen: std::collections::HashMap<[u8; 32], u32> = std::collections::HashMap::new();
    file.rows
        .iter()
        .map(|row| {
            let stated = serde_json::to_vec(&(row.date.0, row.amount, &row.narration, &row.reference, row.balance))
                .expect("a row serialises");
            let digest: [u8; 32] = Sha256::digest(&stated).into();
            let n = seen.entry(digest).or_default();
            let fingerprint = format!("row:{}:{n}", hex::encode(&digest[..16]));
            *n += 1;
            FetchedTransaction {
                fingerprint,
                date: row.date,
                narration: row.narration.clone(),
                amount: row.amount.abs(),
                kind: if row.amount < 0 { TxKind::Debit } else { TxKind::Credit },
                balance: row.balance,
                currency: currency.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap, reason = "generated test rows")]
mod tests {
    use super::*;
    use crate::Timestamp;
    use crate::statement_file::FileRow;

    fn row(day: i64, amount: i64, narration: &str, reference: Option<&str>) -> FileRow {
        FileRow {
            date: Timestamp(day * 86_400_000),
            amount,
            narration: narration.into(),
            reference: reference.map(str::to_string),
            balance: None,
        }
    }

    /// Rows from a small alphabet of dates, amounts, narrations and references, so that many
    /// share a reference and a date, and some are identical.
    fn generated(seed: u64, n: usize) -> Vec<FileRow> {
        let mut x = seed;
        let mut next = move |m: u64| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        (0..n)
            .map(|_| {
                let reference = ["NONREF", "BATCH1", ""][next(3) as usize];
                row(next(3) as i64, next(4) as i64 * 100 - 150, ["fee", "transfer"][next(2) as usize], {
                    (!reference.is_empty()).then_some(reference)
                })
            })
            .collect()
    }

    #[test]
    fn no_two_rows_share_an_identity_and_a_reimport_matches_every_row() {
        for seed in 0..200 {
            let account = FileAccount { rows: generated(seed, 1 + seed as usize % 60), ..FileAccount::default() };
            let first = transactions(&account, "NGN");
            let ids: std::collections::HashSet<&str> = first.iter().map(|t| t.fingerprint.as_str()).collect();
            assert_eq!(ids.len(), account.rows.len(), "seed {seed}: every row read is kept");
            let again = transactions(&account, "NGN");
            assert!(again.iter().all(|t| ids.contains(t.fingerprint.as_str())), "seed {seed}: re-import adds none");
            // A later statement that repeats the days from the second on adds nothing.
            let later: Vec<FileRow> = account.rows.iter().filter(|r| r.date.0 >= 86_400_000).cloned().collect();
            let overlap = transactions(&FileAccount { rows: later, ..FileAccount::default() }, "NGN");
            assert!(overlap.iter().all(|t| ids.contains(t.fingerprint.as_str())), "seed {seed}: overlap adds none");
        }
    }

    #[test]
    fn rows_sharing_a_reference_and_a_date_stay_apart() {
        let account = FileAccount {
            rows: vec![row(1, -500, "a", Some("NONREF")), row(1, -700, "b", Some("NONREF"))],
            ..FileAccount::default()
        };
        let t = transactions(&account, "DKK");
        assert_ne!(t[0].fingerprint, t[1].fingerprint);
    }
}
