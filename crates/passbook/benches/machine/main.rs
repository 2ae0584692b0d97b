//! Passbook against the machine: the release `passbook serve` process on a fresh database, seeded
//! through the public API, measured over loopback beside a same-bytes axum server started by this
//! benchmark in the same run; on SQLite, and on PostgreSQL when `PASSBOOK_BENCH_POSTGRES_URL`
//! names a server (a fresh database is created there).
//!
//! Run with `cargo bench -p passbook --bench machine`. It prints, per backend:
//! - pages served (`GET` transactions and account details) by Passbook and by the baseline,
//!   32 connections, three alternating runs each (the best of each side);
//! - link-to-data latency (last link step → `account_connected` / `account_updated` AVAILABLE);
//! - the 100,000-transaction fetch, end to end through the sandbox login `user_history`;
//! - 6,000 queued webhooks drained by one `passbook worker` to a loopback receiver;
//! - bytes on disk per transaction, memory and cold start;
//! - another app's reads while one app floods PDF statement builds, and alone;
//! - (`PASSBOOK_BENCH_ONLY=pages`, `webhooks` or `disk` runs only that section, to profile it)
//! - with `PASSBOOK_BENCH_PRISM` naming Stoplight Prism's executable
//!   (`npm install @stoplight/prism-cli`), the transactions page against `prism mock` too.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test data and assertions on small, known numbers; the lints hold the shipped code"
)]
#[path = "../common/postgres.rs"]
mod postgres;

mod flood;
mod load;
mod process;

use std::time::{Duration, Instant};

use process::{Passbook, Receiver, link};

const CONNECTIONS: usize = 32;
const RUN: Duration = Duration::from_secs(4);
const LINKS: usize = 15;
const WEBHOOKS: usize = 6_000;

fn main() {
    if let Ok(file) = std::env::var(load::BASELINE_BODY) {
        return load::serve_baseline(&file);
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The load generator and receiver share the machine with the server, as wrk would.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let mut backends = vec![("SQLite", format!("sqlite://{}", dir.path().join("bench.db").display()))];
        if let Ok(server) = std::env::var("PASSBOOK_BENCH_POSTGRES_URL") {
            backends.push(("PostgreSQL", postgres::fresh_database(&server).await));
        }
        for (name, database) in backends {
            measure(name, &database, dir.path()).await;
        }
    });
}

async fn measure(backend: &str, database: &str, dir: &std::path::Path) {
    println!("## {backend} ({} cores)\n", std::thread::available_parallelism().map_or(0, |n| n.get()));
    let key = passbook_domain::Vault::generate_key();
    let receiver = Receiver::start().await;
    let server = Passbook::start("serve", database, &key, &[], &receiver.url);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_rss = server.rss_mb();
    let secret = server.secret_key.clone();
    let api = passbook_client::Client::new(&server.base, &secret);

    let latency = link_to_data(&api, &receiver).await;
    let (history, fetch) = long_history(&api, &receiver).await;
    let (_, year) = link(&api, "user_good", LINKS).await;
    // On PostgreSQL a second replica serves beside the measured one, as in production: every
    // change is announced to both (the answers each keeps depend on it).
    let _second = (backend == "PostgreSQL")
        .then(|| Passbook::start("serve", database, &key, &["--no-workers", "--no-migrate"], &receiver.url));
    let year =
        receiver.wait_for(Duration::from_secs(30), |a| a.account == year && a.data_status == "AVAILABLE").await.account;
    if std::env::var("PASSBOOK_BENCH_ONLY").is_ok_and(|only| only == "disk") {
        return print_disk(database).await;
    }

    println!("| path | Passbook req/s (p50, p99) | same-bytes axum req/s (p50, p99) | ratio |");
    println!("|---|---|---|---|");
    let mut loaded_rss = 0.0_f64;
    let paths = [
        (
            "`GET /v2/accounts/{id}/transactions?limit=50`, 100,000 transactions",
            format!("/v2/accounts/{history}/transactions?limit=50"),
        ),
        (
            "`GET /v2/accounts/{id}/transactions?limit=50`, one year",
            format!("/v2/accounts/{year}/transactions?limit=50"),
        ),
        ("`GET /v2/accounts/{id}`", format!("/v2/accounts/{history}")),
    ];
    for (label, path) in paths.iter().filter(|_| wanted("pages")) {
        loaded_rss = loaded_rss.max(compare(&server, &secret, label, path, dir).await);
    }
    if let Ok(prism) = std::env::var("PASSBOOK_BENCH_PRISM") {
        against_prism(&server, &secret, &paths[0].1, &prism, dir).await;
    }
    println!();
    if !wanted("the rest") {
        // Alone with the worker measured: the server's own workers would claim the same events.
        drop(server);
        return webhook_rates(database, &key, &secret, &receiver).await;
    }
    flood::another_app_under_a_pdf_flood(&server, database, &key, &[history.clone(), year.clone()]).await;
    drop(server);
    // The same first page again, every answer read, converted and serialised anew.
    let server = Passbook::start("serve", database, &key, &["--answer-cache-mb", "0"], &receiver.url);
    let label = "the same, 100,000 transactions, `--answer-cache-mb 0`";
    loaded_rss = loaded_rss.max(compare(&server, &secret, label, &paths[0].1, dir).await);
    println!();
    println!(
        "Link to data, {LINKS} one-year links through the Partners API (last step sent → webhook at the receiver): \
         `account_connected` p50 {} / p95 {}; `account_updated` AVAILABLE p50 {} / p95 {}",
        ms(latency.0[latency.0.len() / 2]),
        ms(latency.0[latency.0.len() * 95 / 100]),
        ms(latency.1[latency.1.len() / 2]),
        ms(latency.1[latency.1.len() * 95 / 100])
    );
    println!(
        "The 100,000-transaction login (`user_history`), last step → `account_updated` AVAILABLE: {:.2} s ({:.0} transactions/s end to end: generated, sealed where private, written)",
        fetch.0.as_secs_f64(),
        fetch.1 as f64 / fetch.0.as_secs_f64()
    );
    println!(
        "Memory: {idle_rss:.1} MB idle, {loaded_rss:.1} MB at most under load; cold start {} to the listening line",
        ms(server.cold_start)
    );
    drop(server);
    webhook_rates(database, &key, &secret, &receiver).await;
    print_disk(database).await;
}

async fn print_disk(database: &str) {
    let (per_row, rows, parts) = disk_per_transaction(database).await;
    println!("On disk: {per_row:.0} bytes per transaction, indexes included ({rows} transactions: {parts})\n");
}

/// One row of the table: `path` from Passbook and from a same-bytes baseline, alternating;
/// returns the server's largest resident memory meanwhile.
async fn compare(server: &Passbook, secret: &str, label: &str, path: &str, dir: &std::path::Path) -> f64 {
    let url = format!("{}{path}", server.base);
    let http = reqwest::Client::new();
    let body = http.get(&url).header("mono-sec-key", secret).send().await.unwrap().bytes().await.unwrap();
    let baseline = Baseline::start(&body, dir);
    let mut rss = 0.0_f64;
    // Each load generator in turn: the figure to hold is the lower one (the one that leaves the
    // servers the most of the machine, which favours the lighter baseline).
    for generator in generators() {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            ours.push(generator.run(&url, secret).await);
            rss = rss.max(server.rss_mb());
            theirs.push(generator.run(&format!("{}{path}", baseline.base), "").await);
        }
        let (a, b) = (best(&ours), best(&theirs));
        assert_eq!(a.bytes, b.bytes, "the baseline answers the same bytes");
        println!(
            "| {label} ({:.1} KB), {} | {:.0} ({}, {}) | {:.0} ({}, {}) | {:.2}× |",
            a.bytes as f64 / 1024.0,
            generator.name(),
            a.per_second,
            ms(a.p50),
            ms(a.p99),
            b.per_second,
            ms(b.p50),
            ms(b.p99),
            a.per_second / b.per_second
        );
    }
    rss
}

#[derive(Clone, Copy)]
enum Generator {
    /// `wrk -t2 -c32`.
    Wrk,
    /// The closed loop of `load::run`, on this process's two threads.
    BuiltIn,
}

/// `wrk` when installed, then the built-in generator (`PASSBOOK_BENCH_LOAD=wrk` or `built-in`
/// keeps one).
fn generators() -> Vec<Generator> {
    let only = std::env::var("PASSBOOK_BENCH_LOAD").unwrap_or_default();
    let mut all = Vec::new();
    if only != "built-in" && load::wrk_installed() {
        all.push(Generator::Wrk);
    }
    if only != "wrk" {
        all.push(Generator::BuiltIn);
    }
    all
}

impl Generator {
    fn name(self) -> &'static str {
        match self {
            Generator::Wrk => "wrk",
            Generator::BuiltIn => "built-in load",
        }
    }

    async fn run(self, url: &str, key: &str) -> load::Load {
        match self {
            Generator::Wrk => load::run_wrk(url, key, CONNECTIONS, RUN).await,
            Generator::BuiltIn => load::run(url, key, CONNECTIONS, RUN).await,
        }
    }
}

/// The same page from Stoplight Prism (`prism mock`) serving it as the example of a one-operation
/// OpenAPI document: a stateless mock, the other yardstick. `prism` is the path of its
/// executable (`npm install @stoplight/prism-cli`).
async fn against_prism(server: &Passbook, secret: &str, path: &str, prism: &str, dir: &std::path::Path) {
    use std::io::BufRead;
    let url = format!("{}{path}", server.base);
    let http = reqwest::Client::new();
    let body: serde_json::Value =
        http.get(&url).header("mono-sec-key", secret).send().await.unwrap().json().await.unwrap();
    let spec = serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "Passbook transactions page", "version": "1"},
        "paths": {"/v2/accounts/{id}/transactions": {"get": {
            "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "string"}}
            ],
            "responses": {"200": {"description": "A page", "content": {"application/json": {"example": body}}}}
        }}}
    });
    let file = dir.join("prism.json");
    std::fs::write(&file, spec.to_string()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new(prism)
        .args(["mock", "--host", "127.0.0.1", "--port", &port.to_string(), "--errors", "false"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("PASSBOOK_BENCH_PRISM names the prism executable");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    lines.by_ref().map_while(Result::ok).find(|l| l.contains("Prism is listening"));
    std::thread::spawn(move || lines.for_each(drop));
    let mock = format!("http://127.0.0.1:{port}{path}");
    let ours = load::run(&url, secret, CONNECTIONS, RUN).await;
    let theirs = load::run(&mock, "", CONNECTIONS, RUN).await;
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "| the 100,000-transaction page against Stoplight Prism (`prism mock`, the page as its example) | {:.0} ({}, {}) | Prism {:.0} ({}, {}) | {:.1}× Prism |",
        ours.per_second,
        ms(ours.p50),
        ms(ours.p99),
        theirs.per_second,
        ms(theirs.p50),
        ms(theirs.p99),
        ours.per_second / theirs.per_second
    );
}

/// Per link: (to `account_connected`, to `account_updated` AVAILABLE), each sorted.
async fn link_to_data(api: &passbook_client::Client, receiver: &Receiver) -> (Vec<Duration>, Vec<Duration>) {
    let (mut connected, mut available) = (Vec::new(), Vec::new());
    for n in 0..LINKS {
        let (sent, id) = link(api, "user_good", n).await;
        let limit = Duration::from_secs(30);
        let c = receiver.wait_for(limit, |a| a.account == id && a.event == "mono.events.account_connected").await;
        let u = receiver.wait_for(limit, |a| a.account == id && a.data_status == "AVAILABLE").await;
        connected.push(c.at - sent);
        available.push(u.at - sent);
    }
    connected.sort();
    available.sort();
    (connected, available)
}

/// The account id of `user_history` and (last step → AVAILABLE, its transactions).
async fn long_history(api: &passbook_client::Client, receiver: &Receiver) -> (String, (Duration, u64)) {
    let (sent, id) = link(api, "user_history", 0).await;
    let done = receiver.wait_for(Duration::from_secs(300), |a| a.account == id && a.data_status == "AVAILABLE").await;
    let query = passbook_client::types::accounts::TransactionsQuery { limit: Some("1".into()), ..Default::default() };
    let total = api.transactions(&id, &query).await.unwrap().meta.total;
    (id, (done.at - sent, total))
}

/// Queues [`WEBHOOKS`] test events through a server without workers, then times one
/// `passbook worker` draining them.
async fn webhook_rates(database: &str, key: &str, secret: &str, receiver: &Receiver) {
    if !wanted("webhooks") {
        return;
    }
    for per_app in ["4", "16"] {
        let rate = webhooks(database, key, secret, receiver, per_app).await;
        println!(
            "{WEBHOOKS} queued `webhook_test` events to one app drained by one `passbook worker \
             --webhook-concurrency-per-app {per_app}`: {rate:.0} deliveries/s"
        );
    }
}

/// Whether `PASSBOOK_BENCH_ONLY` (`pages`, `webhooks` or `disk`; every section when unset) asks for it.
fn wanted(section: &str) -> bool {
    std::env::var("PASSBOOK_BENCH_ONLY").map_or(true, |only| only == section)
}

async fn webhooks(database: &str, key: &str, secret: &str, receiver: &Receiver, per_app: &str) -> f64 {
    let server = Passbook::start("serve", database, key, &["--no-workers"], &receiver.url);
    let http = reqwest::Client::new();
    let url = format!("{}/passbook/v1/webhook/test", server.base);
    let before = receiver.count("mono.events.webhook_test");
    let queued: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (http, url, secret) = (http.clone(), url.clone(), secret.to_string());
            tokio::spawn(async move {
                for _ in 0..WEBHOOKS / CONNECTIONS {
                    let res = http.post(&url).header("mono-sec-key", &secret).send().await.unwrap();
                    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
                }
            })
        })
        .collect();
    for task in queued {
        task.await.unwrap();
    }
    let expected = before + WEBHOOKS / CONNECTIONS * CONNECTIONS;
    let worker = Passbook::start("worker", database, key, &["--webhook-concurrency-per-app", per_app], "");
    let started = Instant::now();
    while receiver.count("mono.events.webhook_test") < expected {
        assert!(started.elapsed() < Duration::from_secs(300), "the worker drains the outbox");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let rate = (expected - before) as f64 / started.elapsed().as_secs_f64();
    drop(worker);
    rate
}

/// Bytes of the transactions table and its indexes per row: in all, and per part.
async fn disk_per_transaction(database: &str) -> (f64, i64, String) {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(database).await.unwrap();
    let rows: i64 = sqlx::query("SELECT COUNT(*) FROM transactions").fetch_one(&mut db).await.unwrap().get(0);
    let parts_sql = if database.starts_with("sqlite") {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut db).await.unwrap();
        "SELECT name, CAST(SUM(pgsize) AS BIGINT) FROM dbstat WHERE name IN \
         (SELECT name FROM sqlite_master WHERE tbl_name = 'transactions') GROUP BY name ORDER BY name"
    } else {
        "SELECT c.relname::text, pg_relation_size(c.oid)::bigint FROM pg_class c \
         WHERE c.relname = 'transactions' OR c.oid IN \
         (SELECT indexrelid FROM pg_index WHERE indrelid = 'transactions'::regclass) ORDER BY 1"
    };
    let parts: Vec<(String, i64)> = sqlx::query(parts_sql)
        .fetch_all(&mut db)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
        .collect();
    let bytes: i64 = parts.iter().map(|(_, b)| b).sum();
    let per = |b: i64| b as f64 / rows.max(1) as f64;
    let detail = parts.iter().map(|(name, b)| format!("{name} {:.0}", per(*b))).collect::<Vec<_>>().join(", ");
    (per(bytes), rows, detail)
}

/// The same-bytes server: this benchmark's own executable, started again as a separate process.
struct Baseline {
    child: std::process::Child,
    base: String,
}

impl Baseline {
    fn start(body: &[u8], dir: &std::path::Path) -> Self {
        use std::io::BufRead;
        let file = dir.join("baseline-body");
        std::fs::write(&file, body).unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .env(load::BASELINE_BODY, &file)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.trim().strip_prefix("baseline listening on ").unwrap().to_string();
        Self { child, base }
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn best(runs: &[load::Load]) -> &load::Load {
    runs.iter().max_by(|a, b| a.per_second.total_cmp(&b.per_second)).unwrap()
}

fn ms(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{} µs", d.as_micros())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    }
}
