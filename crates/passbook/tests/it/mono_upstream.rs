//! Mono as the upstream, tested against a second Passbook in sandbox mode playing Mono: the
//! user links at "Mono"'s page, Mono's webhook announces the account to Passbook, and Passbook
//! serves the data it read with the operator's key, through the same API and webhooks.
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use passbook_client::types::accounts::TransactionsQuery;
use passbook_domain::Clock;
use passbook_domain::clock::ManualClock;
use passbook_institutions::MonoOptions;
use serde_json::json;

use crate::fault_proxy::{Fault, FaultProxy};
use crate::support::*;

/// "Mono" (a sandbox Passbook whose app is the operator's Mono account) and the operator's
/// Passbook in front of it, with "Mono"'s webhooks pointed at Passbook.
pub(crate) async fn mono_and_passbook() -> (TestApp, TestApp) {
    mono_on_clock(Arc::new(ManualClock::new(passbook_domain::SystemClock.now())), None, |_| {}).await
}

/// With `front`, Passbook reaches "Mono" through that proxy.
async fn mono_on_clock(
    clock: Arc<ManualClock>,
    front: Option<&FaultProxy>,
    adjust: impl FnOnce(&mut passbook::Config) + Send + 'static,
) -> (TestApp, TestApp) {
    let mono = TestApp::spawn_with(move |c| c.clock = clock).await;
    if let Some(proxy) = front {
        proxy.point_at(&mono.base);
    }
    let options = MonoOptions {
        base_url: front.map_or_else(|| mono.base.clone(), |proxy| proxy.url.clone()),
        secret_key: mono.key().to_string(),
        webhook_secret: mono.app.app.webhook_secret.clone(),
        realtime_per_day: 10,
        timeout: Duration::from_secs(10),
    };
    let passbook = TestApp::spawn_with(move |c| {
        c.mono = Some(options);
        adjust(c);
    })
    .await;
    let hook = format!("{}/passbook/v1/connectors/mono/notifications", passbook.base);
    let (status, body) =
        mono.send_json(reqwest::Method::PUT, "/passbook/v1/webhook", mono.key(), json!({"url": hook})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (mono, passbook)
}

/// Links `username`'s account at GTBank through Passbook's page and Mono's; Passbook's id.
pub(crate) async fn link_through_mono(mono: &TestApp, passbook: &TestApp, reference: &str, username: &str) -> String {
    let data = passbook.initiate(reference, json!({})).await;
    let page = passbook.open(data["mono_url"].as_str().unwrap()).await;
    page.choose_institution(GTBANK).await;
    page.post("auth-method", &[("auth_method", "open_banking")]).await;
    at_mono_and_back(mono, passbook, &page, username).await;
    connected_ids(&passbook.receiver, 1).await.remove(0)
}

/// From Passbook's consent step to Mono's page, the login there, and back.
async fn at_mono_and_back(mono: &TestApp, passbook: &TestApp, page: &LinkPage, username: &str) {
    assert_eq!(page.heading().await, "Connect GTBank with open banking");
    let (status, at_mono) = page.post("consent-start", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(at_mono.starts_with(&format!("{}/link/", mono.base)), "the user goes to Mono's page: {at_mono}");

    let mono_page = mono.page(&at_mono);
    mono_page.post("consent", &[]).await;
    mono_page.login(username, "123456").await;
    assert_eq!(mono_page.heading().await, "Account linked");
    let back = mono_page.continue_to_app().await;
    assert!(back.contains("/consent-return?") && back.contains("status=successful"), "{back}");
    let returned = passbook.http.get(&back).send().await.unwrap();
    assert_eq!(returned.status(), 303);
    assert_eq!(page.heading().await, "Account linked");
}

#[tokio::test]
async fn an_account_linked_at_mono_is_served_by_passbook() {
    let (mono, passbook) = mono_and_passbook().await;
    let (_, listed) = passbook.get("/v3/institutions?name=GTBank").await;
    assert_eq!(listed["data"][0]["id"], GTBANK, "Mono's institutions, listed as Passbook's");
    let id = link_through_mono(&mono, &passbook, "via-mono-1", "user_good").await;

    let details = passbook.wait_for_data(&id).await;
    assert_eq!(details.meta.data_status, "AVAILABLE");
    let upstream = mono.api().accounts(1).await.unwrap().data.remove(0);
    let original = mono.api().account(&upstream.id).await.unwrap();
    assert_ne!(upstream.id, id, "Passbook's account id is its own");
    assert_eq!(details.account.account_number, original.account.account_number);
    assert_eq!(details.account.balance, original.account.balance);
    assert_eq!(details.account.name, original.account.name);
    let all = TransactionsQuery { paginate: Some("false".into()), ..Default::default() };
    let ours = passbook.api().transactions(&id, &all).await.unwrap().data;
    let theirs = mono.api().transactions(&upstream.id, &all).await.unwrap().data;
    assert_eq!(ours.len(), theirs.len());
    let total = |rows: &[passbook_client::types::accounts::TransactionOut]| rows.iter().map(|t| t.amount).sum::<i64>();
    assert_eq!(total(&ours), total(&theirs));
    let identity = passbook.api().identity(&id).await.unwrap();
    assert_eq!(identity.full_name, mono.api().identity(&upstream.id).await.unwrap().full_name);

    // A real-time refresh passes through to Mono (once per five minutes per account).
    assert_eq!(realtime_refresh(&passbook, &id).await, "finished");

    // Unlinking at Passbook unlinks at Mono too.
    passbook.api().unlink(&id).await.unwrap();
    let gone = mono.api().account(&upstream.id).await.unwrap_err();
    assert!(matches!(gone, passbook_client::Error::Api { status: 404, .. }), "{gone:?}");
}

#[tokio::test]
async fn mono_notifications_are_checked() {
    let (mono, passbook) = mono_and_passbook().await;
    let url = format!("{}/passbook/v1/connectors/mono/notifications", passbook.base);
    let body = json!({"event": "mono.events.account_connected", "data": {"id": "x", "meta": {"ref": "y"}}});
    let forged = passbook.http.post(&url).header("mono-webhook-secret", "guess").json(&body).send().await.unwrap();
    assert_eq!(forged.status(), 401, "a wrong secret is refused");
    let unsigned = passbook.http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    let right = passbook
        .http
        .post(&url)
        .header("mono-webhook-secret", &mono.app.app.webhook_secret)
        .json(&json!({"event": "mono.events.account_updated", "data": {"account": {"_id": "unknown"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200, "an event about an account Passbook does not hold is taken and ignored");
    let elsewhere = passbook
        .http
        .post(format!("{}/passbook/v1/connectors/nobody/notifications", passbook.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 404);
}

/// Mono asks its user to log in again: its webhook tells Passbook, whose app hears it as it
/// would from any bank; the user re-authorises through Mono, and the account id stays.
#[tokio::test]
async fn reauthorisation_at_mono_keeps_passbook_s_account_id() {
    let clock = Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let (mono, passbook) = mono_on_clock(clock.clone(), None, |_| {}).await;
    let id = link_through_mono(&mono, &passbook, "via-mono-reauth", "user_reauth").await;
    assert_eq!(passbook.wait_for_data(&id).await.meta.data_status, "AVAILABLE");

    // A day later Mono's scheduled refresh finds the bank session gone.
    clock.advance(25 * 3_600_000);
    let failed = passbook
        .receiver
        .wait_until(Duration::from_secs(20), "Passbook's app hears of the re-authorisation", |all| {
            all.iter().any(|r| r.json()["data"]["meta"]["sync_status"] == "REAUTHORISATION_REQUIRED")
        })
        .await;
    assert!(!failed.is_empty());

    let (status, body) = passbook
        .post_json(
            "/v2/accounts/initiate",
            json!({"scope": "reauth", "account": id, "meta": {"ref": "via-mono-reauth-2"}, "redirect_url": "https://app.example.com/linked"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page = passbook.open(body["data"]["mono_url"].as_str().unwrap()).await;
    at_mono_and_back(&mono, &passbook, &page, "user_reauth").await;
    let renewed = passbook.receiver.wait_for("mono.events.account_reauthorized", 1).await.remove(0).json();
    assert_eq!(renewed["data"]["account"]["_id"], id.as_str());
}

/// Mono down: the refresh fails as a bank's outage does, and the data already read stays.
#[tokio::test]
async fn mono_down_keeps_the_data_and_says_so() {
    let (mut mono, passbook) = mono_and_passbook().await;
    let id = link_through_mono(&mono, &passbook, "via-mono-down", "user_good").await;
    let linked = passbook.wait_for_data(&id).await;
    mono.server.take().unwrap().shutdown().await;
    assert_eq!(realtime_refresh(&passbook, &id).await, "failed");
    let now = passbook.api().account(&id).await.unwrap();
    assert_eq!(now.passbook.unwrap().freshness.last_failure.as_deref(), Some("bank_unavailable"));
    assert_eq!((now.meta.data_status.as_str(), now.account.balance), ("AVAILABLE", linked.account.balance));
}

/// Mono slow, failing or answering malformed JSON: each refresh fails as the table in
/// `docs/connectors/README.md` says, and the data already read stays. Past the operator's daily
/// budget of billed real-time calls, a real-time refresh reads what Mono holds, unbilled.
#[tokio::test]
async fn mono_failures_keep_the_data_and_real_time_calls_stay_within_the_budget() {
    let clock = Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let proxy = FaultProxy::start().await;
    let passbook_clock = clock.clone();
    let (mono, passbook) = mono_on_clock(clock.clone(), Some(&proxy), move |c| {
        c.clock = passbook_clock;
        let options = c.mono.as_mut().unwrap();
        (options.timeout, options.realtime_per_day) = (Duration::from_secs(1), 1);
    })
    .await;
    clear_of_midnight(&clock);
    let id = link_through_mono(&mono, &passbook, "via-mono-faults", "user_good").await;
    let linked = passbook.wait_for_data(&id).await;

    let refresh = async |fault: Fault, expected: &str| {
        clock.advance(6 * 60_000);
        assert_eq!(realtime_refresh(&passbook, &id).await, "failed", "{fault:?}");
        let now = passbook.api().account(&id).await.unwrap();
        assert_eq!(now.passbook.unwrap().freshness.last_failure.as_deref(), Some(expected), "{fault:?}");
        let kept = (now.meta.data_status.as_str(), now.account.balance);
        assert_eq!(kept, ("AVAILABLE", linked.account.balance), "{fault:?}: the data stays");
    };
    for (fault, failure) in [
        (Fault::Malformed, "fetch_failed"),
        (Fault::Status(StatusCode::UNAUTHORIZED), "fetch_failed"),
        (Fault::Status(StatusCode::SERVICE_UNAVAILABLE), "bank_unavailable"),
        (Fault::Status(StatusCode::TOO_MANY_REQUESTS), "bank_unavailable"),
        (Fault::Slow(Duration::from_secs(3)), "bank_unavailable"),
    ] {
        proxy.set(fault);
        refresh(fault, failure).await;
    }

    proxy.set(Fault::None);
    let billed = proxy.realtime_calls();
    assert!(billed > 0, "the faults above were real-time calls, within the budget of 1");
    next_day_at_one(&clock);
    assert_eq!(realtime_refresh(&passbook, &id).await, "finished");
    let today = proxy.realtime_calls();
    assert!(today > billed, "a new day, a new budget: this refresh was billed");
    clock.advance(6 * 60_000);
    assert_eq!(realtime_refresh(&passbook, &id).await, "finished", "past the budget, still answered");
    assert_eq!(proxy.realtime_calls(), today, "past the day's budget, Mono is asked without x-realtime");
}

/// Mono still fetching at link: the first fetch waits to try again. Meanwhile a refresh stores
/// the account's data; when the first fetch's retry then fails, the data stays (it once left the
/// account FAILED with no balance, as if nothing had ever been fetched).
#[tokio::test]
async fn a_first_fetch_failing_after_a_refresh_stored_the_data_keeps_it() {
    let clock = Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let proxy = FaultProxy::start().await;
    let passbook_clock = clock.clone();
    let (mono, passbook) = mono_on_clock(clock.clone(), Some(&proxy), move |c| c.clock = passbook_clock).await;
    clear_of_midnight(&clock);
    proxy.set(Fault::Processing);
    let id = link_through_mono(&mono, &passbook, "via-mono-first-fetch", "user_good").await;
    let mut db = database(&passbook).await;
    // The first fetch's job, between its tries: (tries, done).
    let first_fetch = async |db: &mut sqlx::AnyConnection| {
        let job: Option<(i64, i64)> = sqlx::query_as(
            "SELECT attempts, COALESCE(done_at, 0) FROM jobs
             WHERE kind = 'fetch_account' AND subject = $1 AND locked_until IS NULL",
        )
        .bind(&id)
        .fetch_optional(db)
        .await
        .unwrap();
        job.map(|(tries, done_at)| (tries, done_at > 0))
    };
    eventually("the first fetch tried once and waits", async || first_fetch(&mut db).await == Some((1, false))).await;

    proxy.set(Fault::None);
    assert_eq!(realtime_refresh(&passbook, &id).await, "finished");
    let stored = passbook.api().account(&id).await.unwrap();
    assert_eq!(stored.meta.data_status, "AVAILABLE");
    assert!(stored.account.balance.is_some());

    proxy.set(Fault::Malformed);
    clock.advance(60_000);
    eventually("the first fetch tried again", async || first_fetch(&mut db).await == Some((2, true))).await;
    let now = passbook.api().account(&id).await.unwrap();
    assert_eq!(now.passbook.unwrap().freshness.last_failure.as_deref(), Some("fetch_failed"));
    assert_eq!((now.meta.data_status.as_str(), now.account.balance), ("AVAILABLE", stored.account.balance));
}

/// Mono's list changes (here: its operator marks GTBank down); Passbook reads it again while it
/// runs, and its link page and `/v3/institutions` say so.
#[tokio::test]
async fn mono_s_institution_list_is_read_again_while_passbook_runs() {
    let clock = Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let (mono, passbook) = mono_on_clock(clock, None, |c| c.institutions_refresh = Duration::from_millis(200)).await;
    let status = || async {
        let (_, listed) = passbook.get("/v3/institutions?name=GTBank").await;
        listed["data"][0]["status"].as_str().unwrap().to_string()
    };
    assert_eq!(status().await, "operational");
    let [owner, ..] = crate::console::team(&mono).await;
    let marked = owner.post(&format!("/console/institutions/{GTBANK}/status"), &[("status", "down")]).await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while status().await != "down" {
        assert!(std::time::Instant::now() < deadline, "Passbook never read Mono's list again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Mono unreachable while Passbook starts: it starts all the same, without Mono's institutions
/// (which it asks for again soon), rather than refusing to run; a key Mono refuses still stops it.
#[tokio::test]
async fn passbook_starts_while_mono_is_unreachable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let options = MonoOptions {
        base_url: format!("http://{closed}"),
        secret_key: "live_sk_unreachable".into(),
        webhook_secret: "secret".into(),
        realtime_per_day: 10,
        timeout: Duration::from_secs(2),
    };
    let passbook = TestApp::spawn_with(move |c| c.mono = Some(options)).await;
    let (status, listed) = passbook.get("/v3/institutions").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let names: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Another bank (upload a statement)"], "Mono's institutions come once it answers");
}
