//! The production recipe under faults (when `PASSBOOK_TEST_HA_URL` names the stack that
//! `scripts/start-ha-stack.sh` starts: etcd, two PostgreSQL nodes under Patroni with synchronous
//! replication, HAProxy routing to the primary). Two `passbook serve` replicas take steady load
//! (links through the hosted page, reads) while the database goes through a planned switchover,
//! a `kill -9` of the primary's postmaster, and the loss of the primary's whole node. Asserted:
//! no answer but 503 while the database is away, no 503 once it has been back for 3 s, no
//! request that hangs, every account announced still there, every event delivered once and in
//! order. The figures of each fault are printed (`--nocapture`) for docs/production.md.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::*;

/// One node of the stack, as `PASSBOOK_TEST_HA_NODES` names it (`name=data_dir=rest_url`).
struct Node {
    name: String,
    data_dir: String,
    rest: String,
}

fn nodes() -> Vec<Node> {
    let spec = std::env::var("PASSBOOK_TEST_HA_NODES").expect("PASSBOOK_TEST_HA_NODES, from start-ha-stack.sh");
    spec.split(',')
        .map(|node| {
            let mut parts = node.splitn(3, '=');
            let mut next = || parts.next().expect("name=data_dir=rest_url").to_string();
            Node { name: next(), data_dir: next(), rest: next() }
        })
        .collect()
}

/// What one request of the load came to: when it started and ended, and its status (`None`:
/// no answer at all, which must never happen).
struct Outcome {
    started: Instant,
    ended: Instant,
    status: Option<u16>,
}

#[derive(Default)]
struct Record {
    outcomes: Mutex<Vec<Outcome>>,
    /// Whether a fresh connection through HAProxy reached a primary, every 100 ms.
    probes: Mutex<Vec<(Instant, bool)>>,
}

impl Record {
    /// Sends `request` and records what it came to; the answer, when there is one.
    async fn send(&self, request: reqwest::RequestBuilder) -> Option<reqwest::Response> {
        let started = Instant::now();
        let answer = request.send().await.ok();
        let status = answer.as_ref().map(|r| r.status().as_u16());
        self.outcomes.lock().unwrap().push(Outcome { started, ended: Instant::now(), status });
        answer
    }

    async fn request(&self, request: reqwest::RequestBuilder) -> Option<u16> {
        self.send(request).await.map(|r| r.status().as_u16())
    }
}

/// Links accounts one after the other, each step on the other replica than the one before,
/// until `stop`; a step that fails abandons its link.
async fn link_load(record: Arc<Record>, replicas: [String; 2], secret: String, worker: usize, stop: Arc<AtomicBool>) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let base = &replicas[n % 2];
        let body =
            json!({"customer": {"name": "Failover", "email": format!("f{worker}-{n}@example.ng")}, "scope": "auth"});
        let initiate = http.post(format!("{base}/v2/accounts/initiate")).header("mono-sec-key", &secret).json(&body);
        let Some(res) = record.send(initiate).await.filter(|r| r.status() == 200) else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let data: Value = res.json().await.unwrap();
        let path = data["data"]["mono_url"].as_str().unwrap().rsplit_once("/link/").unwrap().1.to_string();
        let steps: [(&str, &[(&str, &str)]); 4] = [
            ("consent", &[]),
            ("institution", &[("institution", GTBANK)]),
            ("auth-method", &[("auth_method", "internet_banking")]),
            ("login", &[("username", "user_good"), ("password", "123456")]),
        ];
        for (i, (action, form)) in steps.into_iter().enumerate() {
            let base = &replicas[(n + i + 1) % 2];
            if record.request(http.post(format!("{base}/link/{path}/{action}")).form(form)).await != Some(303) {
                tokio::time::sleep(Duration::from_millis(200)).await;
                break;
            }
        }
    }
}

async fn read_load(record: Arc<Record>, base: String, secret: String, stop: Arc<AtomicBool>) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    while !stop.load(Ordering::SeqCst) {
        record.request(http.get(format!("{base}/v2/accounts")).header("mono-sec-key", &secret)).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn probe(record: Arc<Record>, url: String, stop: Arc<AtomicBool>) {
    use sqlx::Connection;
    while !stop.load(Ordering::SeqCst) {
        let primary = tokio::time::timeout(Duration::from_secs(1), async {
            let mut conn = sqlx::PgConnection::connect(&url).await.ok()?;
            let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()").fetch_one(&mut conn).await.ok()?;
            Some(!standby)
        })
        .await;
        record.probes.lock().unwrap().push((Instant::now(), primary == Ok(Some(true))));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn cluster(http: &reqwest::Client, nodes: &[Node]) -> Option<Vec<Value>> {
    for node in nodes {
        if let Ok(res) = http.get(format!("{}/cluster", node.rest)).send().await
            && let Ok(body) = res.json::<Value>().await
        {
            return body["members"].as_array().cloned();
        }
    }
    None
}

/// The leader's name once Patroni has a leader running and a synchronous standby running, and
/// the primary HAProxy leads to streams to a synchronous standby: until then, Patroni would not
/// promote the standby if the primary were lost.
async fn settled(http: &reqwest::Client, nodes: &[Node], url: &str) -> Option<String> {
    use sqlx::Connection;
    let members = cluster(http, nodes).await?;
    let running = |m: &&Value| m["state"] == "running" || m["state"] == "streaming";
    let leader = members.iter().filter(running).find(|m| m["role"] == "leader")?;
    members.iter().filter(running).find(|m| m["role"] == "sync_standby")?;
    let mut conn = sqlx::PgConnection::connect(url).await.ok()?;
    let synchronous: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming'",
    )
    .fetch_one(&mut conn)
    .await
    .ok()?;
    (synchronous > 0).then(|| leader["name"].as_str().unwrap().to_string())
}

async fn wait_settled(http: &reqwest::Client, nodes: &[Node], url: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        if let Some(leader) = settled(http, nodes, url).await {
            return leader;
        }
        assert!(Instant::now() < deadline, "the HA stack did not settle within {within:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn run(command: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(command).args(args).output().unwrap();
    assert!(out.status.success(), "{command} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn postmaster_pid(node: &Node) -> String {
    let pid = std::fs::read_to_string(format!("{}/postmaster.pid", node.data_dir)).unwrap();
    pid.lines().next().unwrap().trim().to_string()
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// `POST /switchover` to Patroni: the primary hands over to its standby.
    Switchover,
    /// The primary's postmaster killed; Patroni, still holding the lock, restarts it.
    KillPostmaster,
    /// The primary's Patroni and postmaster killed: the lock expires, the standby is promoted.
    LoseNode,
}

async fn inflict(fault: Fault, http: &reqwest::Client, nodes: &[Node], leader: &str) {
    let node = nodes.iter().find(|n| n.name == leader).unwrap();
    match fault {
        Fault::Switchover => {
            let other = nodes.iter().find(|n| n.name != leader).unwrap();
            let res = http
                .post(format!("{}/switchover", node.rest))
                .json(&json!({"leader": leader, "candidate": other.name}))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "switchover: {}", res.text().await.unwrap());
        }
        Fault::KillPostmaster => {
            run("kill", &["-9", &postmaster_pid(node)]);
        }
        Fault::LoseNode => {
            let postmaster = postmaster_pid(node);
            run("pkill", &["-9", "-f", &format!("patroni {}.yml", node.data_dir)]);
            run("kill", &["-9", &postmaster]);
        }
    }
}

/// What a fault came to, from the moment it was inflicted to the next one.
struct Window {
    fault: Fault,
    /// When it was inflicted, UTC (to find it in the logs).
    at: String,
    /// The database (a primary, through HAProxy) unreachable, in seconds.
    database_away: f64,
    requests: usize,
    unavailable: usize,
    /// From the fault to the start of the first and the last request answered 503, in seconds.
    errors: (f64, f64),
    /// From the database being back to the start of the last request answered 503 (negative:
    /// before the probe, polling every 100 ms, saw it back).
    errors_after_back: f64,
}

fn window(record: &Record, fault: Fault, from: Instant, to: Instant) -> Window {
    let wall = std::time::SystemTime::now() - from.elapsed();
    let secs = wall.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 86_400;
    let at = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    let probes = record.probes.lock().unwrap();
    let during: Vec<_> = probes.iter().filter(|(at, _)| *at >= from && *at < to).collect();
    let first_down = during.iter().find(|(_, up)| !up).map(|(at, _)| *at);
    let back =
        first_down.and_then(|down| during.iter().find(|(at, up)| *up && *at > down).map(|(at, _)| *at)).unwrap_or(from);
    let outcomes = record.outcomes.lock().unwrap();
    let mine: Vec<_> = outcomes.iter().filter(|o| o.started >= from && o.started < to).collect();
    let failed: Vec<_> = mine.iter().filter(|o| o.status != Some(200) && o.status != Some(303)).collect();
    let first_error = failed.iter().map(|o| o.started).min();
    let last_error = failed.iter().map(|o| o.started).max();
    let seconds = |from: Instant, to: Instant| match to.checked_duration_since(from) {
        Some(d) => d.as_secs_f64(),
        None => -(from - to).as_secs_f64(),
    };
    Window {
        fault,
        at,
        database_away: first_down.map_or(0.0, |down| (back - down).as_secs_f64()),
        requests: mine.len(),
        unavailable: failed.len(),
        errors: (first_error.map_or(0.0, |at| seconds(from, at)), last_error.map_or(0.0, |at| seconds(from, at))),
        errors_after_back: last_error.map_or(0.0, |at| seconds(back, at)),
    }
}

#[tokio::test]
async fn a_switchover_a_killed_primary_and_a_lost_node_under_load_lose_nothing() {
    let Ok(ha) = std::env::var("PASSBOOK_TEST_HA_URL") else { return };
    let nodes = nodes();
    let http = client();
    let mut leader = wait_settled(&http, &nodes, &ha, Duration::from_secs(60)).await;
    let (db, key, receiver, secret) = process_setup_on(database_on(&ha).await).await;
    // The default leases (a delivery can wait half of its lease for the database to come back
    // and be recorded), not the short ones of the other process tests.
    let leases = ["--webhook-lease-secs", "60", "--job-lease-secs", "60"];
    // One client address making every request: its limits are not what is tested here.
    let limits = [
        ("PASSBOOK_RATE_LIMIT_PER_ADDRESS", "0"),
        ("PASSBOOK_RATE_LIMIT_PER_KEY", "0"),
        ("PASSBOOK_LINK_ACTIONS_PER_ADDRESS", "0"),
    ];
    let logs = std::env::var("PASSBOOK_TEST_HA_LOGS").ok().map(std::path::PathBuf::from);
    let log = |name: &str| logs.as_ref().map(|dir| dir.join(name));
    let a = serve_with(&db, &key, &leases, &limits, log("a.log").as_deref());
    let b = serve_with(&db, &key, &[&leases[..], &["--no-migrate"]].concat(), &limits, log("b.log").as_deref());
    let replicas = [a.base.clone(), b.base.clone()];

    let record = Arc::new(Record::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for worker in 0..6 {
        load.push(tokio::spawn(link_load(record.clone(), replicas.clone(), secret.clone(), worker, stop.clone())));
    }
    for base in &replicas {
        load.push(tokio::spawn(read_load(record.clone(), base.clone(), secret.clone(), stop.clone())));
    }
    load.push(tokio::spawn(probe(record.clone(), db.clone(), stop.clone())));
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut windows = Vec::new();
    for fault in [Fault::Switchover, Fault::KillPostmaster, Fault::LoseNode] {
        let from = Instant::now();
        inflict(fault, &http, &nodes, &leader).await;
        // Before the database is seen away, the stack still looks settled on the old leader.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !record.probes.lock().unwrap().iter().any(|(at, up)| *at > from && !up) {
            assert!(Instant::now() < deadline, "{fault:?}: the database never went away");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if let Fault::LoseNode = fault {
            // The standby is promoted once the lost node's lock expires (ttl 20 s); then the
            // node is started again, and rejoins as the standby.
            let deadline = Instant::now() + Duration::from_secs(60);
            while cluster(&http, &nodes)
                .await
                .is_none_or(|m| !m.iter().any(|m| m["role"] == "leader" && m["name"] != leader.as_str()))
            {
                assert!(Instant::now() < deadline, "the standby was not promoted");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/start-ha-stack.sh");
            tokio::task::spawn_blocking(move || {
                let out =
                    std::process::Command::new("bash").arg(script).env("HA_KEEP_DATABASES", "1").output().unwrap();
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            })
            .await
            .unwrap();
        }
        leader = wait_settled(&http, &nodes, &ha, Duration::from_secs(90)).await;
        tokio::time::sleep(Duration::from_secs(6)).await;
        windows.push(window(&record, fault, from, Instant::now()));
    }
    stop.store(true, Ordering::SeqCst);
    for task in load {
        task.await.unwrap();
    }

    println!(
        "fault          at (UTC)  database away  requests  answered 503  503s from fault +s  last 503 - database back"
    );
    for w in &windows {
        println!(
            "{:<14} {} {:>12.1}s {:>9} {:>13} {:>9.1} to {:>4.1}s {:>24.1}s",
            format!("{:?}", w.fault),
            w.at,
            w.database_away,
            w.requests,
            w.unavailable,
            w.errors.0,
            w.errors.1,
            w.errors_after_back
        );
    }
    let (statuses, slowest) = {
        let outcomes = record.outcomes.lock().unwrap();
        let mut statuses: HashMap<Option<u16>, usize> = HashMap::new();
        for o in outcomes.iter() {
            *statuses.entry(o.status).or_default() += 1;
        }
        (statuses, outcomes.iter().map(|o| o.ended - o.started).max().unwrap())
    };
    println!("statuses {statuses:?}; slowest answer {slowest:?}");
    let unexpected: Vec<_> = statuses.keys().filter(|s| !matches!(s, Some(200 | 303 | 503))).collect();
    assert!(unexpected.is_empty(), "only 200, 303 and 503 (never 500, never no answer): {statuses:?}");
    for w in &windows {
        assert!(
            w.errors_after_back <= 3.0,
            "{:?}: 503 for {:.1} s after the database was back",
            w.fault,
            w.errors_after_back
        );
    }

    // Every fetch runs (none waits out its lease because its end could not be written down),
    // and every event written is delivered, once, in order per account.
    let pool = sqlx::PgPool::connect(&db).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let events: i64 = loop {
        let (jobs, unfinished): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE done_at IS NULL) FROM jobs WHERE kind = 'fetch_account'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let (all, delivered): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'delivered') FROM events")
                .fetch_one(&pool)
                .await
                .unwrap();
        if unfinished == 0 && all == delivered {
            break all;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {jobs} fetches done, {delivered} of {all} events delivered",
            jobs - unfinished
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let received = receiver.all();
    let mut deliveries: HashMap<String, usize> = HashMap::new();
    for r in &received {
        *deliveries.entry(r.event_id()).or_default() += 1;
    }
    let repeated = deliveries.values().filter(|&&n| n > 1).count();
    println!("{events} events, {} deliveries, {repeated} delivered more than once", received.len());
    assert_eq!(deliveries.len() as i64, events, "every event written arrived");
    assert_eq!(repeated, 0, "no event delivered twice");
    assert_delivered_in_order(&received, events as usize);

    // Nothing accepted was lost: every account announced is there, on both replicas.
    let accounts: Vec<String> = received
        .iter()
        .filter(|r| r.event() == "mono.events.account_connected")
        .map(|r| r.json()["data"]["id"].as_str().unwrap().to_string())
        .collect();
    println!("{} accounts linked", accounts.len());
    assert!(accounts.len() >= 10, "the load linked accounts ({})", accounts.len());
    for (i, id) in accounts.iter().enumerate() {
        let base = &replicas[i % 2];
        let res = http.get(format!("{base}/v2/accounts/{id}")).header("mono-sec-key", &secret).send().await.unwrap();
        assert_eq!(res.status(), 200, "account {id}, announced, is there");
    }
}
