//! Enable Banking, against the fake in `enable_banking_fake.rs`: the application JWT, the
//! consent at the bank and back to Passbook's one registered redirect URI, every page of
//! transactions, a consent that runs out, and a re-authorisation whose new `uid`s are matched to
//! the accounts Passbook already holds, by IBAN or identification hash.
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use passbook_client::types::accounts::TransactionsQuery;
use passbook_domain::Clock;
use passbook_domain::clock::ManualClock;
use passbook_institutions::EnableBankingOptions;
use serde_json::{Value, json};

use crate::enable_banking_fake::{FakeBank, transaction};
use crate::enable_banking_keys::{APPLICATION_KEY, UNKNOWN_KEY};
use crate::fault_proxy::{Fault, FaultProxy};
use crate::support::*;

fn days_ago(n: i64) -> String {
    passbook_domain::SystemClock.now().plus_millis(-n * 86_400_000).to_iso()[..10].to_string()
}

/// A current account with an IBAN and five transactions (three pages; one without the bank's
/// reference, one pending), and a savings account the bank names only by its hash.
pub(crate) fn accounts() -> Vec<Value> {
    vec![
        json!({
            "iban": "FI2112345600000785", "identification_hash": "hash-current", "name": "Käyttötili",
            "currency": "EUR", "balance": "1234.56",
            "transactions": [
                transaction(Some("E1"), &days_ago(20), "2500.00", "CRDT", "PALKKA", "BOOK"),
                transaction(Some("E2"), &days_ago(15), "45.90", "DBIT", "K-MARKET", "BOOK"),
                transaction(None, &days_ago(10), "3.20", "DBIT", "KAHVI", "BOOK"),
                transaction(None, &days_ago(10), "3.20", "DBIT", "KAHVI", "BOOK"),
                transaction(Some("P1"), &days_ago(1), "12.00", "DBIT", "HSL", "PDNG"),
            ],
        }),
        json!({
            "identification_hash": "hash-savings", "name": "Säästötili", "currency": "EUR", "balance": "500.00",
            "transactions": [transaction(Some("S1"), &days_ago(30), "500.00", "CRDT", "SIIRTO", "BOOK")],
        }),
    ]
}

pub(crate) fn options(bank: &FakeBank, key: &str) -> EnableBankingOptions {
    EnableBankingOptions {
        base_url: bank.url.clone(),
        application_id: "app-1234".into(),
        private_key_pem: key.into(),
        countries: vec!["FI".into()],
        consent_days: 90,
        timeout: Duration::from_secs(10),
    }
}

pub(crate) async fn nordea(t: &TestApp) -> String {
    let (_, listed) = t.get("/v3/institutions?name=Nordea").await;
    assert_eq!(listed["data"][0]["country"], "fi", "{listed}");
    listed["data"][0]["id"].as_str().unwrap().to_string()
}

/// From the link's consent step to the bank, approving there, and back through the registered
/// redirect URI.
async fn approve_at_the_bank(t: &TestApp, page: &LinkPage) {
    let (status, bank_url) = page.post("consent-start", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let at_bank = t.http.get(format!("{bank_url}&decision=approve")).send().await.unwrap();
    let back = at_bank.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with(&format!("{}/link/consent-return?", t.base)), "the one registered redirect URI: {back}");
    let returned = t.http.get(&back).send().await.unwrap();
    assert_eq!(returned.status(), 303);
}

async fn all_rows(t: &TestApp, id: &str) -> Vec<(String, i64, String)> {
    let query = TransactionsQuery { paginate: Some("false".into()), ..Default::default() };
    let mut rows: Vec<_> = t
        .api()
        .transactions(id, &query)
        .await
        .unwrap()
        .data
        .into_iter()
        .map(|r| (r.narration, r.amount, r.kind))
        .collect();
    rows.sort();
    rows
}

/// The fake bank and a Passbook that reaches it, on a clock the test moves.
async fn with_bank() -> (FakeBank, TestApp, Arc<ManualClock>) {
    let bank = FakeBank::start("app-1234", APPLICATION_KEY, accounts()).await;
    let clock = Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let (shared, eb) = (clock.clone(), options(&bank, APPLICATION_KEY));
    let t = TestApp::spawn_with(move |c| {
        c.clock = shared;
        c.enable_banking = Some(eb);
    })
    .await;
    (bank, t, clock)
}

/// Links both of the bank's accounts through one consent; their ids.
async fn link_both(t: &TestApp, reference: &str) -> Vec<String> {
    let institution = nordea(t).await;
    let data = t.initiate(reference, json!({})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.choose_institution(&institution).await;
    page.post("auth-method", &[("auth_method", "open_banking")]).await;
    approve_at_the_bank(t, &page).await;
    let choices = page.account_choices().await;
    assert_eq!(choices.len(), 2);
    page.post("accounts", &choices.iter().map(|c| ("account", c.as_str())).collect::<Vec<_>>()).await;
    connected_ids(&t.receiver, 2).await
}

#[tokio::test]
async fn accounts_linked_by_consent_keep_their_ids_through_a_new_consent() {
    let (bank, t, clock) = with_bank().await;
    let ids = link_both(&t, "eb-1").await;

    let mut current = None;
    for id in &ids {
        let details = t.wait_for_data(id).await;
        assert_eq!(details.meta.data_status, "AVAILABLE");
        match details.account.account_number.as_str() {
            "FI2112345600000785" => {
                assert_eq!(details.account.balance, Some(123_456), "the booked balance, not the available one");
                current = Some(id.clone());
            }
            "hash-savings" => assert_eq!(details.account.balance, Some(50_000)),
            other => panic!("unexpected account number {other}"),
        }
    }
    let current = current.unwrap();
    let rows = all_rows(&t, &current).await;
    assert_eq!(
        rows,
        [
            ("K-MARKET".into(), 4590, "debit".into()),
            ("KAHVI".into(), 320, "debit".into()),
            ("KAHVI".into(), 320, "debit".into()),
            ("PALKKA".into(), 250_000, "credit".into()),
        ],
        "every page read; two identical rows without a reference both kept; the pending row apart"
    );

    // A new consent mints new uids and closes the old session; the accounts keep their ids.
    let (status, body) = t
        .post_json(
            "/v2/accounts/initiate",
            json!({"scope": "reauth", "account": current, "meta": {"ref": "eb-2"}, "redirect_url": "https://app.example.com/linked"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page = t.open(body["data"]["mono_url"].as_str().unwrap()).await;
    approve_at_the_bank(&t, &page).await;
    let choices = page.account_choices().await;
    page.post("accounts", &choices.iter().map(|c| ("account", c.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(page.heading().await, "Account linked", "only the account being renewed");
    let renewed = t.receiver.wait_for("mono.events.account_reauthorized", 1).await.remove(0).json();
    assert_eq!(renewed["data"]["account"]["_id"], current.as_str());
    clock.advance(6 * 60_000);
    assert_eq!(realtime_refresh(&t, &current).await, "finished", "the new uid reads the account");
    assert_eq!(all_rows(&t, &current).await, rows, "nothing stored twice");

    // Past the consent's end, the bank is not asked: the user must approve again.
    clock.advance(91 * 86_400_000);
    assert_eq!(realtime_refresh(&t, &current).await, "failed");
    let freshness = t.api().account(&current).await.unwrap().passbook.unwrap().freshness;
    assert_eq!(freshness.last_failure.as_deref(), Some("reauthorisation_required"));
    assert_eq!(bank.refused_tokens(), 0, "every request carried a valid application token");
}

/// The bank slow, failing, answering malformed JSON, out of unattended requests for the day, or
/// revoking the consent: each refresh says why, and the data already read stays.
#[tokio::test]
async fn bank_failures_keep_the_data_and_say_why() {
    let bank = FakeBank::start("app-1234", APPLICATION_KEY, accounts()).await;
    let proxy = FaultProxy::start().await;
    proxy.point_at(&bank.url);
    let clock = Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let eb = EnableBankingOptions {
        base_url: proxy.url.clone(),
        timeout: Duration::from_secs(1),
        ..options(&bank, APPLICATION_KEY)
    };
    let shared = clock.clone();
    let t = TestApp::spawn_with(move |c| {
        c.clock = shared;
        c.enable_banking = Some(eb);
    })
    .await;
    // PSD2's allowance is per day: the refreshes below stay in one.
    clear_of_midnight(&clock);
    let id = link_both(&t, "eb-faults").await.remove(0);
    let linked = t.wait_for_data(&id).await;

    let refresh = async |fault: Fault, expected: Option<&str>| {
        proxy.set(fault);
        clock.advance(6 * 60_000);
        let status = realtime_refresh(&t, &id).await;
        assert_eq!(status, if expected.is_some() { "failed" } else { "finished" }, "{fault:?}");
        let now = t.api().account(&id).await.unwrap();
        if expected.is_some() {
            assert_eq!(now.passbook.unwrap().freshness.last_failure.as_deref(), expected, "{fault:?}");
        }
        let kept = (now.meta.data_status.as_str(), now.account.balance);
        assert_eq!(kept, ("AVAILABLE", linked.account.balance), "{fault:?}: the data stays");
    };
    refresh(Fault::Slow(Duration::from_secs(3)), Some("bank_unavailable")).await;
    refresh(Fault::Status(StatusCode::BAD_GATEWAY), Some("bank_unavailable")).await;
    refresh(Fault::Malformed, Some("fetch_failed")).await;
    refresh(Fault::None, None).await;
    // Four requests a day without the user: the fifth is not sent.
    refresh(Fault::None, Some("quota_exhausted")).await;
    clock.advance(86_400_000);
    let revoked = r#"{"error":"REVOKED_SESSION","message":"The PSU revoked the consent"}"#;
    refresh(Fault::Reply(StatusCode::UNAUTHORIZED, revoked), Some("reauthorisation_required")).await;
}

/// Unlinking tells the bank once no linked account needs the consent: one consent covers both
/// accounts the user chose, so unlinking the first leaves it running (the other still reads)
/// and unlinking the second ends it (`DELETE /sessions/{id}`).
#[tokio::test]
async fn unlinking_ends_the_consent_once_no_linked_account_rests_on_it() {
    let (bank, t, clock) = with_bank().await;
    let ids = link_both(&t, "eb-unlink").await;
    for id in &ids {
        t.wait_for_data(id).await;
    }
    t.api().unlink(&ids[0]).await.unwrap();
    assert!(bank.ended_sessions().is_empty(), "the other account still rests on the consent");
    clock.advance(6 * 60_000);
    assert_eq!(realtime_refresh(&t, &ids[1]).await, "finished", "and still reads");
    t.api().unlink(&ids[1]).await.unwrap();
    assert_eq!(bank.ended_sessions().len(), 1, "the last unlink ends the consent at the bank");
}

#[tokio::test]
async fn a_key_the_bank_does_not_know_is_refused_at_start() {
    let bank = FakeBank::start("app-1234", APPLICATION_KEY, accounts()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir).await;
    config.enable_banking = Some(options(&bank, UNKNOWN_KEY));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused = passbook::start(config, listener).await.err().expect("a wrong key stops the start");
    assert!(format!("{refused:#}").contains("Enable Banking refused the application"), "{refused:#}");
    assert_eq!(bank.refused_tokens(), 1);
}

/// Enable Banking starts listing a bank while Passbook runs: Passbook reads the list again (every
/// `--institutions-refresh-mins`, here 200 ms) and offers it.
#[tokio::test]
async fn enable_banking_s_bank_list_is_read_again_while_passbook_runs() {
    let bank = FakeBank::start("app-1234", APPLICATION_KEY, accounts()).await;
    let eb = options(&bank, APPLICATION_KEY);
    let t = TestApp::spawn_with(move |c| {
        c.enable_banking = Some(eb);
        c.institutions_refresh = std::time::Duration::from_millis(200);
    })
    .await;
    nordea(&t).await;
    let (_, listed) = t.get("/v3/institutions?name=Aktia").await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(0), "{listed}");
    bank.list_bank("Aktia", "FI");
    listed_soon(&t, "Aktia").await;
}

/// Waits until `/v3/institutions` lists the bank named `name` (within 20 s).
async fn listed_soon(t: &TestApp, name: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, listed) = t.get(&format!("/v3/institutions?name={name}")).await;
        if listed["data"][0]["name"] == name {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{name} was never listed: {listed}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Enable Banking down while Passbook starts: Passbook starts all the same (its own banks and
/// statement uploads work), and offers Enable Banking's banks once the list answers.
#[tokio::test]
async fn passbook_starts_while_enable_banking_is_down_and_lists_its_banks_once_it_is_up() {
    let bank = FakeBank::start("app-1234", APPLICATION_KEY, accounts()).await;
    bank.list_down(true);
    let eb = options(&bank, APPLICATION_KEY);
    let t = TestApp::spawn_with(move |c| {
        c.enable_banking = Some(eb);
        c.institutions_refresh = std::time::Duration::from_millis(200);
    })
    .await;
    let (status, listed) = t.get("/v3/institutions?name=Nordea").await;
    assert_eq!((status, listed["data"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{listed}");
    bank.list_down(false);
    listed_soon(&t, "Nordea").await;
}
