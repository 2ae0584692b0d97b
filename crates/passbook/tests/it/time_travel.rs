//! The sandbox clock and the transaction change feed: accounts live through weeks and months in
//! seconds, and a client that syncs the feed ends with exactly the server's records.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use passbook_client::Client;
use passbook_types::accounts::{TransactionOut, TransactionsQuery};
use passbook_types::passbook::{SandboxClockIn, SyncQuery, SyncTransactionOut};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

const DAY_MS: i64 = 86_400_000;

fn days(days: i64) -> SandboxClockIn {
    SandboxClockIn { days: Some(days), to: None }
}

/// Every posted record Mono's endpoint lists, oldest first.
async fn posted(api: &Client, id: &str) -> Vec<TransactionOut> {
    let query = TransactionsQuery { paginate: Some("false".into()), ..Default::default() };
    let mut all = api.transactions(id, &query).await.unwrap().data;
    all.reverse();
    all
}

fn signed(t: &TransactionOut) -> i64 {
    if t.kind == "credit" { t.amount } else { -t.amount }
}

fn assert_running_balances(records: &[TransactionOut]) {
    for pair in records.windows(2) {
        assert!(pair[0].date < pair[1].date, "{} then {}", pair[0].date, pair[1].date);
        assert_eq!(pair[1].balance, pair[0].balance.map(|b| b + signed(&pair[1])), "{:?} then {:?}", pair[0], pair[1]);
    }
}

#[tokio::test]
async fn the_sandbox_clock_brings_weeks_of_history_balances_and_webhooks_in_order() {
    let t = TestApp::spawn().await;
    let api = t.api();
    t.link("clock-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    let before = posted(&api, &id).await;
    let fetched_at =
        |details: passbook_types::accounts::AccountDetails| details.passbook.unwrap().freshness.last_refreshed_at;
    let first_fetch = fetched_at(api.account(&id).await.unwrap()).unwrap();
    let clock = api.sandbox_clock().await.unwrap();
    assert_eq!(clock.days_ahead, 0);
    let start = passbook_domain::Timestamp::parse_iso(&clock.now).unwrap();

    let moved = api.advance_sandbox_clock(&days(21)).await.unwrap();
    assert_eq!((moved.days_ahead, moved.refreshes, moved.failed_refreshes), (21, 21, 0), "{moved:?}");
    let now = passbook_domain::Timestamp::parse_iso(&moved.now).unwrap();
    assert!(now.0 - start.0 >= 21 * DAY_MS, "{} then {}", clock.now, moved.now);

    // Three more weeks of history, after the old, whose records are unchanged.
    let after = posted(&api, &id).await;
    assert_eq!(&after[..before.len()], &before[..], "history only grows at its end");
    let new = &after[before.len()..];
    assert!(!new.is_empty(), "no records in three weeks");
    for record in new {
        let date = passbook_domain::Timestamp::parse_iso(&record.date).unwrap();
        assert!(date > start && date <= now, "{} is not of the three weeks: {record:?}", record.date);
    }
    assert_running_balances(&after);
    assert!(after.iter().all(|t| !t.narration.starts_with("POS AUTH")), "Mono's endpoints list posted records only");
    let balance = api.balance(&id).await.unwrap().balance;
    assert_eq!(Some(balance), after.last().unwrap().balance, "the balance is the newest running balance");
    let refreshed = fetched_at(api.account(&id).await.unwrap()).unwrap();
    assert!(refreshed > first_fetch, "{first_fetch} then {refreshed}");

    // One account_updated per day crossed, in order with everything else the account sent.
    let updates = t.receiver.wait_for("mono.events.account_updated", 22).await;
    let refreshes: Vec<_> =
        updates.iter().map(|r| r.json()).filter(|b| b["data"]["meta"]["sync_status"].is_string()).collect();
    assert_eq!(refreshes.len(), 21);
    assert!(refreshes.iter().all(|b| b["data"]["meta"]["sync_status"] == "SUCCESSFUL"));
    t.receiver.wait_for("passbook.events.sync_updates_available", 1).await;
    let expected = api.events(&Default::default()).await.unwrap().meta.total as usize;
    assert!(expected > 1 + 22, "{expected} events");
    t.receiver.wait_until(Duration::from_secs(20), "every event", |all| all.len() >= expected).await;
    assert_delivered_in_order(&t.receiver.all(), expected);
    // Each `sync_updates_available` counts the changes its refresh made (a day may only post
    // holds, or only reverse one); over three weeks records were added.
    let counts: Vec<[u64; 3]> = t
        .receiver
        .all()
        .iter()
        .filter(|r| r.event() == "passbook.events.sync_updates_available")
        .map(|r| {
            let data = r.json()["data"].clone();
            ["added", "modified", "removed"].map(|k| data[k].as_u64().unwrap())
        })
        .collect();
    assert!(counts.iter().all(|c| c.iter().sum::<u64>() > 0), "{counts:?}");
    assert!(counts.iter().map(|c| c[0]).sum::<u64>() > 0, "{counts:?}");

    // `to` a date; refusals name the problem; the clock never goes back.
    let today = moved.now[..10].to_string();
    let to = now.plus_millis(2 * DAY_MS).to_iso()[..10].to_string();
    let moved = api.advance_sandbox_clock(&SandboxClockIn { days: None, to: Some(to.clone()) }).await.unwrap();
    assert_eq!((moved.days_ahead, &moved.now[..10]), (23, to.as_str()));
    for (body, field) in [
        (json!({}), "days"),
        (json!({"days": 0}), "days"),
        (json!({"days": 367}), "days"),
        (json!({"days": 1.5}), "days"),
        (json!({"days": 2, "to": to}), "days"),
        (json!({"to": today}), "to"),
        (json!({"to": "31-12-2030"}), "to"),
    ] {
        let (status, answer) = t.post_json("/passbook/v1/sandbox/clock", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["status"], "failed");
        assert!(answer["message"].as_str().unwrap().contains(field), "{body}: {answer}");
    }
}

/// The clock goes at most ten years ahead in all, moves sent at once included: history and
/// refreshes stay bounded and dates stay far from the calendar's end.
#[tokio::test]
async fn the_sandbox_clock_stops_ten_years_ahead_even_for_moves_sent_at_once() {
    let t = TestApp::spawn().await;
    for _ in 0..9 {
        let (status, answer) = t.post_json("/passbook/v1/sandbox/clock", json!({"days": 366})).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    // 3,294 days ahead: of three moves of 300 days sent at once, only one fits under 3,660.
    let mut moves = tokio::task::JoinSet::new();
    for _ in 0..3 {
        let request = t
            .http
            .post(format!("{}/passbook/v1/sandbox/clock", t.base))
            .header("mono-sec-key", t.key())
            .json(&json!({"days": 300}));
        moves.spawn(async move {
            let res = request.send().await.unwrap();
            (res.status().as_u16(), res.json::<serde_json::Value>().await.unwrap())
        });
    }
    let answers = moves.join_all().await;
    assert_eq!(answers.iter().filter(|(status, _)| *status == 200).count(), 1, "{answers:?}");
    let refused = answers.iter().find(|(status, _)| *status == 400).unwrap();
    assert!(refused.1["message"].as_str().unwrap().contains("at most 3660 days"), "{}", refused.1);
    let (_, clock) = t.get("/passbook/v1/sandbox/clock").await;
    assert_eq!(clock["data"]["days_ahead"], 3594, "{clock}");
}

/// A move whose request is cut short (here by the request timeout) is not left half-done: the
/// clock has moved, and every refresh of the days it crossed still runs, shown as
/// `refreshing_until` meanwhile.
#[tokio::test]
async fn a_move_cut_short_still_runs_every_refresh_of_the_days_it_crossed() {
    let t = TestApp::spawn_with(|c| c.http.request_timeout = Duration::from_secs(1)).await;
    for reference in ["cut-1", "cut-2", "cut-3"] {
        let customer = json!({"customer": {"name": "Cut Short", "email": format!("{reference}@example.ng")}});
        let data = t.initiate(reference, customer).await;
        let page = t.open(data["mono_url"].as_str().unwrap()).await;
        page.choose_institution(GTBANK).await;
        page.post("auth-method", &[("auth_method", "internet_banking")]).await;
        page.login("user_good", "123456").await;
    }
    for id in connected_ids(&t.receiver, 3).await {
        t.wait_for_data(&id).await;
    }
    let (status, answer) = t.post_json("/passbook/v1/sandbox/clock", json!({"days": 366})).await;
    assert_ne!(status, StatusCode::OK, "1,098 refreshes take longer than the 1 s timeout: {answer}");
    let mut clock = t.get("/passbook/v1/sandbox/clock").await.1;
    assert_eq!(clock["data"]["days_ahead"], 366, "the move itself committed: {clock}");
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    while clock["data"]["refreshing_until"].is_string() {
        assert!(std::time::Instant::now() < deadline, "the refreshes never finished: {clock}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        clock = t.get("/passbook/v1/sandbox/clock").await.1;
    }
    let refreshes = |all: &[Received]| {
        all.iter()
            .filter(|r| {
                r.event() == "mono.events.account_updated" && r.json()["data"]["meta"]["sync_status"].is_string()
            })
            .count()
    };
    let all = t
        .receiver
        .wait_until(Duration::from_secs(180), "the refreshes' webhooks", |all| refreshes(all) >= 3 * 366)
        .await;
    assert_eq!(refreshes(&all), 3 * 366, "one refresh per account per day crossed, none twice");
}

#[tokio::test]
async fn scenario_logins_keep_their_meaning_over_time() {
    let t = TestApp::spawn().await;
    let api = t.api();
    t.link("outage-1", "user_outage").await;
    t.link("reauth-1", "user_reauth").await;
    let ids = connected_ids(&t.receiver, 2).await;
    for id in &ids {
        t.wait_for_data(id).await;
    }
    // Over a week the outage bank is down one day, and the re-authorisation window has long
    // passed: that account fails once and then waits for its user.
    let moved = api.advance_sandbox_clock(&days(7)).await.unwrap();
    assert_eq!((moved.refreshes, moved.failed_refreshes), (8, 2), "{moved:?}");
    let outage = api.account(&ids[0]).await.unwrap().passbook.unwrap().freshness;
    assert_eq!(outage.last_failure.as_deref(), Some("bank_unavailable"));
    assert!(outage.last_refreshed_at.is_some() && outage.next_refresh_at.is_some(), "{outage:?}");
    let reauth = api.account(&ids[1]).await.unwrap().passbook.unwrap().freshness;
    assert_eq!(reauth.last_failure.as_deref(), Some("reauthorisation_required"));
    assert!(reauth.next_refresh_at.is_none());
    let updates = t.receiver.wait_for("mono.events.account_updated", 2 + 8).await;
    let statuses: Vec<String> = updates
        .iter()
        .map(|r| r.json())
        .filter(|b| b["data"]["account"]["_id"] == ids[1].as_str())
        .filter_map(|b| b["data"]["meta"]["sync_status"].as_str().map(String::from))
        .collect();
    assert_eq!(statuses, vec!["REAUTHORISATION_REQUIRED"]);
}

/// A client of the change feed: the records it has, by id, and its cursor.
#[derive(Default)]
struct Mirror {
    cursor: Option<String>,
    records: BTreeMap<String, SyncTransactionOut>,
    added: HashSet<String>,
    seen_pending: HashSet<String>,
    posted_from_pending: usize,
    changed_on_posting: usize,
    removed: usize,
}

impl Mirror {
    /// Applies pages until the feed has no more, `count` changes at a time; stops after
    /// `max_pages` pages when given (a client that went away half way).
    async fn sync(&mut self, api: &Client, id: &str, count: u32, max_pages: Option<usize>) -> usize {
        let mut pages = 0;
        loop {
            let query = SyncQuery { cursor: self.cursor.clone(), count: Some(count.to_string()) };
            let page = api.sync_transactions(id, &query).await.unwrap();
            for record in page.added {
                assert!(self.added.insert(record.transaction.id.clone()), "{} added twice", record.transaction.id);
                if record.pending {
                    self.seen_pending.insert(record.transaction.id.clone());
                }
                assert!(self.records.insert(record.transaction.id.clone(), record).is_none());
            }
            for record in page.modified {
                let before = self.records.get(&record.transaction.id).expect("a modified record was added before");
                if before.pending && !record.pending {
                    self.posted_from_pending += 1;
                    self.changed_on_posting += (before.transaction.amount != record.transaction.amount) as usize;
                }
                self.records.insert(record.transaction.id.clone(), record);
            }
            for id in page.removed {
                let gone = self.records.remove(&id).expect("a removed record was added before");
                assert!(gone.pending, "only pending records are removed");
                self.removed += 1;
            }
            self.cursor = Some(page.next_cursor);
            pages += 1;
            if !page.has_more || max_pages == Some(pages) {
                return pages;
            }
        }
    }

    fn posted(&self) -> Vec<&TransactionOut> {
        let mut posted: Vec<_> = self.records.values().filter(|r| !r.pending).map(|r| &r.transaction).collect();
        posted.sort_by(|a, b| (&a.date, &a.id).cmp(&(&b.date, &b.id)));
        posted
    }
}

#[tokio::test]
async fn a_sync_client_replays_a_year_of_changes_and_ends_with_the_servers_records() {
    let mut t = TestApp::spawn().await;
    let mut api = t.api();
    t.link("sync-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;

    let mut steady = Mirror::default();
    let mut interrupted = Mirror::default();
    let mut mirrors_synced = 0;
    for month in 1..=12 {
        api.advance_sandbox_clock(&days(30)).await.unwrap();
        if month == 4 {
            // A restart between refreshes and syncs: the cursors stay good.
            t.restart(|_| {}).await;
            api = t.api();
        }
        steady.sync(&api, &id, 500, None).await;
        // This one reads a page at a time and goes away after two, most months; in month 7 it
        // loses its cursor and starts again from nothing.
        if month == 7 {
            interrupted = Mirror::default();
        }
        let pages = interrupted.sync(&api, &id, 37, if month % 3 == 0 { None } else { Some(2) }).await;
        mirrors_synced += pages;
    }
    interrupted.sync(&api, &id, 37, None).await;
    assert!(mirrors_synced > 24);

    let server = posted(&api, &id).await;
    assert_running_balances(&server);
    assert!(server.len() > 600, "{} records after a year more", server.len());
    for mirror in [&steady, &interrupted] {
        let mine: Vec<TransactionOut> = mirror.posted().into_iter().cloned().collect();
        assert_eq!(mine.len(), server.len());
        assert!(mine == server, "the mirror's posted records are the server's");
    }
    // The year had every kind of change, and the pending records left are those the bank still
    // holds: newer than any posted card payment could be settled.
    // About 180 card payments a year, most seen pending by a daily refresh; a hold either posts
    // (a fifth for another amount), is reversed (one in twelve, or declined for want of money) or
    // is still held.
    let still_pending: HashMap<_, _> = steady.records.iter().filter(|(_, r)| r.pending).collect();
    assert!(steady.seen_pending.len() > 60, "{} holds", steady.seen_pending.len());
    assert_eq!(steady.posted_from_pending + steady.removed + still_pending.len(), steady.seen_pending.len());
    assert!(steady.posted_from_pending > 20, "{}", steady.posted_from_pending);
    assert!(steady.changed_on_posting > 0, "{}", steady.changed_on_posting);
    assert!(steady.removed > 0, "{}", steady.removed);
    assert!(still_pending.len() < 10, "{} still pending", still_pending.len());
    let interrupted_pending: HashSet<_> =
        interrupted.records.iter().filter(|(_, r)| r.pending).map(|(id, _)| id).collect();
    assert_eq!(interrupted_pending, still_pending.keys().copied().collect());
    t.receiver.wait_for("passbook.events.sync_updates_available", 12).await;

    // A cursor is checked: of another account, made up, or past the feed's end.
    let cursor = steady.cursor.clone().unwrap();
    for (query, problem) in [
        (format!("cursor={cursor}&count=0"), "count"),
        (format!("cursor={cursor}&count=501"), "count"),
        ("cursor=bm90LWEtY3Vyc29y".to_string(), "not a cursor"),
    ] {
        let (status, answer) = t.get(&format!("/passbook/v1/accounts/{id}/transactions/sync?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains(problem), "{answer}");
    }
    let other = TestApp::spawn().await;
    let (status, _) = other.get(&format!("/passbook/v1/accounts/{id}/transactions/sync?cursor={cursor}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another app sees no feed");
}

#[tokio::test]
async fn refreshes_racing_on_one_account_log_each_change_once() {
    let t = TestApp::spawn().await;
    let api = t.api();
    t.link("race-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    // Three moves at once: each gets its own stretch of days, and their refreshes of the
    // account interleave (a fetch of an earlier day may be saved after one of a later day), with
    // real-time syncs beside them.
    let twenty = days(20);
    let (a, b, c, _) = tokio::join!(
        api.advance_sandbox_clock(&twenty),
        api.advance_sandbox_clock(&twenty),
        api.advance_sandbox_clock(&twenty),
        t.http
            .get(format!("{}/v2/accounts/{id}", t.base))
            .header("mono-sec-key", t.key())
            .header("x-realtime", "true")
            .send(),
    );
    let moved = [a.unwrap(), b.unwrap(), c.unwrap()];
    assert_eq!(moved.iter().map(|m| m.refreshes).sum::<u64>(), 60);
    assert_eq!(moved.iter().map(|m| m.days_ahead).max(), Some(60));
    api.advance_sandbox_clock(&days(1)).await.unwrap();

    let mut mirror = Mirror::default();
    mirror.sync(&api, &id, 100, None).await;
    let mine: Vec<TransactionOut> = mirror.posted().into_iter().cloned().collect();
    let server = posted(&api, &id).await;
    assert!(mine == server, "the feed's posted records are the server's");
    assert_running_balances(&server);
    // Holds still pending are of the last two and a half days of sandbox time at most.
    let now = passbook_domain::Timestamp::parse_iso(&api.sandbox_clock().await.unwrap().now).unwrap();
    for (hold_id, hold) in mirror.records.iter().filter(|(_, r)| r.pending) {
        let date = passbook_domain::Timestamp::parse_iso(&hold.transaction.date).unwrap();
        assert!(date.0 > now.0 - 60 * 3_600_000, "{hold_id} has been pending since {}", hold.transaction.date);
    }
}

/// Two `passbook serve` processes on one database: clock moves sent to both at once refresh the
/// same account in both processes, and the feed, read through both, still gives each change once.
#[tokio::test]
async fn the_feed_stays_exact_with_refreshes_in_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, receiver, secret) = process_setup(&dir).await;
    let mut processes = [serve(&db, &key, &[]), serve(&db, &key, &["--no-workers", "--no-migrate"])];
    let [a, b] = [Client::new(&processes[0].base, &secret), Client::new(&processes[1].base, &secret)];
    link_at(&client(), &processes[0].base, &secret, "feed@replicas.ng", "user_good").await;
    let id = connected_ids(&receiver, 1).await.remove(0);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while a.account(&id).await.unwrap().meta.data_status == "PROCESSING" {
        assert!(std::time::Instant::now() < deadline, "data stayed PROCESSING");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let ten = days(10);
    let moved = tokio::join!(
        a.advance_sandbox_clock(&ten),
        b.advance_sandbox_clock(&ten),
        a.advance_sandbox_clock(&ten),
        b.advance_sandbox_clock(&ten),
    );
    let moved = [moved.0.unwrap(), moved.1.unwrap(), moved.2.unwrap(), moved.3.unwrap()];
    assert_eq!(moved.iter().map(|m| m.refreshes).sum::<u64>(), 40);

    let mut mirror = Mirror::default();
    mirror.sync(&b, &id, 37, Some(3)).await;
    mirror.sync(&a, &id, 37, None).await;
    let mine: Vec<TransactionOut> = mirror.posted().into_iter().cloned().collect();
    assert!(mine == posted(&a, &id).await, "the feed's posted records are the server's");
    for process in &mut processes {
        process.child.kill().unwrap();
        process.child.wait().unwrap();
    }
}
