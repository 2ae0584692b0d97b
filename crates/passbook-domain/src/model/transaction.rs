use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    Debit,
    Credit,
}

impl TxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debit => "debit",
            Self::Credit => "credit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "debit" => Some(Self::Debit),
            "credit" => Some(Self::Credit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub id: String,
    pub account_id: String,
    pub date: Timestamp,
    pub narration: String,
    /// Minor units (kobo), always positive; `kind` gives the direction.
    pub amount: i64,
    pub kind: TxKind,
    pub balance: Option<i64>,
    pub category: String,
    pub currency: String,
    /// Identifies the bank's record, so that a refresh never stores it twice.
    pub fingerprint: String,
}

/// Filters of `GET /v2/accounts/{id}/transactions`, already validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionFilter {
    /// Inclusive lower bound.
    pub start: Option<Timestamp>,
    /// Exclusive upper bound.
    pub end: Option<Timestamp>,
    pub narration: Option<String>,
    pub kind: Option<TxKind>,
}

impl TransactionFilter {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Which slice of the results to return; `limit: None` means all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub limit: Option<u64>,
    /// Start right after this row instead of skipping `offset()` rows.
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn new(page: u64, limit: Option<u64>) -> Self {
        Self { page, limit, after: None }
    }

    pub fn offset(&self) -> u64 {
        if self.after.is_some() {
            return 0;
        }
        self.limit.map_or(0, |l| (self.page - 1) * l)
    }
}

/// A position in newest-first order: the date and id of the last row of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub date: Timestamp,
    pub id: String,
}

impl Cursor {
    pub fn after(t: &Transaction) -> Self {
        Self { date: t.date, id: t.id.clone() }
    }

    pub fn encode(&self) -> String {
        format!("{}_{}", self.date.0, self.id)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (date, id) = text.split_once('_')?;
        crate::ids::is_object_id(id).then_some(())?;
        Some(Self { date: Timestamp(date.parse().ok()?), id: id.to_string() })
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}
