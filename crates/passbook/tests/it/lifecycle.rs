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
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&t.config.database_url).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transactions WHERE account_id = $1")
        .bind(hex::decode(&id).unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(stored > 100, "the account's transactions are stored under its 12 bytes: {stored}");

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
    for table in ["accounts", "transactions", "identities", "jobs", "auth_codes"] {
        let column = match table {
            "accounts" => "id",
            "jobs" => "subject",
            _ => "account_id",
        };
        let count =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1")));
        // Transactions name their account by its 12 bytes.
        let count = match table {
            "transactions" => count.bind(hex::decode(&id).unwrap()),
            _ => count.bind(id.clone()),
        };
        let n: i64 = count.fetch_one(&pool).await.unwrap();
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

use std::sync::Arc;
use std::time::Duration;

use passbook_domain::clock::{Clock, ManualClock};

const HOUR: i64 = 3_600_000;

async fn with_clock() -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let shared = clock.clone();
    (TestApp::spawn_with(move |c| c.clock = shared).await, clock)
}

/// The account's freshness, which Passbook adds to its details.
async fn freshness(t: &TestApp, id: &str) -> passbook_client::types::accounts::FreshnessOut {
    t.api().account(id).await.unwrap().passbook.expect("Passbook's additions").freshness
}

fn millis(iso: &str) -> i64 {
    passbook_domain::Timestamp::parse_iso(iso).expect("an ISO time").0
}

async fn updates(t: &TestApp, n: usize) -> Vec<serde_json::Value> {
    t.receiver.wait_for_distinct("mono.events.account_updated", n).await.iter().map(|r| r.json()).collect()
}

#[tokio::test]
async fn accounts_refresh_on_schedule_adding_only_new_transactions() {
    let (t, clock) = with_clock().await;
    t.link("refresh-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    updates(&t, 1).await;
    let (_, before) = t.get(&format!("/v2/accounts/{id}/transactions?paginate=false")).await;
    let before_ids: Vec<String> =
        before["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect();

    let linked = freshness(&t, &id).await;
    let first_fetch = linked.last_refreshed_at.clone().expect("the first fetch counts");
    assert_eq!((linked.last_failed_at, linked.last_failure), (None, None));
    assert_eq!(millis(linked.next_refresh_at.as_deref().unwrap()) - millis(&first_fetch), 24 * HOUR);

    clock.advance(23 * HOUR);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        t.receiver
            .all()
            .iter()
            .filter(|r| r.event() == "mono.events.account_updated")
            .map(|r| r.event_id())
            .collect::<std::collections::HashSet<_>>()
            .len(),
        1,
        "not due yet"
    );

    // Ten days on (the refresh runs once, when it is first due), the bank has new records.
    clock.advance(10 * 24 * HOUR);
    let refreshed = updates(&t, 2).await.remove(1);
    assert_eq!(refreshed["data"]["meta"]["sync_status"], "SUCCESSFUL");
    assert_eq!(refreshed["data"]["meta"]["has_new_data"], true);
    let fresh = freshness(&t, &id).await;
    let refreshed_at = millis(fresh.last_refreshed_at.as_deref().unwrap());
    assert!(refreshed_at >= millis(&first_fetch) + 33 * HOUR, "the refresh is the last success");
    assert!(millis(fresh.next_refresh_at.as_deref().unwrap()) > refreshed_at, "and the next one is due after it");
    let (_, after) = t.get(&format!("/v2/accounts/{id}/transactions?paginate=false")).await;
    let after_ids: Vec<String> =
        after["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect();
    assert!(after_ids.len() > before_ids.len());
    for old in &before_ids {
        assert!(after_ids.contains(old), "old transactions keep their ids");
    }
    let unique: std::collections::HashSet<_> = after["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["date"].to_string(), t["narration"].to_string(), t["amount"].to_string()))
        .collect();
    assert_eq!(unique.len(), after_ids.len(), "no transaction stored twice");
    assert_eq!(after["meta"]["total"].as_u64().unwrap() as usize, after_ids.len());
}

#[tokio::test]
async fn an_app_can_refresh_every_six_hours() {
    let (t, clock) = with_clock().await;
    let (status, body) =
        t.send_json(reqwest::Method::PUT, "/passbook/v1/settings", t.key(), json!({"refresh_interval_hours": 5})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) =
        t.send_json(reqwest::Method::PUT, "/passbook/v1/settings", t.key(), json!({"refresh_interval_hours": 6})).await;
    assert_eq!(status, StatusCode::OK);
    t.link("six-1", "user_good").await;
    updates(&t, 1).await;
    clock.advance(6 * HOUR + 60_000);
    let refreshed = updates(&t, 2).await.remove(1);
    assert_eq!(refreshed["data"]["meta"]["sync_status"], "SUCCESSFUL");
}

#[tokio::test]
async fn a_shorter_interval_moves_the_next_refresh_in_answers_already_kept() {
    let (t, _clock) = with_clock().await;
    t.link("six-2", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    let daily = freshness(&t, &id).await; // read, and kept by its ETag
    t.api().set_refresh_interval(6).await.unwrap();
    let sooner = freshness(&t, &id).await;
    let (daily_at, sooner_at) =
        (millis(daily.next_refresh_at.as_deref().unwrap()), millis(sooner.next_refresh_at.as_deref().unwrap()));
    // Six hours after the account's last write instead of a day after the link.
    assert!((daily_at - sooner_at - 18 * HOUR).abs() <= 1_000, "{daily:?} then {sooner:?}");
}

#[tokio::test]
async fn realtime_data_runs_one_job_per_five_minutes() {
    let (t, clock) = with_clock().await;
    t.link("rt-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    let res = realtime_get(&t, &format!("/v2/accounts/{id}/balance")).await;
    let job_id = res.headers()["x-job-id"].to_str().unwrap().to_string();
    assert_eq!(res.headers()["x-job-status"], "finished");
    assert_eq!(res.headers()["x-has-new-data"], "false", "nothing changed at the bank since the link");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["data"]["balance"].is_i64());

    let jobs = t.receiver.wait_for("mono.accounts.jobs.update", 1).await;
    let job_event = jobs[0].json();
    assert_eq!(job_event["data"]["id"], job_id.as_str());
    assert_eq!(job_event["data"]["name"], "jobs.accounts.sync_balance");
    assert_eq!(job_event["data"]["status"], "finished");
    let after_job = updates(&t, 2).await.remove(1);
    assert_eq!(after_job["data"]["meta"]["job_id"], job_id.as_str());
    assert_eq!(after_job["data"]["meta"]["has_new_data"], false);

    let again = realtime_get(&t, &format!("/v2/accounts/{id}/transactions")).await;
    assert_eq!(again.headers()["x-job-id"].to_str().unwrap(), job_id, "within five minutes the last job answers");
    let (status, job) = t.get(&format!("/v2/accounts/{id}/jobs/{job_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(job["message"], "Job execution completed");
    assert_eq!(job["data"]["status"], "finished");

    let (_, before) = t.get(&format!("/v2/accounts/{id}/transactions?limit=1")).await;
    clock.advance(24 * HOUR - 1); // not yet due for the scheduled refresh
    let later = realtime_get(&t, &format!("/v2/accounts/{id}/transactions")).await;
    assert_ne!(later.headers()["x-job-id"].to_str().unwrap(), job_id);
    let (_, after) = t.get(&format!("/v2/accounts/{id}/transactions?limit=1")).await;
    let grew = after["meta"]["total"].as_u64() > before["meta"]["total"].as_u64();
    let flag = later.headers()["x-has-new-data"].to_str().unwrap().to_string();
    assert_eq!(flag, grew.to_string(), "x-has-new-data says whether the day brought new records");
    let (status, _) = t.get(&format!("/v2/accounts/{id}/jobs/000000000000000000000000")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reauthorisation_required_then_renewed_keeps_the_account_id() {
    let (t, clock) = with_clock().await;
    t.link("reauth-1", "user_reauth").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    updates(&t, 1).await;

    clock.advance(25 * HOUR);
    let failed = updates(&t, 2).await.remove(1);
    assert_eq!(failed["data"]["meta"]["sync_status"], "REAUTHORISATION_REQUIRED");
    assert_eq!(failed["data"]["meta"]["data_status"], "AVAILABLE", "the data already fetched stays readable");
    let stale = freshness(&t, &id).await;
    assert_eq!(stale.last_failure.as_deref(), Some("reauthorisation_required"));
    assert!(stale.last_failed_at.is_some() && stale.last_refreshed_at.is_some(), "{stale:?}");
    assert_eq!(stale.next_refresh_at, None, "nothing is scheduled until the user logs in again");
    let res = realtime_get(&t, &format!("/v2/accounts/{id}/balance")).await;
    assert_eq!(res.headers()["x-job-status"], "failed");

    let (status, body) = t.post_json("/v2/accounts/initiate", json!({"scope": "reauth", "account": id, "meta": {"ref": "reauth-2"}, "redirect_url": "https://app.example.com/linked"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["scope"], "reauth");
    assert_eq!(data["account"], id.as_str());
    assert_eq!(data["institution"], GTBANK);
    assert_eq!(data["auth_method"], "internet_banking");
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    assert_eq!(page.heading().await, "Log in to GTBank Internet Banking");
    page.login("user_good", "123456").await;
    let refused = page.html().await.1;
    assert!(refused.contains("does not hold the account you are re-authorising"), "another login cannot renew it");
    assert!(!refused.contains("6789") && !refused.contains("ending"), "nor learn its last digits: {refused}");
    page.login("user_reauth", "123456").await;
    assert_eq!(page.heading().await, "Account linked");

    let reauthorized = t.receiver.wait_for("mono.events.account_reauthorized", 1).await.remove(0).json();
    assert_eq!(reauthorized["data"]["account"]["_id"], id.as_str());
    let after = updates(&t, 4).await.remove(3);
    assert_eq!(after["data"]["account"]["_id"], id.as_str());
    // The fetch after the new login is the last success (its webhook may come after the others).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let renewed = loop {
        let now = freshness(&t, &id).await;
        if now.last_refreshed_at > stale.last_refreshed_at {
            break now;
        }
        if std::time::Instant::now() >= deadline {
            let seen: Vec<String> =
                t.receiver.all().iter().map(|r| format!("{} {}", r.event(), r.json()["data"]["meta"])).collect();
            panic!("no success after the new login: {now:?}\n{seen:#?}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert!(renewed.next_refresh_at.is_some(), "refreshes are scheduled again");
    assert_eq!(renewed.last_failure, stale.last_failure, "the last failure stays on record");
    let order: Vec<String> = t.receiver.all().iter().map(|r| r.event()).collect();
    let reauth_at = order.iter().position(|e| e == "mono.events.account_reauthorized").unwrap();
    assert!(order[reauth_at + 1..].contains(&"mono.events.account_updated".to_string()));

    clock.advance(6 * 60_000); // past the five-minute window of the failed real-time job
    let res = realtime_get(&t, &format!("/v2/accounts/{id}/balance")).await;
    assert_eq!(res.headers()["x-job-status"], "finished", "refreshes work again");
    let (status, body) = t.post_json("/v2/accounts/initiate", json!({"scope": "reauth"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("account is required"));
}
