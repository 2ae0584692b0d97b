//! Webhook delivery: authentic, ordered per account, retried, and durable across restarts.
use std::time::Duration;

use axum::http::StatusCode;
use passbook_domain::webhook_signature;

use crate::support::*;

#[tokio::test]
async fn deliveries_carry_both_authentication_schemes() {
    let t = TestApp::spawn().await;
    t.link("sig-1", "user_good").await;
    let all = t.receiver.wait_for("mono.events.account_updated", 1).await;
    let secret = &t.app.app.webhook_secret;
    assert!(secret.starts_with("whsec_"));
    for delivery in t.receiver.all().iter().chain(all.iter()) {
        assert_eq!(delivery.header("mono-webhook-secret"), secret);
        assert_eq!(delivery.header("content-type"), "application/json");
        let body = delivery.json();
        assert_eq!(delivery.header("webhook-id"), body["event_id"].as_str().unwrap());
        let timestamp: i64 = delivery.header("webhook-timestamp").parse().unwrap();
        let expected =
            webhook_signature::sign(secret, delivery.header("webhook-id"), timestamp, &delivery.body).unwrap();
        assert_eq!(delivery.header("webhook-signature"), expected);
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    }
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_event_again_and_order_holds() {
    let t = TestApp::spawn().await;
    t.receiver.fail_next(&[StatusCode::INTERNAL_SERVER_ERROR]);
    t.link("retry-1", "user_good").await;
    let all = t
        .receiver
        .wait_until(Duration::from_secs(20), "the retried delivery and the update", |all| {
            all.iter().any(|r| r.event() == "mono.events.account_updated")
        })
        .await;
    let events: Vec<_> = all.iter().map(|r| r.event()).collect();
    assert_eq!(
        events,
        ["mono.events.account_connected", "mono.events.account_connected", "mono.events.account_updated"],
        "account_updated waits until account_connected is delivered"
    );
    assert_eq!(all[0].json()["event_id"], all[1].json()["event_id"], "a retry is the same event");
    assert_eq!(all[0].body, all[1].body);
}

#[tokio::test]
async fn gone_endpoints_are_not_retried() {
    let t = TestApp::spawn().await;
    t.receiver.fail_next(&[StatusCode::GONE]);
    t.link("gone-1", "user_good").await;
    t.receiver.wait_for("mono.events.account_updated", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events: Vec<_> = t.receiver.all().iter().map(|r| r.event()).collect();
    assert_eq!(events, ["mono.events.account_connected", "mono.events.account_updated"]);
}

#[tokio::test]
async fn events_written_before_a_restart_are_delivered_after_it() {
    let mut t = TestApp::spawn_with(|c| c.workers = false).await;
    t.link("restart-1", "user_good").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(t.receiver.all().is_empty(), "no worker ran yet");
    t.restart(|c| c.workers = true).await;
    let updated = t.receiver.wait_for("mono.events.account_updated", 1).await;
    assert_eq!(updated[0].json()["data"]["meta"]["data_status"], "AVAILABLE");
    let events: Vec<_> = t.receiver.all().iter().map(|r| r.event()).collect();
    assert_eq!(events, ["mono.events.account_connected", "mono.events.account_updated"]);
}
