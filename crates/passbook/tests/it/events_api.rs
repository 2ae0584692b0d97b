//! `/passbook/v1`: inspecting, replaying and testing webhooks; secret rotation; metrics.
use std::time::Duration;

use axum::http::StatusCode;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;
use crate::webhooks::wait_for_status;

#[tokio::test]
async fn events_are_listed_filtered_and_shown_with_their_attempts() {
    let t = TestApp::spawn().await;
    t.link("ev-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.receiver.wait_for("mono.events.account_updated", 1).await;
    let (status, list) = t.get("/passbook/v1/events").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["meta"]["total"], 2);
    let newest = &list["data"][0];
    assert_eq!(newest["event"], "mono.events.account_updated");
    assert_eq!(newest["account"], id.as_str());
    assert_eq!(newest["sequence"], 2);
    assert_eq!(newest["payload"]["sequence"], 2);
    let (_, filtered) =
        t.get(&format!("/passbook/v1/events?event=mono.events.account_connected&account={id}&status=delivered")).await;
    assert_eq!(filtered["meta"]["total"], 1);
    let (_, none) = t.get("/passbook/v1/events?status=failed").await;
    assert_eq!(none["meta"]["total"], 0);
    let (_, later) = t.get("/passbook/v1/events?since=2999-01-01").await;
    assert_eq!(later["meta"]["total"], 0);

    let event_id = filtered["data"][0]["id"].as_str().unwrap();
    let (_, one) = t.get(&format!("/passbook/v1/events/{event_id}")).await;
    let attempt = &one["data"]["delivery_attempts"][0];
    assert_eq!(attempt["status_code"], 200);
    assert!(attempt["latency_ms"].is_u64());
    assert_eq!(one["data"]["payload"]["event_id"], event_id);

    let (status, bad) = t.get("/passbook/v1/events?status=lost").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["message"].as_str().unwrap().contains("status must be pending, delivered or failed"));
    let (status, _) = t.get("/passbook/v1/events/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other = t.server.as_ref().unwrap().passbook.create_app("Other", None).await.unwrap();
    let (status, _) = t.get_with_key(&format!("/passbook/v1/events/{event_id}"), &other.secret_key).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another app's events are invisible");
}

#[tokio::test]
async fn failed_events_are_replayed_one_by_one_or_by_range() {
    let t = TestApp::spawn().await;
    t.receiver.fail_next(&[StatusCode::GONE, StatusCode::GONE]);
    let first = send_test(&t).await;
    wait_for_status(&t, &first, "failed").await;
    let second = send_test(&t).await;
    wait_for_status(&t, &second, "failed").await;

    let (status, replayed) = t.post_json(&format!("/passbook/v1/events/{first}/replay"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{replayed}");
    wait_for_status(&t, &first, "delivered").await;
    let (status, conflict) = t.post_json(&format!("/passbook/v1/events/{second}/replay"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{conflict}");
    wait_for_status(&t, &second, "delivered").await;

    t.receiver.fail_next(&[StatusCode::GONE; 3]);
    let ids = [send_test(&t).await, send_test(&t).await, send_test(&t).await];
    for id in &ids {
        wait_for_status(&t, id, "failed").await;
    }
    let (_, result) =
        t.post_json("/passbook/v1/events/replay", json!({"status": "failed", "since": "2000-01-01"})).await;
    assert_eq!(result["data"]["replayed"], 3);
    for id in &ids {
        wait_for_status(&t, id, "delivered").await;
    }
    let deliveries: Vec<_> = t.receiver.all().iter().filter(|r| r.event_id() == ids[0]).map(|r| r.status).collect();
    assert_eq!(deliveries, [StatusCode::GONE, StatusCode::OK], "a replay sends the same event again");
    let (status, body) = t.post_json("/passbook/v1/events/replay", json!({"status": "pending"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn webhook_url_is_read_and_changed() {
    let t = TestApp::spawn().await;
    let (_, got) = t.get("/passbook/v1/webhook").await;
    assert_eq!(got["data"]["url"], t.receiver.url.as_str());
    let (status, bad) =
        t.send_json(Method::PUT, "/passbook/v1/webhook", t.key(), json!({"url": "ftp://example.com"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["message"].as_str().unwrap().contains("webhook_url must be an absolute http(s) URL"));
    let other = Receiver::start().await;
    let (status, put) = t.send_json(Method::PUT, "/passbook/v1/webhook", t.key(), json!({"url": other.url})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(put["data"]["url"], other.url.as_str());
    send_test(&t).await;
    let tests = other.wait_for("mono.events.webhook_test", 1).await;
    assert_eq!(tests[0].json()["data"]["app"], t.app.app.id.as_str());
    assert!(t.receiver.all().is_empty());
}

#[tokio::test]
async fn a_rotated_secret_signs_alongside_the_old_one_during_the_overlap() {
    let t = TestApp::spawn().await;
    let old = t.app.app.webhook_secret.clone();
    let (status, rotated) = t.post_json("/passbook/v1/webhook/secret/rotate", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let new = rotated["data"]["secret"].as_str().unwrap().to_string();
    assert!(new.starts_with("whsec_") && new != old);
    assert!(rotated["data"]["previous_secret_valid_until"].is_string());
    let (_, settings) = t.get("/passbook/v1/webhook").await;
    assert!(settings["data"]["secret_rotation_overlap_until"].is_string());
    send_test(&t).await;
    let delivery = t.receiver.wait_for("mono.events.webhook_test", 1).await.remove(0);
    assert_eq!(delivery.header("mono-webhook-secret"), new);
    assert_eq!(delivery.header("webhook-signature").split(' ').count(), 2);
    for secret in [&old, &new] {
        standardwebhooks::Webhook::new(secret).unwrap().verify(delivery.body.as_bytes(), &delivery.headers).unwrap();
    }
}

#[tokio::test]
async fn metrics_report_attempts_and_the_queue() {
    let t = TestApp::spawn().await;
    t.link("metrics-1", "user_good").await;
    t.receiver.wait_for("mono.events.account_updated", 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let text = t.http.get(format!("{}/metrics", t.base)).send().await.unwrap().text().await.unwrap();
    for needle in [
        "passbook_webhook_attempts_total{outcome=\"delivered\"} 2",
        "passbook_webhook_events{status=\"delivered\"} 2",
        "passbook_webhook_events{status=\"pending\"} 0",
        "passbook_webhook_events_created_total{event=\"mono.events.account_connected\"} 1",
        "passbook_webhook_delivery_latency_seconds_count 2",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

async fn send_test(t: &TestApp) -> String {
    let (status, sent): (StatusCode, Value) = t.post_json("/passbook/v1/webhook/test", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    sent["data"]["event_id"].as_str().unwrap().to_string()
}
