//! The connectors an operator configured: each one's values sealed as one JSON object, and a
//! version every process compares with the settings it built its connectors from.
use std::collections::BTreeMap;

use passbook_domain::Timestamp;
use passbook_domain::connector_setup::{ConnectorSettings, SavedVersion};
use passbook_domain::model::AuditEntry;

use crate::SqlStore;
use crate::error::{StoreError, StoreResult};
use crate::operators::write_audit;

/// The sealed values' associated data: a value sealed for one connector opens for no other.
pub(crate) fn context(name: &str) -> String {
    format!("connector_settings.values:{name}")
}

pub(crate) async fn all(store: &SqlStore) -> StoreResult<Vec<ConnectorSettings>> {
    let rows: Vec<(String, Vec<u8>, String, i64)> =
        crate::sql::query_as("SELECT name, values_sealed, version, updated_at FROM connector_settings ORDER BY name")
            .fetch_all(&store.pool)
            .await?;
    rows.into_iter()
        .map(|(name, sealed, version, updated_at)| {
            let json = store.vault.open_str(&sealed, &context(&name))?;
            let values: BTreeMap<String, String> = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("connector settings of {name}: {e}")))?;
            Ok(ConnectorSettings { name, values, version, updated_at: Timestamp(updated_at) })
        })
        .collect()
}

pub(crate) async fn versions(store: &SqlStore) -> StoreResult<Vec<SavedVersion>> {
    let rows: Vec<(String, String)> =
        crate::sql::query_as("SELECT name, version FROM connector_settings ORDER BY name")
            .fetch_all(&store.pool)
            .await?;
    Ok(rows.into_iter().map(|(name, version)| SavedVersion { name, version }).collect())
}

pub(crate) async fn save(store: &SqlStore, settings: &ConnectorSettings, audit: &AuditEntry) -> StoreResult<()> {
    let json = serde_json::to_string(&settings.values).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut tx = store.write().await?;
    crate::sql::query(
        "INSERT INTO connector_settings (name, values_sealed, version, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET values_sealed = excluded.values_sealed, version = excluded.version,
         updated_at = excluded.updated_at",
    )
    .bind(&settings.name)
    .bind(store.vault.seal_str(&json, &context(&settings.name)))
    .bind(&settings.version)
    .bind(settings.updated_at.0)
    .execute(&mut *tx)
    .await?;
    write_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn remove(store: &SqlStore, name: &str, audit: &AuditEntry) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let removed =
        crate::sql::query("DELETE FROM connector_settings WHERE name = $1").bind(name).execute(&mut *tx).await?;
    if removed.rows_affected() == 0 {
        return Ok(false);
    }
    write_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(true)
}
