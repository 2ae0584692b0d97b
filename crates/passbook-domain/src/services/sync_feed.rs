//! `GET /passbook/v1/accounts/{id}/transactions/sync`: the account's transaction changes after a
//! cursor (see [`crate::sync`]).
use passbook_types::passbook::SyncQuery;

use super::Passbook;
use crate::model::{AccountId, App};
use crate::sync::{Cursor, DEFAULT_SYNC_COUNT, MAX_SYNC_COUNT, SyncPage};
use crate::{Error, Result};

impl Passbook {
    pub async fn sync_transactions(&self, app: &App, id: &AccountId, query: &SyncQuery) -> Result<SyncPage> {
        let count = match query.count.as_deref() {
            None | Some("") => DEFAULT_SYNC_COUNT,
            Some(raw) => raw.parse().ok().filter(|n| (1..=MAX_SYNC_COUNT).contains(n)).ok_or_else(|| {
                Error::invalid("count", format!("count must be a whole number from 1 to {MAX_SYNC_COUNT}, got '{raw}'"))
            })?,
        };
        let account = self.accounts().get(app, id).await?;
        let last = self.store.sync_state(&account.id).await?.change_seq;
        let after = Cursor::parse(query.cursor.as_deref(), &account.id, last)?;
        let changes = self.store.transaction_changes(&account.id, after, count + 1).await?;
        Ok(SyncPage::of(&account.id, after, changes, count as usize))
    }
}
