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

#[tokio::test]
async fn standard_webhooks_library_accepts_every_delivery() {
    let t = TestApp::spawn().await;
    t.link("std-1", "user_good").await;
    let all = t.receiver.wait_for("mono.events.account_updated", 1).await;
    assert!(!all.is_empty());
    let verifier = standardwebhooks::Webhook::new(&t.app.app.webhook_secret).unwrap();
    for delivery in t.receiver.all() {
        verifier.verify(delivery.body.as_bytes(), &delivery.headers).expect("standardwebhooks accepts the delivery");
        assert!(delivery.json()["sequence"].as_i64().unwrap() >= 1);
    }
    let wrong = standardwebhooks::Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let one = &t.receiver.all()[0];
    assert!(wrong.verify(one.body.as_bytes(), &one.headers).is_err());
}

#[tokio::test]
async fn a_receiver_that_fails_for_a_while_gets_everything_in_order() {
    let t = TestApp::spawn_with(fast_retries).await;
    t.receiver.fail_next(&[StatusCode::INTERNAL_SERVER_ERROR; 7]);
    link_many(&t, "flaky", "user_good", 4).await;
    let all = t.receiver.wait_for_acknowledged(8, Duration::from_secs(30)).await;
    assert!(all.len() >= 15, "the failures were retried: {}", all.len());
    assert_delivered_in_order(&all, 8);
}

#[tokio::test]
async fn a_timed_out_attempt_is_retried_and_logged() {
    let t = TestApp::spawn_with(|c| {
        fast_retries(c);
        c.webhook_timeout = Duration::from_millis(300);
    })
    .await;
    t.receiver.reply_next(&[Reply { delay: Duration::from_secs(2), ..Reply::from(StatusCode::OK) }]);
    t.link("slow-hook-1", "user_good").await;
    t.receiver.wait_for("mono.events.account_updated", 1).await;
    let (_, list) = t.get("/passbook/v1/events?event=mono.events.account_connected").await;
    let id = list["data"][0]["id"].as_str().unwrap();
    let (_, event) = t.get(&format!("/passbook/v1/events/{id}")).await;
    let attempts = event["data"]["delivery_attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{event}");
    assert_eq!(attempts[0]["error"], "the endpoint did not answer in time");
    assert!(attempts[0]["next_attempt_at"].is_string());
    assert_eq!(attempts[1]["status_code"], 200);
    assert_eq!(event["data"]["status"], "delivered");
}

/// What a receiver answers is kept as it came, whatever it holds: on PostgreSQL the dispatcher's
/// turn writes it into its query as a literal (`postgres_turn`), and PostgreSQL's text cannot hold
/// a NUL, which had every record of such an answer refused (the event sent again after its lease,
/// for ever).
#[tokio::test]
async fn a_receivers_answer_is_kept_as_it_came_whatever_it_holds() {
    const ANSWER: &str = "it's \\'; DELETE FROM events; --\n$1 E'\\x00' ünïcödé \0 end";
    let t = TestApp::spawn_with(fast_retries).await;
    t.receiver.reply_next(&[Reply { body: Some(ANSWER), ..Reply::from(StatusCode::INTERNAL_SERVER_ERROR) }]);
    let id = t.api().send_test_webhook().await.unwrap().event_id;
    wait_for_status(&t, &id, "delivered").await;
    let passbook = &t.server.as_ref().unwrap().passbook;
    let history = passbook.console().event(&t.app.app.id, &id.as_str().into()).await.unwrap();
    let excerpts: Vec<_> = history.attempts.iter().map(|a| a.response_excerpt.as_deref()).collect();
    let kept = ANSWER.replace('\0', "\u{FFFD}");
    assert_eq!(excerpts, [Some(kept.as_str()), Some("receiver answered 200")]);
    assert_eq!(history.attempts[0].error.as_deref(), Some("the endpoint answered 500 Internal Server Error"));
}

/// A delivery whose record the database refuses (its event deleted meanwhile, by an unlink)
/// costs the delivery recorded beside it nothing: that one is recorded, not sent again after its
/// lease. The turn that held both fails whole (on PostgreSQL one multi-statement query, which
/// must leave its connection fit for the next turn); the dispatcher then records one by one.
#[tokio::test]
async fn a_record_refused_costs_the_delivery_beside_it_nothing() {
    use passbook_client::types::passbook::SandboxWebhookIn;
    use sqlx::Row;
    let t = TestApp::spawn().await;
    t.link("refused-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.receiver.wait_for("mono.events.account_updated", 1).await;
    let api = t.api();
    t.receiver.set_open(false);
    let event = Some("mono.events.account_reauthorized".into());
    api.send_sandbox_webhook(&SandboxWebhookIn { account: Some(id.clone()), event, ..Default::default() })
        .await
        .unwrap();
    let test = api.send_test_webhook().await.unwrap().event_id;
    let mut db = database(&t).await;
    let in_flight = "SELECT COUNT(*) FROM events WHERE status = 'pending' AND locked_until IS NOT NULL";
    eventually("both deliveries in flight", async || {
        sqlx::query(in_flight).fetch_one(&mut db).await.unwrap().get::<i64, _>(0) == 2
    })
    .await;
    let (status, body) = t.post_json(&format!("/v2/accounts/{id}/unlink"), serde_json::json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    t.receiver.set_open(true);
    wait_for_status(&t, &test, "delivered").await;
    t.receiver.wait_for("mono.events.account_unlinked", 1).await;
    let tests = t.receiver.all().iter().filter(|r| r.event() == "mono.events.webhook_test").count();
    assert_eq!(tests, 1, "the test event was recorded as delivered, not sent again");
}

/// The worker keeps the apps it delivers for between claims; a webhook URL changed by another
/// process (here the CLI) still reaches the very next delivery.
#[tokio::test]
async fn a_webhook_url_changed_by_another_process_applies_to_the_next_delivery() {
    let t = TestApp::spawn().await;
    let api = t.api();
    let first = api.send_test_webhook().await.unwrap();
    wait_for_status(&t, &first.event_id, "delivered").await;

    let other = Receiver::start().await;
    let out = passbook_cli(&t, &["apps", "set-webhook", &t.app.app.id, &other.url]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let second = api.send_test_webhook().await.unwrap();
    let got = other.wait_for("mono.events.webhook_test", 1).await;
    assert_eq!(got[0].event_id(), second.event_id);
    let tests_at_first: Vec<_> = t
        .receiver
        .all()
        .into_iter()
        .filter(|r| r.event() == "mono.events.webhook_test")
        .map(|r| r.event_id())
        .collect();
    assert_eq!(tests_at_first, [first.event_id], "the old URL got only the event sent before the change");
}

/// A worker stopping gives back the leases of the events it leased ahead and had not sent yet,
/// so that they go out as soon as a worker runs again, not when their lease (40 s) ends.
#[tokio::test]
async fn a_stopping_worker_gives_back_what_it_had_not_sent() {
    let mut t = TestApp::spawn_with(|c| {
        c.webhook_concurrency_per_app = 1;
        c.webhook_timeout = Duration::from_secs(2);
        c.webhook_lease = Duration::from_secs(40);
    })
    .await;
    t.receiver.set_open(false);
    let api = t.api();
    let mut sent = Vec::new();
    for _ in 0..4 {
        sent.push(api.send_test_webhook().await.unwrap().event_id);
    }
    eventually("one delivery held at the receiver", async || t.receiver.most_at_once() == 1).await;

    t.restart(|_| {}).await;
    t.receiver.set_open(true);
    let got = t.receiver.wait_for_distinct("mono.events.webhook_test", 3).await;
    let ids: Vec<String> = got.iter().map(Received::event_id).collect();
    assert!(ids.iter().all(|id| sent.contains(id)), "{ids:?}");
}

#[tokio::test]
async fn retry_after_replaces_the_scheduled_delay() {
    let t = TestApp::spawn_with(fast_retries).await;
    t.receiver.reply_next(&[Reply { retry_after: Some(2), ..Reply::from(StatusCode::SERVICE_UNAVAILABLE) }]);
    let (_, sent) = t.post_json("/passbook/v1/webhook/test", serde_json::json!({})).await;
    let id = sent["data"]["event_id"].as_str().unwrap().to_string();
    t.receiver.wait_for("mono.events.webhook_test", 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, event) = t.get(&format!("/passbook/v1/events/{id}")).await;
    let attempt = &event["data"]["delivery_attempts"][0];
    assert_eq!(attempt["status_code"], 503);
    let at = passbook_domain::Timestamp::parse_iso(attempt["attempted_at"].as_str().unwrap()).unwrap();
    let next = passbook_domain::Timestamp::parse_iso(attempt["next_attempt_at"].as_str().unwrap()).unwrap();
    assert!(next.0 - at.0 >= 1900, "Retry-After: 2 was honoured over the 50 ms schedule: {attempt}");
    assert_eq!(event["data"]["status"], "pending");
}

#[tokio::test]
async fn one_slow_endpoint_does_not_hold_up_other_apps() {
    let t = TestApp::spawn().await;
    t.receiver.set_open(false);
    link_many(&t, "stuck", "user_good", 6).await;
    let other_receiver = Receiver::start().await;
    let passbook = &t.server.as_ref().unwrap().passbook;
    let other = passbook.create_app("Other", Some(&other_receiver.url)).await.unwrap();
    for _ in 0..5 {
        let (status, _) = t
            .send_json(reqwest::Method::POST, "/passbook/v1/webhook/test", &other.secret_key, serde_json::json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    other_receiver.wait_for("mono.events.webhook_test", 5).await;
    assert!(t.receiver.all().is_empty(), "the first app's endpoint is still holding every request");
    t.receiver.set_open(true);
    let all = t
        .receiver
        .wait_until(Duration::from_secs(30), "12 acknowledged", |all| {
            all.iter().filter(|r| r.acknowledged()).count() >= 12
        })
        .await;
    assert_delivered_in_order(&all, 12);
}

#[tokio::test]
async fn production_mode_refuses_internal_addresses_when_set_and_when_called() {
    let mut t = TestApp::spawn().await;
    // URLs set while private addresses were allowed (sandbox mode), then production mode.
    let by_name = t.receiver.url.replace("127.0.0.1", "localhost");
    let (status, _) =
        t.send_json(reqwest::Method::PUT, "/passbook/v1/webhook", t.key(), serde_json::json!({"url": by_name})).await;
    assert_eq!(status, StatusCode::OK);
    t.restart(|c| c.allow_private_webhooks = false).await;

    for url in [
        t.receiver.url.clone(),
        "http://localhost:9/hooks".into(),
        "http://[::ffff:127.0.0.1]/hooks".into(),
        "http://[64:ff9b::a00:1]/hooks".into(),
        "http://198.18.0.1/hooks".into(),
        "http://[2002:a00:1::]/hooks".into(),
    ] {
        let (status, body) =
            t.send_json(reqwest::Method::PUT, "/passbook/v1/webhook", t.key(), serde_json::json!({"url": url})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert!(body["message"].as_str().unwrap().contains("webhook_url must reach a public address"), "{body}");
    }

    assert_refused(&t, "localhost").await;
    // A name that only DNS shows to be internal: this machine's own name, where it resolves to
    // loopback (it does on the CI machines). It is set in the database, as an operator's
    // earlier sandbox setting would be.
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default().trim().to_string();
    let resolved: Vec<_> = tokio::net::lookup_host((host.as_str(), 80)).await.map(|a| a.collect()).unwrap_or_default();
    if !host.is_empty() && !resolved.is_empty() && resolved.iter().all(|a: &std::net::SocketAddr| a.ip().is_loopback())
    {
        let url = t.receiver.url.replace("127.0.0.1", &host);
        let passbook = &t.server.as_ref().unwrap().passbook;
        let audit = passbook_domain::model::AuditEntry {
            actor: "test".into(),
            app_id: t.app.app.id.to_string(),
            action: "webhook_url_changed".into(),
            subject: t.app.app.id.to_string(),
            detail: url.clone(),
            at: passbook.now(),
        };
        passbook.store().set_webhook_url(&t.app.app.id, Some(&url), &audit).await.unwrap();
        assert_refused(&t, &host).await;
    }
    assert!(t.receiver.all().is_empty());
}

/// A test webhook sent now fails at once, refused for `host`.
async fn assert_refused(t: &TestApp, host: &str) {
    let sent = t.api().send_test_webhook().await.unwrap();
    let event = wait_for_status(t, &sent.event_id, "failed").await;
    let error = event.last_error.unwrap_or_default();
    assert!(error.starts_with("refused:") && error.contains(host), "{error}");
    assert_eq!(event.delivery_attempts.unwrap_or_default().len(), 1, "a refusal is not retried");
}

/// Waits until the event's status is `status`; the event with its attempts.
pub async fn wait_for_status(t: &TestApp, id: &str, status: &str) -> passbook_client::types::passbook::EventOut {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let api = t.api();
    loop {
        let event = api.event(id).await.unwrap();
        if event.status == status {
            return event;
        }
        assert!(std::time::Instant::now() < deadline, "event {id} never became {status}: {event:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
