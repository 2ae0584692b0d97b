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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub limit: Option<u64>,
}

impl PageRequest {
    pub fn offset(&self) -> u64 {
        self.limit.map_or(0, |l| (self.page - 1) * l)
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}
