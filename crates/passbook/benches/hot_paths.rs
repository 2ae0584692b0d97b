//! Hot-path benchmarks, each compared with a baseline measured in the same run:
//!
//! 1. writing a data fetch of 100,000 transactions (batched, one database transaction);
//! 2. `GET /v2/accounts/{id}/transactions` on an account with 100,000 transactions against one
//!    with 100 (first page, last page, filtered);
//! 3. `GET /passbook/v1/accounts/{id}/transactions/sync` (the change feed) at its start, its
//!    last 100 changes and its end, on the same two accounts;
//! 4. the webhook pipeline: from the user's login to `account_connected` arriving at a local
//!    receiver.
//!
//! Run with `cargo bench -p passbook --bench hot_paths`.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test data and assertions on small, known numbers; the lints hold the shipped code"
)]
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use passbook::Config;
use passbook_domain::connector::FetchedTransaction;
use passbook_domain::model::{
    App, AuthMethod, Customer, DataKind, DataStatus, DiscoveredAccount, LinkContext, LinkMode, LinkSession, LinkState,
    NewAccount, TxKind,
};
use passbook_domain::store::{FetchUpdate, SessionCreated};
use passbook_domain::{Passbook, Timestamp, Vault, ids, sync, webhook_payloads};

const REQUESTS: usize = 300;

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(format!("sqlite://{}", dir.path().join("bench.db").display()));
    config.master_key = Some(Vault::generate_key());
    // Measures the machine, not the rate limits that guard it.
    config.http.rate_limits = passbook_server::RateLimits::off();
    // Each page read from the database: these rows measure the queries, not the answer cache
    // (the `machine` bench shows both).
    config.http.answer_cache_bytes = 0;
    let received = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let tests_received = Arc::new(Mutex::new(Vec::<(Instant, i64)>::new()));
    let hook_url = webhook_receiver(received.clone(), tests_received.clone()).await;
    config.sandbox_webhook_url = Some(hook_url);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = passbook::start(config, listener).await.unwrap();
    let created = server.created_sandbox_app.clone().unwrap();
    let passbook = server.passbook.clone();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    println!("## Passbook hot paths ({} requests per row)\n", REQUESTS);
    let small = seed_account(&passbook, &created.app, "small", 100).await;
    let (large, write_time) = {
        let started = Instant::now();
        let id = seed_account(&passbook, &created.app, "large", 100_000).await;
        (id, started.elapsed())
    };
    println!(
        "Writing one fetch of 100,000 transactions: {:.2} s ({:.0} rows/s)\n",
        write_time.as_secs_f64(),
        100_000.0 / write_time.as_secs_f64()
    );

    let base = &server.public_url;
    let key = &created.secret_key;
    let url = |account: &str, query: &str| format!("{base}/v2/accounts/{account}/transactions?{query}");
    println!("| request | 100 transactions (baseline) p50 / p95 | 100,000 transactions p50 / p95 | ratio of p50 |");
    println!("|---|---|---|---|");
    for (label, small_url, large_url) in [
        ("first page (limit 50)", url(&small, "limit=50"), url(&large, "limit=50")),
        (
            "last page, following `meta.next`",
            next_url(&http, key, &url(&small, "limit=50")).await,
            next_url(&http, key, &url(&large, "limit=50&page=1999")).await,
        ),
        ("last page, asked for as `page=N`", url(&small, "limit=50&page=2"), url(&large, "limit=50&page=2000")),
        ("type=credit, first page", url(&small, "type=credit"), url(&large, "type=credit")),
        ("date range of one month", url(&small, &range_query()), url(&large, &range_query())),
        ("sync: the feed's first 100 changes", sync_url(base, &small, 0), sync_url(base, &large, 0)),
        ("sync: the last 100 changes", sync_url(base, &small, 0), sync_url(base, &large, 100_000 - 100)),
        ("sync: at the end, nothing new", sync_url(base, &small, 100), sync_url(base, &large, 100_000)),
    ] {
        let a = time_requests(&http, key, &small_url).await;
        let b = time_requests(&http, key, &large_url).await;
        println!(
            "| {label} | {} / {} | {} / {} | {:.2}× |",
            fmt(a.0),
            fmt(a.1),
            fmt(b.0),
            fmt(b.1),
            b.0.as_secs_f64() / a.0.as_secs_f64()
        );
    }

    let first_page = url(&large, "limit=50");
    let etag = http.get(&first_page).header("mono-sec-key", key).send().await.unwrap().headers()["etag"].clone();
    let full = time_requests(&http, key, &first_page).await;
    let revalidated = time_conditional(&http, key, &first_page, Some(etag.to_str().unwrap())).await;
    println!(
        "| first page again with its `ETag` (304, no body), against a full answer | {} / {} | {} / {} | {:.2}× |",
        fmt(full.0),
        fmt(full.1),
        fmt(revalidated.0),
        fmt(revalidated.1),
        revalidated.0.as_secs_f64() / full.0.as_secs_f64()
    );

    let latencies = link_to_webhook(&http, &server.public_url, &created.secret_key, &received, 50).await;
    println!(
        "\nLogin submitted → `account_connected` received (50 links): p50 {} / p95 {}",
        fmt(latencies.0),
        fmt(latencies.1)
    );
    webhook_throughput(&passbook, &created.app, &tests_received, 2000).await;
    server.shutdown().await;
}

fn range_query() -> String {
    "start=01-06-2025&end=30-06-2025".into()
}

fn fmt(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{} µs", d.as_micros())
    } else {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    }
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 95 / 100])
}

/// A page of the account's change feed after its change number `after`.
fn sync_url(base: &str, account: &str, after: u64) -> String {
    let cursor = sync::Cursor { account_id: account.to_string(), seq: after }.encode();
    format!("{base}/passbook/v1/accounts/{account}/transactions/sync?count=100&cursor={cursor}")
}

async fn next_url(http: &reqwest::Client, key: &str, url: &str) -> String {
    let page: serde_json::Value = http.get(url).header("mono-sec-key", key).send().await.unwrap().json().await.unwrap();
    page["meta"]["next"].as_str().expect("a next page").to_string()
}

async fn time_requests(http: &reqwest::Client, key: &str, url: &str) -> (Duration, Duration) {
    time_conditional(http, key, url, None).await
}

/// Times requests that send `If-None-Match: etag` (answered 304) or none (answered 200).
async fn time_conditional(http: &reqwest::Client, key: &str, url: &str, etag: Option<&str>) -> (Duration, Duration) {
    let mut samples = Vec::with_capacity(REQUESTS);
    for i in 0..REQUESTS + 20 {
        let started = Instant::now();
        let mut request = http.get(url).header("mono-sec-key", key);
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        let res = request.send().await.unwrap();
        assert_eq!(res.status().as_u16(), if etag.is_some() { 304 } else { 200 });
        res.bytes().await.unwrap();
        if i >= 20 {
            samples.push(started.elapsed());
        }
    }
    percentiles(samples)
}

/// Creates a linked account with `count` transactions, one a day going back from now, written
/// as one fetch.
async fn seed_account(passbook: &Passbook, app: &App, label: &str, count: usize) -> String {
    let now = passbook.now();
    let customer = Customer {
        id: ids::object_id(now).into(),
        app_id: app.id.clone(),
        name: "Bench".into(),
        email: format!("{label}@bench.ng"),
        profile: Default::default(),
        created_at: now,
    };
    let session = LinkSession {
        id: ids::random_alnum(32).into(),
        mode: LinkMode::Hosted,
        app_id: app.id.clone(),
        customer_id: Some(customer.id.clone()),
        reference: Some(label.into()),
        redirect_url: None,
        context: LinkContext::default(),
        state: LinkState::ChooseInstitution,
        login_attempts: 0,
        challenge_attempts: 0,
        version: 0,
        created_at: now,
        expires_at: now.plus_millis(60_000),
        completed_at: None,
    };
    let SessionCreated::Created(Some(customer)) =
        passbook.store().create_link_session(Some(&customer), &session).await.unwrap()
    else {
        panic!("a new customer and reference")
    };
    let account = NewAccount {
        id: ids::object_id(now).into(),
        app_id: app.id.clone(),
        customer_id: customer.id.clone(),
        institution_id: "5f2d08be60b92e2888287702".into(),
        auth_method: AuthMethod::InternetBanking,
        reference: Some(label.into()),
        discovered: DiscoveredAccount {
            connector_ref: format!("user_good:{label}"),
            name: "BENCH ACCOUNT".into(),
            account_number: format!("{:010}", count),
            kind: "SAVINGS_ACCOUNT".into(),
            currency: "NGN".into(),
            balance: None,
        },
        created_at: now,
    };
    let mut done = session.clone();
    done.state = LinkState::Linked {
        institution_id: account.institution_id.clone(),
        account_ids: vec![account.id.clone()],
        auth_code: None,
    };
    done.completed_at = Some(now);
    passbook.store().complete_link_session(&mut done, std::slice::from_ref(&account), &[], &[], None).await.unwrap();
    let mut balance = 0;
    let transactions: Vec<FetchedTransaction> = (0..count)
        .map(|i| {
            let kind = if i % 5 == 0 { TxKind::Credit } else { TxKind::Debit };
            let amount = 1_000 + (i as i64 % 97) * 100;
            balance += if kind == TxKind::Credit { amount * 5 } else { -amount };
            FetchedTransaction {
                date: Timestamp(now.0 - (count - i) as i64 * 3_600_000),
                narration: format!("NIP TRF TO BENCH {i}"),
                amount,
                kind,
                balance: Some(balance),
                currency: "NGN".into(),
                fingerprint: format!("bench-{i}"),
            }
        })
        .collect();
    let changes = sync::plan(&account.id, &transactions, &[], &Default::default(), Default::default(), None);
    let stored = passbook.store().account_by_id(&account.id).await.unwrap().unwrap();
    let update = FetchUpdate {
        account_id: account.id.clone(),
        balance: Some(balance),
        identity: None,
        kind: None,
        bvn: None,
        data_status: DataStatus::Available,
        retrieved_data: vec![DataKind::Balance, DataKind::Transactions],
        needs_reauth: false,
        failure: None,
        connector_ref: None,
        linked_at: stored.authorised_at,
        updated_at: now,
    };
    let institution = passbook.institutions().get(&stored.institution_id).unwrap();
    let event = webhook_payloads::account_updated(&stored, &institution, None, now);
    passbook.store().save_fetch(&update, &changes, std::slice::from_ref(&event), None).await.unwrap();
    account.id.into()
}

/// Records when `account_connected` events arrive, and for test events their delay since the
/// event's own timestamp.
async fn webhook_receiver(received: Arc<Mutex<Vec<Instant>>>, tests: Arc<Mutex<Vec<(Instant, i64)>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/hooks",
        post(move |body: String| {
            let (received, tests) = (received.clone(), tests.clone());
            async move {
                if body.contains("account_connected") {
                    received.lock().unwrap().push(Instant::now());
                } else if body.contains("webhook_test") {
                    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
                    let created = Timestamp::parse_iso(value["timestamp"].as_str().unwrap()).unwrap();
                    let now = passbook_domain::Clock::now(&passbook_domain::SystemClock);
                    tests.lock().unwrap().push((Instant::now(), now.0 - created.0));
                }
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn link_to_webhook(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    received: &Arc<Mutex<Vec<Instant>>>,
    links: usize,
) -> (Duration, Duration) {
    let mut samples = Vec::new();
    for i in 0..links {
        let body = serde_json::json!({
            "customer": {"name": "Bench User", "email": format!("user{i}@bench.ng")},
            "scope": "auth",
            "institution": {"id": "5f2d08be60b92e2888287702", "auth_method": "internet_banking"}
        });
        let res: serde_json::Value = http
            .post(format!("{base}/v2/accounts/initiate"))
            .header("mono-sec-key", key)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let url = res["data"]["mono_url"].as_str().unwrap().to_string();
        let before = received.lock().unwrap().len();
        let started = Instant::now();
        http.post(format!("{url}/login"))
            .form(&[("username", "user_good"), ("password", "123456")])
            .send()
            .await
            .unwrap();
        loop {
            if let Some(at) = received.lock().unwrap().get(before) {
                samples.push(at.duration_since(started));
                break;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    percentiles(samples)
}

/// Queues `count` test events at once and measures how fast the dispatcher drains them to a
/// local receiver, and each event's time from creation to arrival.
async fn webhook_throughput(passbook: &Passbook, app: &App, tests: &Arc<Mutex<Vec<(Instant, i64)>>>, count: usize) {
    let started = Instant::now();
    for _ in 0..count {
        passbook.webhooks().send_test(app, "bench").await.unwrap();
    }
    let queued = started.elapsed();
    loop {
        if tests.lock().unwrap().len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let done = tests.lock().unwrap().iter().map(|(at, _)| *at).max().unwrap();
    let elapsed = done.duration_since(started);
    let delays: Vec<Duration> = tests.lock().unwrap().iter().map(|(_, ms)| Duration::from_millis(*ms as u64)).collect();
    let (p50, p95) = percentiles(delays);
    println!(
        "Webhook dispatcher: {count} events queued in {:.2} s and delivered in {:.2} s ({:.0} deliveries/s); \
         creation → arrival p50 {} / p95 {} (millisecond resolution)",
        queued.as_secs_f64(),
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        fmt(p50),
        fmt(p95)
    );
}
