//! Re-encrypting every sealed value under a new master key, in one transaction.
use passbook_domain::Vault;
use sqlx::Row;

use crate::SqlStore;
use crate::error::StoreResult;

/// (table, key column, sealed column, context prefix): each sealed value's associated data is
/// `{prefix}:{key}`.
const SEALED: &[(&str, &str, &str, &str)] = &[
    ("apps", "id", "webhook_secret_sealed", "apps.webhook_secret"),
    ("apps", "id", "previous_webhook_secret_sealed", "apps.previous_webhook_secret"),
    ("customers", "id", "name_sealed", "customers.name"),
    ("customers", "id", "email_sealed", "customers.email"),
    ("customers", "id", "profile_sealed", "customers.profile"),
    ("operators", "id", "email_sealed", "operators.email"),
    ("link_sessions", "id", "flow_sealed", "link_sessions.flow"),
    ("accounts", "id", "connector_ref_sealed", "accounts.connector_ref"),
    ("accounts", "id", "name_sealed", "accounts.name"),
    ("accounts", "id", "bvn_sealed", "accounts.bvn"),
    ("identities", "account_id", "identity_sealed", "identities.identity"),
    ("events", "id", "payload_sealed", "events.payload"),
    ("statements", "id", "pdf_sealed", "statements.pdf"),
    ("income_records", "id", "record_sealed", "income_records.record"),
    ("statement_imports", "id", "file_sealed", "statement_imports.file"),
    ("statement_imports", "id", "summary_sealed", "statement_imports.summary"),
    ("statement_imports", "id", "original_sealed", "statement_imports.original"),
    ("connector_memory", "memory_key", "value_sealed", "connector_memory.value"),
    ("connector_settings", "name", "values_sealed", "connector_settings.values"),
];

impl SqlStore {
    /// Re-seals everything with `new` (and recomputes the e-mail blind index). Returns how
    /// many values were re-encrypted. Stop every server first: they hold the old key.
    pub async fn rotate_master_key(&self, new: &Vault) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let mut count = 0;
        for (table, key, column, prefix) in SEALED {
            let rows = crate::sql::query(sqlx::AssertSqlSafe(format!(
                "SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL"
            )))
            .fetch_all(&mut *tx)
            .await?;
            for row in rows {
                let id: String = row.try_get(0)?;
                let sealed: Vec<u8> = row.try_get(1)?;
                let context = format!("{prefix}:{id}");
                let plain = self.vault.open(&sealed, &context)?;
                crate::sql::query(sqlx::AssertSqlSafe(format!("UPDATE {table} SET {column} = $1 WHERE {key} = $2")))
                    .bind(new.seal(&plain, &context))
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                if matches!(*table, "customers" | "operators") && *column == "email_sealed" {
                    let email = String::from_utf8_lossy(&plain).into_owned();
                    crate::sql::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE {table} SET email_index = $1 WHERE id = $2"
                    )))
                    .bind(new.blind_index(&email))
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                }
                count += 1;
            }
        }
        tx.commit().await?;
        Ok(count)
    }
}
