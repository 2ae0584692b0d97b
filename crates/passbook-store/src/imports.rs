//! Uploaded statements, sealed.
use passbook_domain::Timestamp;
use passbook_domain::model::EarlierUpload;
use passbook_domain::statement_file::{ImportSummary, StatementFile, StatementImport};

use crate::SqlStore;
use crate::error::{StoreError, StoreResult};

fn context(column: &str, id: &str) -> String {
    format!("statement_imports.{column}:{id}")
}

pub(crate) async fn insert(store: &SqlStore, import: &StatementImport) -> StoreResult<()> {
    let json = serde_json::to_vec(&import.file).expect("a statement serialises");
    let summary = serde_json::to_vec(&import.summary()).expect("a summary serialises");
    let mut tx = store.write().await?;
    crate::sql::query(
        "INSERT INTO statement_imports (id, app_id, file_sealed, summary_sealed, original_sealed, created_at, file_sha256, customer_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&import.id)
    .bind(&import.app_id)
    .bind(store.vault.seal(&json, &context("file", &import.id)))
    .bind(store.vault.seal(&summary, &context("summary", &import.id)))
    .bind(import.original.as_ref().map(|o| store.vault.seal(o, &context("original", &import.id))))
    .bind(import.created_at.0)
    .bind(&import.file_sha256)
    .bind(&import.customer_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn of_file(store: &SqlStore, app_id: &str, sha256: &str) -> StoreResult<Vec<EarlierUpload>> {
    let rows: Vec<(String, String)> = crate::sql::query_as(
        "SELECT id, customer_id FROM statement_imports WHERE app_id = $1 AND file_sha256 = $2 AND customer_id IS NOT NULL \
         ORDER BY created_at DESC LIMIT 50",
    )
    .bind(app_id)
    .bind(sha256)
    .fetch_all(&store.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(import_id, customer_id)| EarlierUpload { import_id, customer_id: customer_id.into() })
        .collect())
}

pub(crate) async fn get(store: &SqlStore, app_id: &str, id: &str) -> StoreResult<Option<StatementImport>> {
    #[allow(clippy::type_complexity)]
    let row: Option<(Vec<u8>, Option<Vec<u8>>, i64, Option<String>, Option<String>)> = crate::sql::query_as(
        "SELECT file_sealed, original_sealed, created_at, file_sha256, customer_id FROM statement_imports WHERE id = $1 AND app_id = $2",
    )
    .bind(id)
    .bind(app_id)
    .fetch_optional(&store.pool)
    .await?;
    let Some((file, original, created_at, file_sha256, customer_id)) = row else { return Ok(None) };
    let json = store.vault.open(&file, &context("file", id))?;
    let file: StatementFile =
        serde_json::from_slice(&json).map_err(|e| StoreError::Corrupt(format!("statement import: {e}")))?;
    let original = original.map(|o| store.vault.open(&o, &context("original", id))).transpose()?;
    Ok(Some(StatementImport {
        id: id.to_string(),
        app_id: app_id.to_string(),
        file,
        original,
        created_at: Timestamp(created_at),
        file_sha256: file_sha256.unwrap_or_default(),
        customer_id: customer_id.unwrap_or_default(),
    }))
}

pub(crate) async fn summary(store: &SqlStore, app_id: &str, id: &str) -> StoreResult<Option<ImportSummary>> {
    let sealed: Option<Vec<u8>> =
        crate::sql::query_scalar("SELECT summary_sealed FROM statement_imports WHERE id = $1 AND app_id = $2")
            .bind(id)
            .bind(app_id)
            .fetch_optional(&store.pool)
            .await?;
    let Some(sealed) = sealed else { return Ok(None) };
    let json = store.vault.open(&sealed, &context("summary", id))?;
    serde_json::from_slice(&json).map(Some).map_err(|e| StoreError::Corrupt(format!("statement import summary: {e}")))
}

mod port {
    use passbook_domain::model::EarlierUpload;
    use passbook_domain::model::{AppId, ImportId};
    use passbook_domain::statement_file::{ImportSummary, StatementImport};
    use passbook_domain::store::ImportStore;

    crate::port::impl_port! { ImportStore {
        once fn insert_statement_import(import: &StatementImport) -> () = super::insert(import);
        once fn statement_import(app_id: &AppId, id: &ImportId) -> Option<StatementImport> = super::get(app_id, id);
        once fn statement_imports_of_file(app_id: &AppId, sha256: &str) -> Vec<EarlierUpload>
            = super::of_file(app_id, sha256);
        once fn statement_import_summary(app_id: &AppId, id: &ImportId) -> Option<ImportSummary> = super::summary(app_id, id);
    }}
}
