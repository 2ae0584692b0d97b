//! SimpleFIN grants: setup tokens made for a customer, and the access they are claimed for.
use passbook_domain::Timestamp;
use passbook_domain::store::{NewSimpleFinToken, SimpleFinGrant};

use crate::SqlStore;
use crate::error::StoreResult;

pub(crate) async fn insert_token(store: &SqlStore, token: &NewSimpleFinToken) -> StoreResult<()> {
    crate::sql::query(
        "INSERT INTO simplefin_access (id, app_id, customer_id, claim_hash, claim_expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.id.as_str())
    .bind(token.app_id.as_str())
    .bind(token.customer_id.as_str())
    .bind(&token.claim_hash)
    .bind(token.expires_at.0)
    .bind(token.created_at.0)
    .execute(&store.pool)
    .await?;
    Ok(())
}

type GrantRow = (String, String, String);

fn grant((id, app_id, customer_id): GrantRow) -> SimpleFinGrant {
    SimpleFinGrant { id: id.into(), app_id: app_id.into(), customer_id: customer_id.into() }
}

/// One conditional update claims the token, so of two claims at once only one finds it unclaimed.
pub(crate) async fn claim(
    store: &SqlStore,
    claim_hash: &str,
    password_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<SimpleFinGrant>> {
    let row: Option<GrantRow> = crate::sql::query_as(
        "UPDATE simplefin_access SET claimed_at = $3, password_hash = $2
         WHERE claim_hash = $1 AND claimed_at IS NULL AND revoked_at IS NULL AND claim_expires_at > $3
         RETURNING id, app_id, customer_id",
    )
    .bind(claim_hash)
    .bind(password_hash)
    .bind(now.0)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.map(grant))
}

pub(crate) async fn grant_for(store: &SqlStore, id: &str, password_hash: &str) -> StoreResult<Option<SimpleFinGrant>> {
    let row: Option<GrantRow> = crate::sql::query_as(
        "SELECT id, app_id, customer_id FROM simplefin_access
         WHERE id = $1 AND password_hash = $2 AND claimed_at IS NOT NULL AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(password_hash)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.map(grant))
}

pub(crate) async fn revoke(store: &SqlStore, app_id: &str, customer_id: &str, now: Timestamp) -> StoreResult<u64> {
    let done = crate::sql::query(
        "UPDATE simplefin_access SET revoked_at = $3 WHERE app_id = $1 AND customer_id = $2 AND revoked_at IS NULL",
    )
    .bind(app_id)
    .bind(customer_id)
    .bind(now.0)
    .execute(&store.pool)
    .await?;
    Ok(done.rows_affected())
}

/// The `ShareStore` port, on the functions above.
mod port {
    use passbook_domain::Timestamp;
    use passbook_domain::model::{AppId, CustomerId, GrantId};
    use passbook_domain::store::{NewSimpleFinToken, ShareStore, SimpleFinGrant};

    crate::port::impl_port! { ShareStore {
        retried fn insert_simplefin_token(token: &NewSimpleFinToken) -> () = super::insert_token(token);
        retried fn claim_simplefin(claim_hash: &str, password_hash: &str, now: Timestamp) -> Option<SimpleFinGrant>
            = super::claim(claim_hash, password_hash, now);
        retried fn simplefin_grant(id: &GrantId, password_hash: &str) -> Option<SimpleFinGrant>
            = super::grant_for(id, password_hash);
        retried fn revoke_simplefin(app_id: &AppId, customer_id: &CustomerId, now: Timestamp) -> u64
            = super::revoke(app_id, customer_id, now);
    }}
}
