//! `/passbook/v1`: inspecting, replaying and testing webhooks; secret rotation; metrics. These
//! go through `passbook-client`, as an app would.
use std::time::Duration;

use axum::http::StatusCode;
use passbook_client::Error;
use passbook_client::types::passbook::{EventsQuery, ReplayRequest, SandboxWebhookIn};

use crate::support::*;
use crate::webhooks::wait_for_status;

fn events(filter: &[(&str, &str)]) -> EventsQuery {
    let mut query = EventsQuery::default();
    for (name, value) in filter {
        let value = Some(value.to_string());
        match *name {
            "status" => query.status = value,
            "event" => query.event = value,
            "account" => query.account = value,
            "since" => query.since = value,
            other => panic!("no filter {other}"),
        }
    }
    query
}

/// The message of a refusal with `status`.
fn refused<T: std::fmt::Debug>(answer: Result<T, Error>, status: u16) -> String {
    match answer {
        Err(Error::Api { status: got, message, .. }) if got == status => message,
        other => panic!("expected a {status} refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn events_are_listed_filtered_and_shown_with_their_attempts() {
    let t = TestApp::spawn().await;
    t.link("ev-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.receiver.wait_for("mono.events.account_updated", 1).await;
    let api = t.api();
    let list = api.events(&EventsQuery::default()).await.unwrap();
    assert_eq!(list.meta.total, 2);
    let newest = &list.data[0];
    assert_eq!(newest.event, "mono.events.account_updated");
    assert_eq!(newest.account.as_deref(), Some(id.as_str()));
    assert_eq!(newest.sequence, 2);
    assert_eq!(newest.payload["sequence"], 2);
    let connected = [("event", "mono.events.account_connected"), ("account", &id), ("status", "delivered")];
    let filtered = api.events(&events(&connected)).await.unwrap();
    assert_eq!(filtered.meta.total, 1);
    assert_eq!(api.events(&events(&[("status", "failed")])).await.unwrap().meta.total, 0);
    assert_eq!(api.events(&events(&[("since", "2999-01-01")])).await.unwrap().meta.total, 0);

    let event_id = filtered.data[0].id.clone();
    let one = api.event(&event_id).await.unwrap();
    let attempt = &one.delivery_attempts.expect("the event's attempts")[0];
    assert_eq!(attempt.status_code, Some(200));
    assert_eq!(one.payload["event_id"], event_id.as_str());

    let bad = refused(api.events(&events(&[("status", "lost")])).await, 400);
    assert!(bad.contains("status must be pending, delivered or failed"), "{bad}");
    refused(api.event("nope").await, 404);
    let other = t.server.as_ref().unwrap().passbook.create_app("Other", None).await.unwrap();
    let stranger = passbook_client::Client::new(&t.base, &other.secret_key);
    refused(stranger.event(&event_id).await, 404);
}

#[tokio::test]
async fn failed_events_are_replayed_one_by_one_or_by_range() {
    let t = TestApp::spawn().await;
    t.receiver.fail_next(&[StatusCode::GONE, StatusCode::GONE]);
    let first = send_test(&t).await;
    wait_for_status(&t, &first, "failed").await;
    let second = send_test(&t).await;
    wait_for_status(&t, &second, "failed").await;

    let api = t.api();
    assert_eq!(api.replay_event(&first).await.unwrap().replayed, 1);
    wait_for_status(&t, &first, "delivered").await;
    api.replay_event(&second).await.unwrap();
    wait_for_status(&t, &second, "delivered").await;

    t.receiver.fail_next(&[StatusCode::GONE; 3]);
    let ids = [send_test(&t).await, send_test(&t).await, send_test(&t).await];
    for id in &ids {
        wait_for_status(&t, id, "failed").await;
    }
    let range = ReplayRequest { status: Some("failed".into()), since: Some("2000-01-01".into()), ..Default::default() };
    assert_eq!(api.replay_events(&range).await.unwrap().replayed, 3);
    for id in &ids {
        wait_for_status(&t, id, "delivered").await;
    }
    let deliveries: Vec<_> = t.receiver.all().iter().filter(|r| r.event_id() == ids[0]).map(|r| r.status).collect();
    assert_eq!(deliveries, [StatusCode::GONE, StatusCode::OK], "a replay sends the same event again");
    let pending = ReplayRequest { status: Some("pending".into()), ..Default::default() };
    refused(api.replay_events(&pending).await, 400);
}

#[tokio::test]
async fn webhook_url_is_read_and_changed() {
    let t = TestApp::spawn().await;
    let api = t.api();
    assert_eq!(api.webhook().await.unwrap().url.as_deref(), Some(t.receiver.url.as_str()));
    let bad = refused(api.set_webhook(Some("ftp://example.com")).await, 400);
    assert!(bad.contains("webhook_url must be an absolute http(s) URL"), "{bad}");
    let other = Receiver::start().await;
    assert_eq!(api.set_webhook(Some(&other.url)).await.unwrap().url.as_deref(), Some(other.url.as_str()));
    send_test(&t).await;
    let tests = other.wait_for("mono.events.webhook_test", 1).await;
    assert_eq!(tests[0].json()["data"]["app"], t.app.app.id.as_str());
    assert!(t.receiver.all().is_empty());
}

#[tokio::test]
async fn a_rotated_secret_signs_alongside_the_old_one_during_the_overlap() {
    let t = TestApp::spawn().await;
    let old = t.app.app.webhook_secret.clone();
    let api = t.api();
    let new = api.rotate_webhook_secret().await.unwrap().secret;
    assert!(new.starts_with("whsec_") && new != old);
    assert!(api.webhook().await.unwrap().secret_rotation_overlap_until.is_some());
    send_test(&t).await;
    let delivery = t.receiver.wait_for("mono.events.webhook_test", 1).await.remove(0);
    assert_eq!(delivery.header("mono-webhook-secret"), new);
    assert_eq!(delivery.header("webhook-signature").split(' ').count(), 2);
    for secret in [&old, &new] {
        standardwebhooks::Webhook::new(secret).unwrap().verify(delivery.body.as_bytes(), &delivery.headers).unwrap();
    }
    // A second rotation during the overlap would stop the old secret early: refused.
    let (status, body) = t.post_json("/passbook/v1/webhook/secret/rotate", serde_json::json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["message"].as_str().unwrap().contains("still signs until"), "{body}");
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
    t.api().send_test_webhook().await.unwrap().event_id
}

fn trigger(account: &str, event: &str) -> SandboxWebhookIn {
    SandboxWebhookIn { account: Some(account.into()), event: Some(event.into()), ..Default::default() }
}

#[tokio::test]
async fn the_sandbox_sends_any_account_webhook_on_demand_in_order() {
    let t = TestApp::spawn().await;
    t.link("trigger-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    t.receiver.wait_for("mono.events.account_updated", 1).await;
    let api = t.api();
    let refresh_failed = SandboxWebhookIn {
        sync_status: Some("REAUTHORISATION_REQUIRED".into()),
        ..trigger(&id, "mono.events.account_updated")
    };
    let job_failed =
        SandboxWebhookIn { job_status: Some("failed".into()), ..trigger(&id, "mono.accounts.jobs.update") };
    for request in [
        trigger(&id, "mono.events.account_connected"),
        refresh_failed,
        job_failed,
        trigger(&id, "mono.events.account_reauthorized"),
        trigger(&id, "mono.events.account_unlinked"),
    ] {
        api.send_sandbox_webhook(&request).await.unwrap();
    }
    let all = t.receiver.wait_for_distinct("mono.events.account_unlinked", 1).await;
    assert!(!all.is_empty());
    let delivered = t.receiver.all();
    let sent: Vec<_> = delivered.iter().map(|r| (r.event(), r.json())).collect();
    let names: Vec<&str> = sent.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        names[2..],
        [
            "mono.events.account_connected",
            "mono.events.account_updated",
            "mono.accounts.jobs.update",
            "mono.events.account_reauthorized",
            "mono.events.account_unlinked"
        ],
        "after the link's own two, in the order asked"
    );
    let sequences: Vec<i64> = sent.iter().map(|(_, body)| body["sequence"].as_i64().unwrap()).collect();
    assert_eq!(sequences, [1, 2, 3, 4, 5, 6, 7], "one sequence with the account's real events");
    assert_eq!(sent[3].1["data"]["meta"]["sync_status"], "REAUTHORISATION_REQUIRED");
    assert_eq!(sent[4].1["data"]["status"], "failed");
    assert_eq!(api.account(&id).await.unwrap().account.id, id, "a triggered unlink leaves the account linked");

    for (request, needle) in [
        (trigger(&id, "mono.events.account_income"), "has its own request"),
        (trigger(&id, "mono.events.nope"), "is not a webhook Passbook sends"),
        (
            SandboxWebhookIn { sync_status: Some("MAYBE".into()), ..trigger(&id, "mono.events.account_updated") },
            "sync_status must be",
        ),
        (
            SandboxWebhookIn { event: Some("mono.events.account_connected".into()), ..Default::default() },
            "account is required",
        ),
    ] {
        let message = refused(api.send_sandbox_webhook(&request).await, 400);
        assert!(message.contains(needle), "{needle}: {message}");
    }
    let other = t.server.as_ref().unwrap().passbook.create_app("Other", None).await.unwrap();
    let stranger = passbook_client::Client::new(&t.base, &other.secret_key);
    refused(stranger.send_sandbox_webhook(&trigger(&id, "mono.events.account_connected")).await, 404);
}

#[tokio::test]
async fn production_mode_has_no_sandbox_triggers() {
    let t = TestApp::spawn_with(|c| c.sandbox_mode = false).await;
    t.link("trigger-2", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    let message = refused(t.api().send_sandbox_webhook(&trigger(&id, "mono.events.account_connected")).await, 404);
    assert!(message.contains("only in sandbox mode"), "{message}");
}
