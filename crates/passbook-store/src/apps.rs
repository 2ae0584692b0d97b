use passbook_domain::Timestamp;
use passbook_domain::model::AppId;
use passbook_domain::model::{App, AuditEntry};
use passbook_domain::numbers;
use passbook_domain::store::{CatchUp, SandboxMove};
use sqlx::{Any, FromRow, Transaction};

use crate::SqlStore;
use crate::error::StoreResult;
use crate::operators::write_audit;

#[derive(FromRow)]
struct AppRow {
    id: String,
    name: String,
    secret_key_hash: String,
    secret_key_hint: String,
    public_key: String,
    webhook_url: Option<String>,
    webhook_secret_sealed: Vec<u8>,
    previous_webhook_secret_sealed: Option<Vec<u8>>,
    previous_webhook_secret_expires_at: Option<i64>,
    refresh_interval_hours: i64,
    created_at: i64,
    previous_secret_key_hash: Option<String>,
    previous_secret_key_expires_at: Option<i64>,
}

impl AppRow {
    /// The row of [`COLUMNS`], read on the calling thread ([`crate::inline`]).
    fn from_inline(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            name: row.get(1)?,
            secret_key_hash: row.get(2)?,
            secret_key_hint: row.get(3)?,
            public_key: row.get(4)?,
            webhook_url: row.get(5)?,
            webhook_secret_sealed: row.get(6)?,
            previous_webhook_secret_sealed: row.get(7)?,
            previous_webhook_secret_expires_at: row.get(8)?,
            refresh_interval_hours: row.get(9)?,
            created_at: row.get(10)?,
            previous_secret_key_hash: row.get(11)?,
            previous_secret_key_expires_at: row.get(12)?,
        })
    }
}

const COLUMNS: &str = "id, name, secret_key_hash, secret_key_hint, public_key, webhook_url, webhook_secret_sealed, \
    previous_webhook_secret_sealed, previous_webhook_secret_expires_at, refresh_interval_hours, created_at, \
    previous_secret_key_hash, previous_secret_key_expires_at";

fn secret_context(app_id: &str) -> String {
    format!("apps.webhook_secret:{app_id}")
}

fn previous_secret_context(app_id: &str) -> String {
    format!("apps.previous_webhook_secret:{app_id}")
}

impl SqlStore {
    fn app_from_row(&self, row: AppRow) -> StoreResult<App> {
        let previous = match (&row.previous_webhook_secret_sealed, row.previous_webhook_secret_expires_at) {
            (Some(sealed), Some(until)) => {
                Some((self.vault.open_str(sealed, &previous_secret_context(&row.id))?, Timestamp(until)))
            }
            _ => None,
        };
        Ok(App {
            webhook_secret: self.vault.open_str(&row.webhook_secret_sealed, &secret_context(&row.id))?,
            previous_webhook_secret: previous,
            previous_secret_key: row.previous_secret_key_hash.zip(row.previous_secret_key_expires_at.map(Timestamp)),
            refresh_interval_hours: numbers::small_count(row.refresh_interval_hours),
            id: row.id.into(),
            name: row.name,
            secret_key_hash: row.secret_key_hash,
            secret_key_hint: row.secret_key_hint,
            public_key: row.public_key,
            webhook_url: row.webhook_url,
            created_at: Timestamp(row.created_at),
        })
    }
}

pub(crate) async fn insert(store: &SqlStore, app: &App, audit: &AuditEntry) -> StoreResult<()> {
    let mut tx = store.write().await?;
    crate::sql::query(
        "INSERT INTO apps (id, name, secret_key_hash, secret_key_hint, public_key, webhook_url, webhook_secret_sealed, created_at,
                           refresh_interval_hours)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(app.id.as_str())
    .bind(&app.name)
    .bind(&app.secret_key_hash)
    .bind(&app.secret_key_hint)
    .bind(&app.public_key)
    .bind(&app.webhook_url)
    .bind(store.vault.seal_str(&app.webhook_secret, &secret_context(&app.id)))
    .bind(app.created_at.0)
    .bind(app.refresh_interval_hours as i64)
    .execute(&mut *tx)
    .await?;
    audited(tx, true, Some(audit)).await.map(drop)
}

pub(crate) async fn list(store: &SqlStore) -> StoreResult<Vec<App>> {
    let rows: Vec<AppRow> =
        crate::sql::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM apps ORDER BY created_at, id")))
            .fetch_all(&store.pool)
            .await?;
    rows.into_iter().map(|r| store.app_from_row(r)).collect()
}

/// An app by id: the webhook dispatcher reads the app of every claim, so on SQLite the read runs
/// on the calling thread ([`crate::inline`]).
pub(crate) async fn by_id(store: &SqlStore, id: &str) -> StoreResult<Option<App>> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("SELECT {COLUMNS} FROM apps WHERE id = $1"));
    let row: Option<AppRow> = match &store.inline {
        Some(inline) => inline.read(|db| {
            use rusqlite::OptionalExtension;
            db.prepare_cached(&SQL)?.query_row([id], AppRow::from_inline).optional()
        })?,
        None => crate::sql::query_as(sqlx::AssertSqlSafe(SQL.as_str())).bind(id).fetch_optional(&store.pool).await?,
    };
    row.map(|r| store.app_from_row(r)).transpose()
}

pub(crate) async fn by_public_key(store: &SqlStore, key: &str) -> StoreResult<Option<App>> {
    let row: Option<AppRow> =
        crate::sql::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM apps WHERE public_key = $1")))
            .bind(key)
            .fetch_optional(&store.pool)
            .await?;
    row.map(|r| store.app_from_row(r)).transpose()
}

/// The app of a secret key, or of the key before it while its overlap lasts.
pub(crate) async fn by_secret_hash(store: &SqlStore, hash: &str, now: Timestamp) -> StoreResult<Option<App>> {
    let row: Option<AppRow> = crate::sql::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM apps WHERE secret_key_hash = $1
         UNION ALL
         SELECT {COLUMNS} FROM apps WHERE previous_secret_key_hash = $1 AND previous_secret_key_expires_at > $2
         LIMIT 1"
    )))
    .bind(hash)
    .bind(now.0)
    .fetch_optional(&store.pool)
    .await?;
    row.map(|r| store.app_from_row(r)).transpose()
}

pub(crate) async fn rename(store: &SqlStore, app_id: &str, name: &str, audit: &AuditEntry) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let done =
        crate::sql::query("UPDATE apps SET name = $2 WHERE id = $1").bind(app_id).bind(name).execute(&mut *tx).await?;
    audited(tx, done.rows_affected() == 1, Some(audit)).await
}

/// Commits the change with its audit line, or, when there is no such app, nothing.
async fn audited(mut tx: Transaction<'static, Any>, found: bool, audit: Option<&AuditEntry>) -> StoreResult<bool> {
    if !found {
        tx.rollback().await?;
        return Ok(false);
    }
    if let Some(audit) = audit {
        write_audit(&mut tx, audit).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// The current key becomes the previous one, accepted until `overlap_until`.
pub(crate) async fn rotate_key(
    store: &SqlStore,
    app_id: &str,
    hash: &str,
    hint: &str,
    overlap_until: Timestamp,
    audit: &AuditEntry,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let done = crate::sql::query(
        "UPDATE apps SET previous_secret_key_hash = secret_key_hash, previous_secret_key_expires_at = $4,
                         secret_key_hash = $2, secret_key_hint = $3
         WHERE id = $1",
    )
    .bind(app_id)
    .bind(hash)
    .bind(hint)
    .bind(overlap_until.0)
    .execute(&mut *tx)
    .await?;
    audited(tx, done.rows_affected() == 1, Some(audit)).await
}

pub(crate) async fn set_webhook_url(
    store: &SqlStore,
    app_id: &str,
    url: Option<&str>,
    audit: &AuditEntry,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let done = crate::sql::query("UPDATE apps SET webhook_url = $2 WHERE id = $1")
        .bind(app_id)
        .bind(url)
        .execute(&mut *tx)
        .await?;
    audited(tx, done.rows_affected() == 1, Some(audit)).await
}

/// Moves the current secret to "previous" (re-sealed for its new column) and seals the new one.
pub(crate) async fn rotate_secret(
    store: &SqlStore,
    app_id: &str,
    secret: &str,
    overlap_until: Timestamp,
    audit: &AuditEntry,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let current: Option<Vec<u8>> = crate::sql::query_scalar("SELECT webhook_secret_sealed FROM apps WHERE id = $1")
        .bind(app_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(current) = current else { return Ok(false) };
    let previous = store.vault.open_str(&current, &secret_context(app_id))?;
    crate::sql::query(
        "UPDATE apps SET webhook_secret_sealed = $2, previous_webhook_secret_sealed = $3, previous_webhook_secret_expires_at = $4
         WHERE id = $1",
    )
    .bind(app_id)
    .bind(store.vault.seal_str(secret, &secret_context(app_id)))
    .bind(store.vault.seal_str(&previous, &previous_secret_context(app_id)))
    .bind(overlap_until.0)
    .execute(&mut *tx)
    .await?;
    audited(tx, true, Some(audit)).await
}

pub(crate) async fn sandbox_offset(store: &SqlStore, app_id: &str) -> StoreResult<i64> {
    let offset: Option<i64> = crate::sql::query_scalar("SELECT sandbox_offset_ms FROM apps WHERE id = $1")
        .bind(app_id)
        .fetch_optional(&store.pool)
        .await?;
    Ok(offset.unwrap_or_default())
}

/// One statement, so that moves made at once each get their own stretch of days; the catch-up
/// keeps its next step (or starts one step after the old time) and its end moves by exactly the
/// days added (not to "now" plus the offset: a move whose `now` was read before another's
/// update ran would end the catch-up short of the other's last step).
pub(crate) async fn advance_sandbox_clock(
    store: &SqlStore,
    app_id: &str,
    by: &SandboxMove,
    audit: &AuditEntry,
) -> StoreResult<Option<i64>> {
    let mut tx = store.write().await?;
    // The bound is checked in the update itself, so that moves made at once cannot pass it together.
    let offsets: Vec<i64> = crate::sql::query_scalar(
        "UPDATE apps SET sandbox_offset_ms = sandbox_offset_ms + $2,
                sandbox_catch_up_at = COALESCE(sandbox_catch_up_at, $4 + sandbox_offset_ms + $5),
                sandbox_catch_up_until = CASE WHEN sandbox_catch_up_at IS NULL THEN $4 + sandbox_offset_ms + $2
                                              ELSE sandbox_catch_up_until + $2 END,
                sandbox_catch_up_touched = $4
         WHERE id = $1 AND sandbox_offset_ms + $2 <= $3
         RETURNING sandbox_offset_ms",
    )
    .bind(app_id)
    .bind(by.by_ms)
    .bind(by.max_ms)
    .bind(by.now.0)
    .bind(by.step_ms)
    .fetch_all(&mut *tx)
    .await?;
    if !offsets.is_empty() {
        write_audit(&mut tx, audit).await?;
    }
    tx.commit().await?;
    Ok(offsets.first().copied())
}

pub(crate) async fn sandbox_catch_up(store: &SqlStore, app_id: &str) -> StoreResult<Option<CatchUp>> {
    let row: Option<(Option<i64>, Option<i64>)> =
        crate::sql::query_as("SELECT sandbox_catch_up_at, sandbox_catch_up_until FROM apps WHERE id = $1")
            .bind(app_id)
            .fetch_optional(&store.pool)
            .await?;
    Ok(match row {
        Some((Some(at), Some(until))) => Some(CatchUp { at: Timestamp(at), until: Timestamp(until) }),
        _ => None,
    })
}

pub(crate) async fn sandbox_step_done(
    store: &SqlStore,
    app_id: &str,
    at: Timestamp,
    next: Timestamp,
    now: Timestamp,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let done = crate::sql::query(
        "UPDATE apps SET
            sandbox_catch_up_at = CASE WHEN $3 > sandbox_catch_up_until THEN NULL ELSE $3 END,
            sandbox_catch_up_until = CASE WHEN $3 > sandbox_catch_up_until THEN NULL ELSE sandbox_catch_up_until END,
            sandbox_catch_up_touched = $4
         WHERE id = $1 AND sandbox_catch_up_at = $2",
    )
    .bind(app_id)
    .bind(at.0)
    .bind(next.0)
    .bind(now.0)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn claim_stalled_catch_ups(
    store: &SqlStore,
    before: Timestamp,
    now: Timestamp,
) -> StoreResult<Vec<AppId>> {
    let mut tx = store.write().await?;
    let ids: Vec<String> = crate::sql::query_scalar(
        "UPDATE apps SET sandbox_catch_up_touched = $2
         WHERE sandbox_catch_up_at IS NOT NULL AND sandbox_catch_up_touched < $1
         RETURNING id",
    )
    .bind(before.0)
    .bind(now.0)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ids.into_iter().map(AppId::from).collect())
}

pub(crate) async fn set_refresh_interval(
    store: &SqlStore,
    app_id: &str,
    hours: u32,
    audit: Option<&AuditEntry>,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let done = crate::sql::query("UPDATE apps SET refresh_interval_hours = $2 WHERE id = $1")
        .bind(app_id)
        .bind(hours as i64)
        .execute(&mut *tx)
        .await?;
    // Accounts due later than the new interval allows move forward to it.
    crate::sql::query(
        "UPDATE accounts SET next_refresh_at = CASE WHEN next_refresh_at < updated_at + $2 * 3600000 THEN next_refresh_at ELSE updated_at + $2 * 3600000 END WHERE app_id = $1",
    )
    .bind(app_id)
    .bind(hours as i64)
    .execute(&mut *tx)
    .await?;
    let done = audited(tx, done.rows_affected() == 1, audit).await?;
    store.forget_app_versions(app_id);
    Ok(done)
}

/// The `AppStore` port, on the functions above.
mod port {
    use passbook_domain::Timestamp;
    use passbook_domain::model::AppId;
    use passbook_domain::model::{App, AuditEntry};
    use passbook_domain::store::{AppStore, CatchUp, SandboxMove};

    crate::port::impl_port! { AppStore {
        retried fn insert_app(app: &App, audit: &AuditEntry) -> () = crate::apps::insert(app, audit);
        retried fn list_apps() -> Vec<App> = crate::apps::list();
        retried fn app(id: &AppId) -> Option<App> = crate::apps::by_id(id);
        retried fn app_by_secret_hash(hash: &str, now: Timestamp) -> Option<App>
            = crate::apps::by_secret_hash(hash, now);
        retried fn rename_app(app_id: &AppId, name: &str, audit: &AuditEntry) -> bool
            = crate::apps::rename(app_id, name, audit);
        retried fn rotate_secret_key(
            app_id: &AppId,
            hash: &str,
            hint: &str,
            overlap_until: Timestamp,
            audit: &AuditEntry,
        ) -> bool
            = crate::apps::rotate_key(app_id, hash, hint, overlap_until, audit);
        retried fn set_webhook_url(app_id: &AppId, url: Option<&str>, audit: &AuditEntry) -> bool
            = crate::apps::set_webhook_url(app_id, url, audit);
        retried fn rotate_webhook_secret(
            app_id: &AppId,
            secret: &str,
            overlap_until: Timestamp,
            audit: &AuditEntry,
        ) -> bool
            = crate::apps::rotate_secret(app_id, secret, overlap_until, audit);
        retried fn app_by_public_key(key: &str) -> Option<App> = crate::apps::by_public_key(key);
        retried fn set_refresh_interval(app_id: &AppId, hours: u32, audit: Option<&AuditEntry>) -> bool
            = crate::apps::set_refresh_interval(app_id, hours, audit);
        retried fn sandbox_offset(app_id: &AppId) -> i64 = crate::apps::sandbox_offset(app_id);
        retried fn advance_sandbox_clock(app_id: &AppId, by: &SandboxMove, audit: &AuditEntry) -> Option<i64>
            = crate::apps::advance_sandbox_clock(app_id, by, audit);
        retried fn sandbox_catch_up(app_id: &AppId) -> Option<CatchUp> = crate::apps::sandbox_catch_up(app_id);
        retried fn sandbox_step_done(app_id: &AppId, at: Timestamp, next: Timestamp, now: Timestamp) -> bool
            = crate::apps::sandbox_step_done(app_id, at, next, now);
        retried fn claim_stalled_catch_ups(before: Timestamp, now: Timestamp) -> Vec<AppId>
            = crate::apps::claim_stalled_catch_ups(before, now);
    }}
}
