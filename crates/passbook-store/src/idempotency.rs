//! Keys of `Idempotency-Key` requests and the answers they replay.
use passbook_domain::Timestamp;
use passbook_domain::store::{IdempotencyClaim, StoredAnswer};
use sqlx::{Any, Transaction};

use crate::SqlStore;
use crate::error::StoreResult;

fn answer_context(app_id: &str, key: &str) -> String {
    format!("idempotency_keys.response:{app_id}:{key}")
}

/// Rows of expired keys swept whenever a new key is claimed.
const SWEEP: i64 = 100;

pub(crate) async fn begin(
    store: &SqlStore,
    app_id: &str,
    key: &str,
    request_hash: &str,
    now: Timestamp,
    lock_until: Timestamp,
    expired_before: Timestamp,
) -> StoreResult<IdempotencyClaim> {
    let mut tx = store.write().await?;
    // An expired key, or one whose first request died with its process, is free again.
    crate::sql::query(
        "DELETE FROM idempotency_keys WHERE app_id = $1 AND idempotency_key = $2
           AND (created_at < $3 OR (status_code IS NULL AND locked_until < $4))",
    )
    .bind(app_id)
    .bind(key)
    .bind(expired_before.0)
    .bind(now.0)
    .execute(&mut *tx)
    .await?;
    let inserted = crate::sql::query(
        "INSERT INTO idempotency_keys (app_id, idempotency_key, request_hash, created_at, locked_until)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (app_id, idempotency_key) DO NOTHING",
    )
    .bind(app_id)
    .bind(key)
    .bind(request_hash)
    .bind(now.0)
    .bind(lock_until.0)
    .execute(&mut *tx)
    .await?;
    let claim = if inserted.rows_affected() == 1 {
        crate::sql::query(
            "DELETE FROM idempotency_keys WHERE (app_id, idempotency_key) IN
                 (SELECT app_id, idempotency_key FROM idempotency_keys WHERE created_at < $1 LIMIT CAST($2 AS BIGINT))",
        )
        .bind(expired_before.0)
        .bind(SWEEP)
        .execute(&mut *tx)
        .await?;
        IdempotencyClaim::Started
    } else {
        held_by_another(store, &mut tx, app_id, key, request_hash).await?
    };
    tx.commit().await?;
    Ok(claim)
}

/// What the key is to a request that did not get it: another request's (a different hash),
/// one still running, or a finished one whose answer is replayed.
async fn held_by_another(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    app_id: &str,
    key: &str,
    request_hash: &str,
) -> StoreResult<IdempotencyClaim> {
    let (hash, status, content_type, sealed): (String, Option<i64>, Option<String>, Option<Vec<u8>>) =
        crate::sql::query_as(
            "SELECT request_hash, status_code, content_type, response_sealed FROM idempotency_keys
             WHERE app_id = $1 AND idempotency_key = $2",
        )
        .bind(app_id)
        .bind(key)
        .fetch_one(&mut **tx)
        .await?;
    Ok(match (hash == request_hash, status) {
        (false, _) => IdempotencyClaim::Mismatch,
        (true, None) => IdempotencyClaim::InProgress,
        (true, Some(status)) => IdempotencyClaim::Replay(StoredAnswer {
            status: u16::try_from(status)
                .map_err(|_| crate::StoreError::Corrupt(format!("idempotency answer status {status}")))?,
            content_type,
            body: match sealed {
                Some(sealed) => store.vault.open(&sealed, &answer_context(app_id, key))?,
                None => Vec::new(),
            },
        }),
    })
}

pub(crate) async fn finish(
    store: &SqlStore,
    app_id: &str,
    key: &str,
    answer: Option<&StoredAnswer>,
) -> StoreResult<()> {
    let query = match answer {
        Some(answer) => crate::sql::query(
            "UPDATE idempotency_keys SET status_code = $3, content_type = $4, response_sealed = $5
             WHERE app_id = $1 AND idempotency_key = $2",
        )
        .bind(app_id)
        .bind(key)
        .bind(i64::from(answer.status))
        .bind(answer.content_type.clone())
        .bind(store.vault.seal(&answer.body, &answer_context(app_id, key))),
        None => crate::sql::query("DELETE FROM idempotency_keys WHERE app_id = $1 AND idempotency_key = $2")
            .bind(app_id)
            .bind(key),
    };
    query.execute(&store.pool).await?;
    Ok(())
}

/// The `ServiceStore` port, on the functions above.
mod port {
    use passbook_domain::Timestamp;
    use passbook_domain::model::AppId;
    use passbook_domain::store::{IdempotencyClaim, ServiceStore, StoredAnswer};

    crate::port::impl_port! { ServiceStore {
        retried fn begin_idempotent(
            app_id: &AppId,
            key: &str,
            request_hash: &str,
            now: Timestamp,
            lock_until: Timestamp,
            expired_before: Timestamp,
        ) -> IdempotencyClaim
            = crate::idempotency::begin(app_id, key, request_hash, now, lock_until, expired_before);
        retried fn finish_idempotent(app_id: &AppId, key: &str, answer: Option<&StoredAnswer>) -> ()
            = crate::idempotency::finish(app_id, key, answer);
        retried fn pending_migrations() -> Vec<i64> = crate::SqlStore::pending_migrations();
        once fn accepts_writes() -> bool = crate::SqlStore::accepts_writes();
    }}
}
