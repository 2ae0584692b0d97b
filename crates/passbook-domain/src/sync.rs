//! The transaction change feed: what a fetch changed (records added, pending records that posted
//! or changed, holds reversed), as an ordered log per account that a client reads with a cursor.
//!
//! Every change gets the next number of its account's sequence, in the transaction that makes
//! it; the cursor is the last number a client has applied. So a client that stores the cursor
//! after applying a page sees each change exactly once, whatever refreshes or restarts happen
//! in between, and a client that lost its cursor starts again from nothing and ends in the same
//! state. The log is never compacted: reading it from the start gives every record the account
//! has.
use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::categorise::categorise;
use crate::connector::FetchedTransaction;
use crate::model::Transaction;
use crate::{Error, Result, Timestamp, ids};

/// Changes per sync page unless the client asks: Plaid's default.
pub const DEFAULT_SYNC_COUNT: u32 = 100;
pub const MAX_SYNC_COUNT: u32 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
}

impl ChangeKind {
    pub fn code(self) -> i64 {
        match self {
            Self::Added => 0,
            Self::Modified => 1,
            Self::Removed => 2,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        [Self::Added, Self::Modified, Self::Removed].into_iter().find(|k| k.code() == code)
    }
}

/// Where an account's feed stands before a fetch is applied.
#[derive(Debug, Clone, Default)]
pub struct SyncState {
    /// The number of the account's last change.
    pub change_seq: u64,
    /// Its pending records.
    pub pending: Vec<Transaction>,
    /// The moment of the newest bank data applied to it.
    pub data_as_of: Timestamp,
}

/// One change as it is logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    pub kind: ChangeKind,
    pub transaction_id: String,
    /// The record's date (its posting date once posted), with the id its key among posted records.
    pub date: Timestamp,
    /// The pending record as the change left it; `None` when the change is a posted record (read
    /// from the posted records, which never change) or a removal.
    pub pending: Option<Transaction>,
}

/// What one fetch changes, to be written with the fetch, provided the feed is still at
/// `after_seq` (else another fetch got there first and this one is worked out again).
#[derive(Debug, Clone, Default)]
pub struct TransactionChanges {
    pub after_seq: u64,
    /// The moment the bank's lists are of, which becomes the account's `data_as_of` (the save
    /// is `Raced` if a newer one was applied meanwhile); `None` for a fetch without records.
    pub as_of: Option<Timestamp>,
    /// Records that posted: new ones, and pending ones that keep their id.
    pub posted: Vec<Transaction>,
    /// Pending records new or changed.
    pub pending_saved: Vec<Transaction>,
    /// Ids of pending records that posted or were reversed.
    pub pending_removed: Vec<String>,
    pub log: Vec<ChangeRecord>,
}

impl TransactionChanges {
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    /// Posted records that are new to the account (not pending ones that posted).
    pub fn added_posted(&self) -> usize {
        self.log.iter().filter(|c| c.kind == ChangeKind::Added && c.pending.is_none()).count()
    }
}

/// Works out what a fetch changes. `posted` and `pending` are what the bank lists now, with the
/// posted records the account already had left out (`known`: the fingerprints among both lists
/// that are already posted). `listed_at` is when the bank's lists are of, when it listed
/// transactions at all: only then does a pending record it no longer lists count as reversed, and
/// only one dated before then (a fetch saved late, after a newer one, reverses nothing it could
/// not have seen).
pub fn plan(
    account_id: &str,
    posted: &[FetchedTransaction],
    pending: &[FetchedTransaction],
    known: &HashSet<String>,
    state: SyncState,
    listed_at: Option<Timestamp>,
) -> TransactionChanges {
    if listed_at.is_some_and(|at| at < state.data_as_of) {
        // Newer lists were applied while this fetch ran: it has nothing to add.
        return TransactionChanges { after_seq: state.change_seq, ..Default::default() };
    }
    let mut changes = TransactionChanges { after_seq: state.change_seq, as_of: listed_at, ..Default::default() };
    let mut was_pending: HashMap<String, Transaction> =
        state.pending.into_iter().map(|t| (t.fingerprint.clone(), t)).collect();
    changes.add_posted(account_id, posted, known, &mut was_pending);
    let still_pending = changes.add_pending(account_id, pending, known, &was_pending);
    if let Some(listed_at) = listed_at {
        changes.remove_reversed(was_pending, &still_pending, listed_at);
    }
    changes
}

impl TransactionChanges {
    /// Posted records not stored yet: new, or a pending record that posted (it keeps its id).
    fn add_posted(
        &mut self,
        account_id: &str,
        posted: &[FetchedTransaction],
        known: &HashSet<String>,
        was_pending: &mut HashMap<String, Transaction>,
    ) {
        for fetched in posted.iter().filter(|t| !known.contains(&t.fingerprint)) {
            let (kind, id) = match was_pending.remove(&fetched.fingerprint) {
                Some(hold) => {
                    self.pending_removed.push(hold.id.clone());
                    (ChangeKind::Modified, hold.id)
                }
                None => (ChangeKind::Added, ids::object_id(fetched.date)),
            };
            let record = record(account_id, id, fetched);
            self.log.push(ChangeRecord { kind, transaction_id: record.id.clone(), date: record.date, pending: None });
            self.posted.push(record);
        }
    }

    /// Pending records new or changed since the last fetch (after the posted ones in the log);
    /// returns the fingerprints still pending.
    fn add_pending(
        &mut self,
        account_id: &str,
        pending: &[FetchedTransaction],
        known: &HashSet<String>,
        was_pending: &HashMap<String, Transaction>,
    ) -> HashSet<String> {
        let posted_now: HashSet<&str> = self.posted.iter().map(|t| t.fingerprint.as_str()).collect();
        let mut still_pending = HashSet::new();
        let mut pending_changes = Vec::new();
        for fetched in pending {
            if known.contains(&fetched.fingerprint) || posted_now.contains(fetched.fingerprint.as_str()) {
                continue;
            }
            still_pending.insert(fetched.fingerprint.clone());
            let (kind, id) = match was_pending.get(&fetched.fingerprint) {
                Some(hold) if same_record(hold, fetched) => continue,
                Some(hold) => (ChangeKind::Modified, hold.id.clone()),
                None => (ChangeKind::Added, ids::object_id(fetched.date)),
            };
            let record = record(account_id, id, fetched);
            pending_changes.push(ChangeRecord {
                kind,
                transaction_id: record.id.clone(),
                date: record.date,
                pending: Some(record.clone()),
            });
            self.pending_saved.push(record);
        }
        self.log.extend(pending_changes);
        still_pending
    }

    /// Pending records the bank no longer lists (and that were not posted): reversed, in date
    /// order. Only those dated up to the moment of the lists, which cannot speak of later ones.
    fn remove_reversed(
        &mut self,
        was_pending: HashMap<String, Transaction>,
        still_pending: &HashSet<String>,
        listed_at: Timestamp,
    ) {
        let mut reversed: Vec<Transaction> = was_pending
            .into_values()
            .filter(|t| !still_pending.contains(&t.fingerprint) && t.date <= listed_at)
            .collect();
        reversed.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
        for hold in reversed {
            self.log.push(ChangeRecord {
                kind: ChangeKind::Removed,
                transaction_id: hold.id.clone(),
                date: hold.date,
                pending: None,
            });
            self.pending_removed.push(hold.id);
        }
    }
}

/// A bank record as Passbook keeps it.
pub fn record(account_id: &str, id: String, t: &FetchedTransaction) -> Transaction {
    Transaction {
        id,
        account_id: account_id.to_string(),
        category: categorise(&t.narration, t.kind).to_string(),
        date: t.date,
        narration: t.narration.clone(),
        amount: t.amount,
        kind: t.kind,
        balance: t.balance,
        currency: t.currency.clone(),
        fingerprint: t.fingerprint.clone(),
    }
}

fn same_record(stored: &Transaction, fetched: &FetchedTransaction) -> bool {
    stored.date == fetched.date
        && stored.narration == fetched.narration
        && stored.amount == fetched.amount
        && stored.kind == fetched.kind
        && stored.currency == fetched.currency
}

/// A change as the feed gives it back.
#[derive(Debug, Clone)]
pub struct LoggedChange {
    pub seq: u64,
    pub kind: ChangeKind,
    pub transaction_id: String,
    /// The record as the change left it (none for a removal).
    pub transaction: Option<SyncedTransaction>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedTransaction {
    pub transaction: Transaction,
    pub pending: bool,
}

/// One page of the feed.
#[derive(Debug, Clone, Default)]
pub struct SyncPage {
    pub added: Vec<SyncedTransaction>,
    pub modified: Vec<SyncedTransaction>,
    pub removed: Vec<String>,
    pub next_cursor: String,
    pub has_more: bool,
}

impl SyncPage {
    /// Sorts the changes of a page; `has_more` when the store found one past the page.
    pub fn of(account_id: &str, after: u64, mut changes: Vec<LoggedChange>, count: usize) -> Self {
        let has_more = changes.len() > count;
        changes.truncate(count);
        let last = changes.last().map_or(after, |c| c.seq);
        let mut page = Self {
            next_cursor: Cursor { account_id: account_id.into(), seq: last }.encode(),
            has_more,
            ..Self::default()
        };
        for change in changes {
            match (change.kind, change.transaction) {
                (ChangeKind::Added, Some(t)) => page.added.push(t),
                (ChangeKind::Modified, Some(t)) => page.modified.push(t),
                (ChangeKind::Removed, _) => page.removed.push(change.transaction_id),
                (_, None) => {
                    tracing::error!(account = account_id, seq = change.seq, "a logged change names no record");
                }
            }
        }
        page
    }
}

/// Where a client stands in an account's feed. Opaque to clients: URL-safe base64 of the
/// account and the last change applied, checked against the account it is used with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub account_id: String,
    pub seq: u64,
}

const CURSOR_PREFIX: &str = "pbsync1";

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}:{}:{}", self.account_id, self.seq))
    }

    /// The cursor a client sent for `account_id`; no cursor (or an empty one) starts at the
    /// beginning. Refuses a cursor of another account, or from past the account's last change.
    pub fn parse(text: Option<&str>, account_id: &str, last_seq: u64) -> Result<u64> {
        let Some(text) = text.filter(|t| !t.is_empty()) else { return Ok(0) };
        let refuse = |why: &str| {
            Error::invalid(
                "cursor",
                format!(
                    "{why}; send the next_cursor of an earlier answer, or no cursor to start again from the beginning"
                ),
            )
        };
        let decoded = URL_SAFE_NO_PAD.decode(text).ok().and_then(|b| String::from_utf8(b).ok());
        let mut parts = decoded.as_deref().unwrap_or_default().split(':');
        let (Some(CURSOR_PREFIX), Some(account), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(refuse("cursor is not a cursor this feed gave"));
        };
        let seq: u64 = seq.parse().map_err(|_| refuse("cursor is not a cursor this feed gave"))?;
        if account != account_id {
            return Err(refuse("cursor belongs to another account's feed"));
        }
        if seq > last_seq {
            return Err(refuse("cursor is ahead of this account's feed (was the database restored from a backup?)"));
        }
        Ok(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TxKind;

    fn fetched(fingerprint: &str, date: i64, amount: i64, narration: &str, balance: Option<i64>) -> FetchedTransaction {
        FetchedTransaction {
            fingerprint: fingerprint.into(),
            date: Timestamp(date),
            narration: narration.into(),
            amount,
            kind: TxKind::Debit,
            balance,
            currency: "NGN".into(),
        }
    }

    const ACCOUNT: &str = "6553f10000000000000000aa";

    #[test]
    fn a_hold_is_added_then_modified_as_it_posts_with_its_id_kept() {
        let first = plan(
            ACCOUNT,
            &[],
            &[fetched("h", 10, 500, "POS AUTH @ X", None)],
            &HashSet::new(),
            SyncState::default(),
            Some(Timestamp(100)),
        );
        assert_eq!(first.log.len(), 1);
        assert_eq!(first.log[0].kind, ChangeKind::Added);
        let hold = first.pending_saved[0].clone();
        let state = SyncState { change_seq: 1, pending: vec![hold.clone()], ..Default::default() };
        let posted = plan(
            ACCOUNT,
            &[fetched("h", 20, 510, "POS PURCHASE @ X", Some(90))],
            &[],
            &HashSet::new(),
            state,
            Some(Timestamp(100)),
        );
        assert_eq!(posted.after_seq, 1);
        assert_eq!(posted.log.len(), 1, "{:?}", posted.log);
        assert_eq!((posted.log[0].kind, &posted.log[0].transaction_id), (ChangeKind::Modified, &hold.id));
        assert_eq!(posted.posted[0].id, hold.id);
        assert_eq!(posted.pending_removed, vec![hold.id]);
    }

    #[test]
    fn a_hold_that_changes_is_modified_and_one_no_longer_listed_is_removed() {
        let a = record(ACCOUNT, "a".repeat(24), &fetched("a", 10, 500, "POS AUTH @ A", None));
        let b = record(ACCOUNT, "b".repeat(24), &fetched("b", 11, 700, "POS AUTH @ B", None));
        let state = SyncState { change_seq: 7, pending: vec![a.clone(), b.clone()], ..Default::default() };
        let listed = vec![fetched("a", 10, 550, "POS AUTH @ A", None)];
        let changes = plan(ACCOUNT, &[], &listed, &HashSet::new(), state.clone(), Some(Timestamp(100)));
        let kinds: Vec<_> = changes.log.iter().map(|c| (c.kind, c.transaction_id.clone())).collect();
        assert_eq!(kinds, vec![(ChangeKind::Modified, a.id.clone()), (ChangeKind::Removed, b.id.clone())]);
        assert_eq!(changes.log[0].pending.as_ref().map(|t| t.amount), Some(550));
        // A fetch that listed no transactions at all reverses nothing.
        let partial = plan(ACCOUNT, &[], &[], &HashSet::new(), state.clone(), None);
        assert!(partial.is_empty());
        // Nor does a fetch of a moment before the hold was made.
        let late = plan(ACCOUNT, &[], &[], &HashSet::new(), state, Some(Timestamp(10)));
        assert_eq!(late.log.iter().map(|c| c.kind).collect::<Vec<_>>(), vec![ChangeKind::Removed]);
    }

    #[test]
    fn known_records_and_unchanged_holds_change_nothing() {
        let hold = record(ACCOUNT, "c".repeat(24), &fetched("h", 10, 500, "POS AUTH @ X", None));
        let known: HashSet<String> = ["p".to_string()].into();
        let state = SyncState { change_seq: 3, pending: vec![hold], ..Default::default() };
        let changes = plan(
            ACCOUNT,
            &[fetched("p", 5, 100, "AIRTIME", Some(1))],
            &[fetched("h", 10, 500, "POS AUTH @ X", None)],
            &known,
            state,
            Some(Timestamp(100)),
        );
        assert!(changes.is_empty(), "{:?}", changes.log);
    }

    #[test]
    fn lists_older_than_those_applied_change_nothing() {
        let hold = record(ACCOUNT, "d".repeat(24), &fetched("h", 10, 500, "POS AUTH @ X", None));
        let state = SyncState { change_seq: 3, pending: vec![hold], data_as_of: Timestamp(200) };
        let stale = plan(
            ACCOUNT,
            &[fetched("p", 5, 100, "AIRTIME", Some(1))],
            &[],
            &HashSet::new(),
            state,
            Some(Timestamp(150)),
        );
        assert!(stale.is_empty() && stale.as_of.is_none() && stale.posted.is_empty());
    }

    #[test]
    fn cursors_round_trip_and_refuse_what_is_not_theirs() {
        let cursor = Cursor { account_id: ACCOUNT.into(), seq: 42 }.encode();
        assert_eq!(Cursor::parse(Some(&cursor), ACCOUNT, 42).unwrap(), 42);
        assert_eq!(Cursor::parse(None, ACCOUNT, 42).unwrap(), 0);
        assert_eq!(Cursor::parse(Some(""), ACCOUNT, 42).unwrap(), 0);
        let ahead = Cursor::parse(Some(&cursor), ACCOUNT, 41).unwrap_err().to_string();
        assert!(ahead.contains("ahead"), "{ahead}");
        let other = Cursor::parse(Some(&cursor), "6553f10000000000000000bb", 42).unwrap_err().to_string();
        assert!(other.contains("another account"), "{other}");
        let junk = Cursor::parse(Some("not-a-cursor"), ACCOUNT, 42).unwrap_err().to_string();
        assert!(junk.contains("not a cursor"), "{junk}");
    }
}
