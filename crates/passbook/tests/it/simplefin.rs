//! SimpleFIN: a user pastes a setup token on the link page, Passbook claims it once and reads
//! the accounts from a SimpleFIN Bridge (the fake in `simplefin_bridge.rs`, on loopback) within
//! the protocol's rules; its failures map onto the same data status, webhooks and
//! re-authorisation as every other institution's.
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use passbook_client::types::passbook::SyncQuery;
use passbook_domain::Clock;
use passbook_domain::clock::ManualClock;
use passbook_institutions::SimpleFinOptions;
use serde_json::{Value, json};

use crate::simplefin_bridge::{Bridge, account, transaction};
use crate::support::*;

const SIMPLEFIN: &str = passbook_institutions::simplefin::SIMPLEFIN_ID;

fn now_secs() -> i64 {
    passbook_domain::SystemClock.now().0 / 1000
}

/// Two accounts: checking with a posted history (one row 120 days back, outside the first
/// window) and a pending card payment; savings with one deposit.
fn two_accounts(now: i64, posted_pending: bool) -> Vec<Value> {
    vec![
        account(
            "ACT-checking",
            "Everyday Checking",
            "1520.75",
            vec![
                transaction("TRN-salary", now, 10, "2500.00", "ACME PAYROLL", false),
                transaction("TRN-rent", now, 8, "-1200.00", "RENT OCTOBER", false),
                transaction("TRN-coffee", now, 1, "-4.25", "BLUE BOTTLE", !posted_pending),
                transaction("TRN-old", now, 120, "-9.99", "OLD SUBSCRIPTION", false),
            ],
        ),
        account(
            "ACT-savings",
            "High Yield Savings",
            "10000.00",
            vec![transaction("TRN-dep", now, 20, "10000.00", "TRANSFER IN", false)],
        ),
    ]
}

pub(crate) async fn with_simplefin(
    adjust: impl FnOnce(&mut passbook::Config) + Send + 'static,
) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let shared = clock.clone();
    let t = TestApp::spawn_with(move |c| {
        c.clock = shared;
        c.simplefin = Some(SimpleFinOptions::default());
        adjust(c);
    })
    .await;
    (t, clock)
}

/// Opens a new link and goes to SimpleFIN's token step.
pub(crate) async fn token_step(t: &TestApp, reference: &str, extra: Value) -> LinkPage {
    let data = t.initiate(reference, extra).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.choose_institution(SIMPLEFIN).await;
    page.post("auth-method", &[("auth_method", "internet_banking")]).await;
    page
}

pub(crate) async fn paste(page: &LinkPage, token: &str) -> String {
    let (status, _) = page.post("login", &[("setup_token", token)]).await;
    assert!([StatusCode::SEE_OTHER, StatusCode::OK].contains(&status), "{status}");
    page.html().await.1
}

/// Links the bridge's first account through the page; its id.
async fn link_first_account(t: &TestApp, bridge: &Bridge, reference: &str) -> String {
    let page = token_step(t, reference, json!({})).await;
    paste(&page, &bridge.setup_token()).await;
    let choices = page.account_choices().await;
    page.post("accounts", &[("account", choices[0].as_str())]).await;
    connected_ids(&t.receiver, 1).await.remove(0)
}

pub(crate) async fn freshness(t: &TestApp, id: &str) -> passbook_client::types::accounts::FreshnessOut {
    t.api().account(id).await.unwrap().passbook.expect("Passbook's additions").freshness
}

#[tokio::test]
async fn a_setup_token_links_accounts_whose_pending_rows_later_post() {
    let (t, clock) = with_simplefin(|_| {}).await;
    let now = now_secs();
    let bridge = Bridge::start(two_accounts(now, false)).await;
    let (_, institutions) = t.get("/v3/institutions?name=simplefin").await;
    let listed: Vec<&Value> = institutions["data"].as_array().unwrap().iter().map(|i| &i["id"]).collect();
    assert_eq!(listed, [SIMPLEFIN]);
    assert_eq!(institutions["data"][0]["country"], "us");

    let page = token_step(&t, "sfin-1", json!({})).await;
    let html = paste(&page, &bridge.setup_token()).await;
    assert!(html.contains("Everyday Checking") && html.contains("High Yield Savings"), "{html}");
    let choices = page.account_choices().await;
    assert_eq!(choices.len(), 2);
    page.post("accounts", &choices.iter().map(|c| ("account", c.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(page.heading().await, "2 accounts linked");

    let ids = connected_ids(&t.receiver, 2).await;
    let mut checking = None;
    for id in &ids {
        let details = t.wait_for_data(id).await;
        assert_eq!(details.meta.data_status, "AVAILABLE");
        if details.account.name.as_deref() == Some("Everyday Checking") {
            assert_eq!(details.account.balance, Some(152_075));
            assert_eq!(details.account.currency, "USD");
            assert_eq!(details.account.account_number, "ACT-checking", "SimpleFIN's id names the account");
            checking = Some(id.clone());
        }
    }
    let checking = checking.expect("the checking account linked");
    let api = t.api();
    let feed = api.sync_transactions(&checking, &SyncQuery { cursor: None, count: None }).await.unwrap();
    let rows: Vec<(String, i64, bool)> =
        feed.added.iter().map(|r| (r.transaction.narration.clone(), r.transaction.amount, r.pending)).collect();
    assert_eq!(rows.len(), 3, "the row 120 days back is outside the first 90-day window: {rows:?}");
    assert!(rows.contains(&("BLUE BOTTLE".into(), 425, true)), "{rows:?}");
    assert!(rows.contains(&("ACME PAYROLL".into(), 250_000, false)), "{rows:?}");

    // The card payment posts at the bank; the next refresh moves it, keeping its id.
    bridge.set_accounts(two_accounts(now, true));
    clock.advance(6 * 60_000);
    assert_eq!(realtime_refresh(&t, &checking).await, "finished");
    let later = api
        .sync_transactions(&checking, &SyncQuery { cursor: Some(feed.next_cursor.clone()), count: None })
        .await
        .unwrap();
    let posted: Vec<_> =
        later.modified.iter().filter(|r| !r.pending).map(|r| r.transaction.narration.clone()).collect();
    assert_eq!(posted, ["BLUE BOTTLE"], "{later:?}");
    assert!(later.added.is_empty() && later.removed.is_empty(), "{later:?}");

    // The protocol's rules held: every window at most 90 days, pending asked for, one account.
    let requests = bridge.requests();
    assert_eq!(requests.len(), 4, "one list at login, two first fetches, one refresh: {requests:?}");
    assert_eq!(requests[0], [("balances-only".to_string(), "1".to_string())]);
    for query in &requests[1..] {
        let get = |k: &str| query.iter().find(|(name, _)| name == k).map(|(_, v)| v.clone()).unwrap();
        let window = get("end-date").parse::<i64>().unwrap() - get("start-date").parse::<i64>().unwrap();
        assert!(window <= 90 * 86_400, "{query:?}");
        assert_eq!(get("pending"), "1");
        assert_eq!(query.iter().filter(|(k, _)| k == "account").count(), 1);
    }
    assert_eq!(bridge.claims(), 1);

    // The access URL's secret never reaches the page, and is sealed at rest.
    let secrets = bridge.secrets();
    assert_eq!(secrets.len(), 1);
    assert!(!html.contains(&secrets[0]), "the account selection shows no access URL");
    if !on_postgres() {
        let db = std::fs::read(t.dir.path().join("passbook.db")).unwrap();
        let wal = std::fs::read(t.dir.path().join("passbook.db-wal")).unwrap_or_default();
        for bytes in [db, wal] {
            assert!(!bytes.windows(secrets[0].len()).any(|w| w == secrets[0].as_bytes()), "the access URL is sealed");
        }
    }
}

#[tokio::test]
async fn a_used_malformed_or_private_token_is_refused_with_a_reason() {
    let (t, _) = with_simplefin(|_| {}).await;
    let bridge = Bridge::start(two_accounts(now_secs(), false)).await;
    let token = bridge.setup_token();
    let page = token_step(&t, "sfin-used-1", json!({})).await;
    paste(&page, &token).await;
    assert_eq!(page.account_choices().await.len(), 2);

    let again = token_step(&t, "sfin-used-2", json!({})).await;
    let html = paste(&again, &token).await;
    assert!(html.contains("This setup token was already used"), "{html}");
    let html = paste(&again, "not-a-token").await;
    assert!(html.contains("That is not a SimpleFIN setup token"), "{html}");

    // Where private addresses are not allowed (production), the token's loopback address is
    // never contacted.
    let mut t = t;
    t.restart(|c| c.allow_private_webhooks = false).await;
    let claims_before = bridge.claims();
    let page = token_step(&t, "sfin-private", json!({})).await;
    let html = paste(&page, &bridge.setup_token()).await;
    assert!(html.contains("private address"), "{}", between(&html, "<main", "</main>").unwrap_or(html.clone()));
    assert_eq!(bridge.claims(), claims_before, "nothing was sent to the private address");
}

#[tokio::test]
async fn revoked_access_asks_for_a_new_token_which_keeps_the_account_id() {
    let (t, clock) = with_simplefin(|_| {}).await;
    let bridge = Bridge::start(two_accounts(now_secs(), false)).await;
    let id = link_first_account(&t, &bridge, "sfin-reauth-1").await;
    assert_eq!(t.wait_for_data(&id).await.meta.data_status, "AVAILABLE");

    bridge.revoke_all();
    clock.advance(6 * 60_000);
    assert_eq!(realtime_refresh(&t, &id).await, "failed");
    let stale = freshness(&t, &id).await;
    assert_eq!(stale.last_failure.as_deref(), Some("reauthorisation_required"));
    assert_eq!(t.api().account(&id).await.unwrap().meta.data_status, "AVAILABLE", "the stored data stays");

    let (status, body) = t
        .post_json(
            "/v2/accounts/initiate",
            json!({"scope": "reauth", "account": id, "meta": {"ref": "sfin-reauth-2"}, "redirect_url": "https://app.example.com/linked"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page = t.open(body["data"]["mono_url"].as_str().unwrap()).await;
    paste(&page, &bridge.setup_token()).await;
    if page.heading().await != "Account linked" {
        let choices = page.account_choices().await;
        page.post("accounts", &choices.iter().map(|c| ("account", c.as_str())).collect::<Vec<_>>()).await;
    }
    assert_eq!(page.heading().await, "Account linked");
    let renewed = t.receiver.wait_for("mono.events.account_reauthorized", 1).await.remove(0).json();
    assert_eq!(renewed["data"]["account"]["_id"], id.as_str(), "the integrator's account id never changes");
    clock.advance(6 * 60_000);
    assert_eq!(realtime_refresh(&t, &id).await, "finished", "the new access URL reads the account");
}

#[tokio::test]
async fn the_daily_allowance_is_never_exceeded_and_shows_in_freshness() {
    let (t, clock) =
        with_simplefin(|c| c.simplefin = Some(SimpleFinOptions { daily_requests: 3, ..Default::default() })).await;
    clear_of_midnight(&clock);
    let bridge = Bridge::start(two_accounts(now_secs(), false)).await;
    let id = link_first_account(&t, &bridge, "sfin-quota").await;
    t.wait_for_data(&id).await;
    assert_eq!(bridge.requests().len(), 2, "the list at login and the first fetch");

    clock.advance(6 * 60_000);
    assert_eq!(realtime_refresh(&t, &id).await, "finished");
    clock.advance(6 * 60_000);
    assert_eq!(realtime_refresh(&t, &id).await, "failed");
    assert_eq!(bridge.requests().len(), 3, "the allowance of 3 a day is never exceeded");
    let used_up = freshness(&t, &id).await;
    assert_eq!(used_up.last_failure.as_deref(), Some("quota_exhausted"));
    // The console shows the connector's use of its allowance and its last failure.
    let [_, _, _, viewer] = crate::console::team(&t).await;
    let body = viewer.get("/console/institutions").await.body;
    let row = body.split("id=\"connector-simplefin\"").nth(1).unwrap().split("</tr>").next().unwrap();
    let cells: Vec<&str> =
        row.split("<td").skip(1).map(|c| c.split('>').nth(1).unwrap().split('<').next().unwrap()).collect();
    assert_eq!(cells[..5], ["simplefin", "1", "1", "1", "3"], "{row}");
    assert!(cells[5].starts_with("quota_exhausted"), "{row}");
    assert_eq!(t.api().account(&id).await.unwrap().meta.data_status, "AVAILABLE", "the stored data stays");

    clock.advance(24 * 3_600_000);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while bridge.requests().len() < 4 {
        assert!(std::time::Instant::now() < deadline, "no refresh the next day");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the bridge can do wrong maps onto the failures every institution reports, and none
/// loses the data already stored.
#[tokio::test]
async fn bridge_failures_keep_the_stored_data_and_say_why() {
    let slow = SimpleFinOptions { timeout: Duration::from_secs(1), ..Default::default() };
    let (t, clock) = with_simplefin(move |c| c.simplefin = Some(slow)).await;
    let now = now_secs();
    let bridge = Bridge::start(two_accounts(now, false)).await;
    let id = link_first_account(&t, &bridge, "sfin-failures").await;
    let linked = t.wait_for_data(&id).await;
    assert_eq!(linked.meta.data_status, "AVAILABLE");

    let fails_with = async |failure: &str| {
        clock.advance(6 * 60_000);
        assert_eq!(realtime_refresh(&t, &id).await, "failed", "{failure}");
        assert_eq!(freshness(&t, &id).await.last_failure.as_deref(), Some(failure));
        let details = t.api().account(&id).await.unwrap();
        assert_eq!(details.meta.data_status, "AVAILABLE", "{failure}: the stored data stays");
        assert_eq!(details.account.balance, linked.account.balance, "{failure}");
    };
    bridge.set_delay(Duration::from_secs(3));
    fails_with("bank_unavailable").await;
    bridge.set_delay(Duration::ZERO);
    bridge.set_down(Some(StatusCode::SERVICE_UNAVAILABLE));
    fails_with("bank_unavailable").await;
    bridge.set_down(None);
    bridge.set_accounts(vec![account("ACT-checking", "Everyday Checking", "12.345", vec![])]);
    fails_with("fetch_failed").await;
    bridge.set_accounts(vec![]);
    bridge.set_errors(&["Connection to Example Bank may need attention"]);
    fails_with("reauthorisation_required").await;
}

/// A bridge (a URL from the user's token) answering more than Passbook reads: the fetch fails
/// by name, and the stored data stays.
#[tokio::test]
async fn an_answer_larger_than_passbook_reads_is_refused() {
    let small = SimpleFinOptions { max_answer_bytes: 64 * 1024, ..Default::default() };
    let (t, clock) = with_simplefin(move |c| c.simplefin = Some(small)).await;
    let now = now_secs();
    let bridge = Bridge::start(two_accounts(now, false)).await;
    let id = link_first_account(&t, &bridge, "sfin-large").await;
    let linked = t.wait_for_data(&id).await;

    let huge = "X".repeat(100 * 1024);
    let rows = vec![transaction("TRN-huge", now, 2, "-1.00", &huge, false)];
    bridge.set_accounts(vec![account("ACT-checking", "Everyday Checking", "1520.75", rows)]);
    clock.advance(6 * 60_000);
    assert_eq!(realtime_refresh(&t, &id).await, "failed");
    assert_eq!(freshness(&t, &id).await.last_failure.as_deref(), Some("fetch_failed"));
    let details = t.api().account(&id).await.unwrap();
    assert_eq!((details.meta.data_status, details.account.balance), ("AVAILABLE".to_string(), linked.account.balance));
}

/// The allowance is one row in the database: two stores on it (two replicas) taking requests
/// in parallel are granted exactly the allowance between them.
#[tokio::test]
async fn parallel_takes_from_two_replicas_never_exceed_the_allowance() {
    use passbook_domain::connector::RequestBudget;
    let t = TestApp::spawn().await;
    let vault = || passbook_domain::Vault::from_base64(t.config.master_key.as_deref().unwrap()).unwrap();
    let open = || passbook_store::SqlStore::connect(&t.config.database_url, vault(), &t.config.db);
    let stores: Vec<Arc<dyn RequestBudget>> = vec![Arc::new(open().await.unwrap()), Arc::new(open().await.unwrap())];
    let window = passbook_domain::Timestamp(1_700_000_000_000);
    let takes = (0..60).map(|i| {
        let store = stores[i % 2].clone();
        tokio::spawn(async move { store.take("simplefin:test", window, 24).await.unwrap() })
    });
    let granted = futures_count(takes).await;
    assert_eq!(granted, 24);
}

async fn futures_count(handles: impl Iterator<Item = tokio::task::JoinHandle<bool>>) -> usize {
    let mut granted = 0;
    for handle in handles.collect::<Vec<_>>() {
        granted += handle.await.unwrap() as usize;
    }
    granted
}
