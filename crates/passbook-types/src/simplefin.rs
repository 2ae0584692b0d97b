//! The SimpleFIN protocol's account set (<https://www.simplefin.org/protocol.html>), as Passbook
//! serves it and as its SimpleFIN connector reads it: amounts are decimal strings in the
//! currency's major unit, times are seconds since the epoch.
use serde::{Deserialize, Serialize};

/// `GET /accounts`: the accounts, and what went wrong reaching some of them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountSet {
    /// Version 1: messages meant for the user.
    #[serde(default)]
    pub errors: Vec<String>,
    /// Version 2: the same, with codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errlist: Vec<ErrorItem>,
    #[serde(default)]
    pub accounts: Vec<Account>,
}

impl AccountSet {
    /// Every message the bridge sent, for the log.
    pub fn messages(&self) -> Vec<String> {
        self.errors.iter().cloned().chain(self.errlist.iter().map(|e| format!("{}: {}", e.code, e.msg))).collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorItem {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub msg: String,
}

/// Where an account is held.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Organization {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(rename = "sfin-url", default)]
    pub sfin_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    #[serde(default)]
    pub org: Organization,
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// An ISO 4217 code, or a URL naming a custom currency.
    #[serde(default)]
    pub currency: String,
    pub balance: String,
    #[serde(rename = "available-balance", default, skip_serializing_if = "Option::is_none")]
    pub available_balance: Option<String>,
    #[serde(rename = "balance-date", default)]
    pub balance_date: i64,
    #[serde(default)]
    pub transactions: Vec<Transaction>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transaction {
    pub id: String,
    /// When it posted; 0 while pending.
    #[serde(default)]
    pub posted: i64,
    pub amount: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transacted_at: Option<i64>,
}

/// `GET /info`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Info {
    pub versions: Vec<String>,
}

pub use crate::money::{currency_code, decimal, minor_units};
