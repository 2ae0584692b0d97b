//! A process's own writes to accounts are seen by its very next read: the kept versions they
//! change go at commit, whether or not the announcement of the change has arrived yet. The
//! store here keeps versions in a cache that hears nothing, so only the writer's own forgetting
//! can make a change visible.
use passbook_domain::Timestamp;
use passbook_domain::crypto::Vault;

use crate::{DbOptions, SqlStore, accounts, apps, jobs, versions::VersionCache};

const APP: &str = "app-1";
const ACCOUNT: &str = "6b0cfed609232771d80007df";
const HOUR_MS: i64 = 3_600_000;

async fn store_with_one_account(dir: &tempfile::TempDir) -> SqlStore {
    let url = format!("sqlite://{}", dir.path().join("own-writes.db").display());
    let mut store = SqlStore::connect(&url, Vault::new([7; 32]), &DbOptions::default()).await.unwrap();
    store.migrate(true).await.unwrap();
    for sql in [
        "INSERT INTO apps (id, name, secret_key_hash, secret_key_hint, public_key, webhook_secret_sealed, created_at)
         VALUES ('app-1', 'App', 'hash', 'hint', 'public', x'00', 0)",
        "INSERT INTO customers (id, app_id, email_index, name_sealed, email_sealed, profile_sealed, created_at)
         VALUES ('customer-1', 'app-1', 'index', x'00', x'00', x'00', 0)",
        "INSERT INTO accounts (id, app_id, customer_id, institution_id, auth_method, connector_ref_sealed, account_number,
                               currency, data_status, authorised_at, next_refresh_at, created_at, updated_at)
         VALUES ('6b0cfed609232771d80007df', 'app-1', 'customer-1', 'bank', 'internet_banking', x'00', '0123456789',
                 'NGN', 'AVAILABLE', 0, 1000, 0, 0)",
    ] {
        crate::sql::query(sql).execute(&store.pool).await.unwrap();
    }
    store.versions = Some(VersionCache::deaf());
    store
}

async fn next_refresh(store: &SqlStore) -> Option<Timestamp> {
    let version = accounts::version(store, APP, ACCOUNT).await.unwrap().expect("the account");
    version.freshness.next_refresh_at
}

#[tokio::test]
async fn a_refresh_scheduled_by_this_process_is_read_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_one_account(&dir).await;
    assert_eq!(next_refresh(&store).await, Some(Timestamp(1000)), "read, and kept");

    assert_eq!(jobs::schedule_refreshes(&store, Timestamp(2000), 10).await.unwrap(), 1);

    assert_eq!(next_refresh(&store).await, Some(Timestamp(2000 + 24 * HOUR_MS)));
}

#[tokio::test]
async fn an_app_wide_change_made_by_this_process_is_read_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_one_account(&dir).await;
    crate::sql::query("UPDATE accounts SET next_refresh_at = $1")
        .bind(48 * HOUR_MS)
        .execute(&store.pool)
        .await
        .unwrap();
    assert_eq!(next_refresh(&store).await, Some(Timestamp(48 * HOUR_MS)), "read, and kept");

    assert!(apps::set_refresh_interval(&store, APP, 1, None).await.unwrap());

    assert_eq!(next_refresh(&store).await, Some(Timestamp(HOUR_MS)), "updated_at (0) plus the new hour");
}
