//! Transaction conflicts, as PostgreSQL answers them under load and as distributed engines that
//! speak PostgreSQL (YugabyteDB, CockroachDB) answer them routinely: a serialization failure
//! (`40001`) or a deadlock (`40P01`) makes the store run the operation again. The failures are
//! injected by a trigger that counts with a sequence (which a rolled-back transaction does not
//! take back). PostgreSQL only: SQLite has no such errors.
use axum::http::StatusCode;
use serde_json::json;
use sqlx::{Connection, Executor};

use crate::support::*;

/// Makes the first `failures` writes to `table` (by `operation`) fail with conflicts,
/// alternating `40001` and `40P01`; returns a connection to read the counter with.
async fn inject_conflicts(t: &TestApp, table: &str, operation: &str, failures: i64) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(&t.config.database_url).await.unwrap();
    let setup = format!(
        "CREATE SEQUENCE injected_conflicts;
         CREATE FUNCTION inject_conflict() RETURNS trigger LANGUAGE plpgsql AS $$
         DECLARE n bigint := nextval('injected_conflicts');
         BEGIN
           IF n <= {failures} THEN
             RAISE EXCEPTION 'injected conflict %', n
               USING ERRCODE = CASE WHEN n % 2 = 0 THEN '40P01' ELSE '40001' END;
           END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER inject_conflict BEFORE {operation} ON {table}
           FOR EACH ROW EXECUTE FUNCTION inject_conflict();"
    );
    db.execute(sqlx::AssertSqlSafe(setup)).await.unwrap();
    db
}

async fn tries(db: &mut sqlx::AnyConnection) -> i64 {
    sqlx::query_scalar("SELECT last_value FROM injected_conflicts").fetch_one(db).await.unwrap()
}

#[tokio::test]
async fn conflicts_are_retried_until_the_write_succeeds() {
    if !on_postgres() {
        return;
    }
    let t = TestApp::spawn().await;
    let mut db = inject_conflicts(&t, "customers", "INSERT", 3).await;
    let body = json!({"email": "conflict@example.ng", "first_name": "Ada", "last_name": "Obi"});
    let (status, created) = t.post_json("/v2/customers", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(tries(&mut db).await, 4, "three refusals, then the write");
    let (_, listed) = t.get("/v2/customers").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "written once: {listed}");
}

#[tokio::test]
async fn a_link_step_survives_conflicts_on_its_session() {
    if !on_postgres() {
        return;
    }
    let t = TestApp::spawn().await;
    let mut db = inject_conflicts(&t, "link_sessions", "UPDATE", 2).await;
    t.link("conflict-link", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    assert!(tries(&mut db).await > 2);
    assert_eq!(t.wait_for_data(&id).await.meta.data_status, "AVAILABLE");
}

#[tokio::test]
async fn endless_conflicts_end_in_a_clear_error_after_a_few_tries() {
    if !on_postgres() {
        return;
    }
    let t = TestApp::spawn().await;
    let mut db = inject_conflicts(&t, "customers", "INSERT", 1_000).await;
    let body = json!({"email": "never@example.ng", "first_name": "Ada", "last_name": "Obi"});
    let (status, refused) = t.post_json("/v2/customers", body).await;
    assert!(status.is_server_error(), "{status} {refused}");
    assert_eq!(refused["status"], "failed");
    assert_eq!(tries(&mut db).await, 6, "six tries in all, then the error");
}
