//! Account lifecycle: unlink (and, as it lands, refresh and re-authorisation).
use axum::http::StatusCode;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn unlink_deletes_everything_about_the_account_and_says_so() {
    let t = TestApp::spawn().await;
    t.link("unlink-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    t.receiver.wait_for("mono.events.account_updated", 1).await;

    let (status, body) = t.post_json(&format!("/v2/accounts/{id}/unlink"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "Account unlinked successfully");
    assert_eq!(body["data"], serde_json::Value::Null);

    let unlinked = t.receiver.wait_for("mono.events.account_unlinked", 1).await.remove(0).json();
    assert_eq!(unlinked["data"]["account"]["id"], id.as_str());
    assert_eq!(unlinked["data"]["account"]["_id"], id.as_str());
    assert_eq!(unlinked["sequence"], 3, "it follows the account's earlier events");

    for path in ["", "/balance", "/identity", "/transactions", "/unlink"] {
        let (status, body) = if path == "/unlink" {
            t.post_json(&format!("/v2/accounts/{id}{path}"), json!({})).await
        } else {
            t.get(&format!("/v2/accounts/{id}{path}")).await
        };
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (_, list) = t.get("/v2/accounts").await;
    assert_eq!(list["meta"]["total"], 0);

    // Only the unlink event and the audit line still name the account.
    let pool = sqlx::SqlitePool::connect(&t.config.database_url).await.unwrap();
    for table in ["accounts", "transactions", "identities", "jobs", "auth_codes"] {
        let column = match table {
            "accounts" => "id",
            "jobs" => "subject",
            _ => "account_id",
        };
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1")))
                .bind(&id)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(n, 0, "{table} still has rows about the account");
    }
    let events: Vec<String> =
        sqlx::query_scalar("SELECT event FROM events WHERE account_id = $1").bind(&id).fetch_all(&pool).await.unwrap();
    assert_eq!(events, ["mono.events.account_unlinked"]);
    let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE subject = $1")
        .bind(&id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audit, 1);
}
