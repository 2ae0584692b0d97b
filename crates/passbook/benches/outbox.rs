//! The webhook outbox under a backlog, on SQLite and (when `PASSBOOK_BENCH_POSTGRES_URL` names a
//! server) PostgreSQL in the same run: the cost of one claim with thousands of events waiting,
//! and how fast the backlog drains to a local receiver. SQLite is the baseline.
//!
//! Run with `cargo bench -p passbook --bench outbox` (add
//! `PASSBOOK_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5433/postgres` for PostgreSQL; the
//! bench creates and uses a fresh database there).
#[path = "common/postgres.rs"]
mod postgres;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::routing::post;
use passbook::Config;
use passbook_domain::model::{NewEvent, QueueClaim};
use passbook_domain::{Timestamp, Vault, ids};

/// Test events (independent of each other) and events about one account (delivered in order).
const APP_EVENTS: usize = 3000;
const ACCOUNT_EVENTS: usize = 1000;
const CLAIMS: usize = 30;

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let mut backends = vec![("SQLite", format!("sqlite://{}", dir.path().join("outbox.db").display()))];
    if let Ok(server) = std::env::var("PASSBOOK_BENCH_POSTGRES_URL") {
        backends.push(("PostgreSQL", postgres::fresh_database(&server).await));
    }
    println!("## Webhook outbox with {APP_EVENTS} independent and {ACCOUNT_EVENTS} ordered events waiting\n");
    println!("| backend | one claim, p50 / max ({CLAIMS} claims) | backlog drained in | deliveries/s |");
    println!("|---|---|---|---|");
    for (name, url) in backends {
        let key = Vault::generate_key();
        let received = Arc::new(AtomicUsize::new(0));
        let hook = receiver(received.clone()).await;
        let mut config = Config::new(url);
        config.master_key = Some(key);
        config.workers = false;
        config.http.rate_limits = passbook_server::RateLimits::off();
        let queued = start(&config).await;
        let app = queued.passbook.create_app("Outbox bench", Some(&hook)).await.unwrap();
        let store = queued.passbook.store().clone();
        let now = queued.passbook.now();
        for i in 0..APP_EVENTS + ACCOUNT_EVENTS {
            let account = (i >= APP_EVENTS).then(|| "6b0000000000000000000001".to_string());
            store.insert_event(&event(&app.app.id, account, now), None).await.unwrap();
        }
        // The claim statement with the whole backlog waiting; the lease ends at once, so the
        // claimed events are due again for the next claim and the dispatcher later.
        let mut claims = Vec::new();
        for _ in 0..CLAIMS {
            let started = Instant::now();
            let at = queued.passbook.now();
            let claim =
                QueueClaim { now: at, lease_until: Timestamp(at.0 - 1), limit: 16, per_app: 4, ahead: 1, owner: 1 };
            store.claim_events(&claim).await.unwrap();
            claims.push(started.elapsed());
        }
        claims.sort();
        let mut delivering = config.clone();
        delivering.workers = true;
        let started = Instant::now();
        let workers = start(&delivering).await;
        let total = APP_EVENTS + ACCOUNT_EVENTS;
        while received.load(Ordering::Relaxed) < total {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let drained = started.elapsed();
        println!(
            "| {name} | {:.2} ms / {:.2} ms | {:.2} s | {:.0} |",
            claims[CLAIMS / 2].as_secs_f64() * 1000.0,
            claims[CLAIMS - 1].as_secs_f64() * 1000.0,
            drained.as_secs_f64(),
            total as f64 / drained.as_secs_f64()
        );
        workers.shutdown().await;
        queued.shutdown().await;
    }
}

fn event(app_id: &str, account_id: Option<String>, now: Timestamp) -> NewEvent {
    let id = ids::event_id();
    let payload = serde_json::json!({"event": "mono.events.webhook_test", "event_id": id, "data": {}}).to_string();
    NewEvent {
        id: id.into(),
        app_id: app_id.into(),
        account_id: account_id.map(Into::into),
        event: "mono.events.webhook_test".into(),
        payload,
        created_at: now,
    }
}

async fn start(config: &Config) -> passbook::Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    passbook::start(config.clone(), listener).await.unwrap()
}

async fn receiver(received: Arc<AtomicUsize>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/hooks",
        post(move || {
            received.fetch_add(1, Ordering::Relaxed);
            async { "ok" }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}
