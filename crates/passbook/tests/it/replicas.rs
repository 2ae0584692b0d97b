//! Several Passbook processes on one database: two API replicas (one without workers) and a
//! separate worker. A user's requests alternate between the replicas, a worker is killed
//! mid-way, and still every webhook arrives, in order per account, with no job run twice.
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn links_across_replicas_survive_a_killed_worker() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, receiver, secret) = process_setup(&dir).await;

    let mut a = serve(&db, &key, &[]);
    let mut b = serve(&db, &key, &["--no-workers", "--no-migrate"]);
    let mut worker = serve(&db, &key, &["worker", "--no-migrate"]);
    let replicas = [a.base.clone(), b.base.clone()];
    let http = client();
    const LINKS: usize = 16;
    for i in 0..LINKS {
        let (first, second) = (&replicas[i % 2], &replicas[(i + 1) % 2]);
        let body = json!({"customer": {"name": "Replica", "email": format!("r{i}@example.ng")}, "scope": "auth"});
        let res = initiate_with(&passbook_client::Client::new(first, &secret), &body).await;
        let path = res["mono_url"].as_str().unwrap().rsplit_once("/link/").unwrap().1.to_string();
        // Each step of the link page goes to the other replica than the one before.
        let steps: [(&str, Vec<(&str, &str)>); 4] = [
            ("consent", vec![]),
            ("institution", vec![("institution", GTBANK)]),
            ("auth-method", vec![("auth_method", "internet_banking")]),
            ("login", vec![("username", "user_good"), ("password", "123456")]),
        ];
        for (n, (action, form)) in steps.iter().enumerate() {
            let base = if n % 2 == 0 { second } else { first };
            let res = http.post(format!("{base}/link/{path}/{action}")).form(form).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 303, "{action} on {base}");
        }
        if i == LINKS / 2 {
            worker.child.kill().unwrap(); // SIGKILL, whatever it holds
            worker.child.wait().unwrap();
        }
    }
    let all = receiver.wait_for_acknowledged(2 * LINKS, Duration::from_secs(90)).await;
    assert_delivered_in_order(&all, 2 * LINKS);

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db).await.unwrap();
    let unfinished: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE done_at IS NULL").fetch_one(&pool).await.unwrap();
    assert_eq!(unfinished, 0, "every job ran");
    let repeated: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE attempts > 1").fetch_one(&pool).await.unwrap();
    assert!(repeated <= 8, "only jobs the killed worker held can run twice ({repeated})");
    let duplicates: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT account_id, fingerprint FROM transactions GROUP BY account_id, fingerprint HAVING COUNT(*) > 1) d",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(duplicates, 0, "a job that ran twice stored nothing twice");
    for p in [&mut a, &mut b] {
        p.child.kill().unwrap();
        p.child.wait().unwrap();
    }
}

/// Two API replicas and three workers on one database, nothing killed: hundreds of webhooks
/// written in parallel through both replicas (tests, and income reports about one account) each
/// arrive exactly once, every account's events arrive in sequence order, and no sequence number
/// repeats.
#[tokio::test]
async fn several_workers_deliver_each_event_once_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, receiver, secret) = process_setup(&dir).await;
    let mut processes = vec![serve(&db, &key, &["--no-workers"]), serve(&db, &key, &["--no-workers", "--no-migrate"])];
    let replicas = [processes[0].base.clone(), processes[1].base.clone()];
    for _ in 0..3 {
        processes.push(serve(&db, &key, &["worker", "--no-migrate"]));
    }
    let http = client();
    let account = link_through(&http, &replicas[0], &secret, "workers@example.ng").await;
    receiver.wait_for("mono.events.account_updated", 1).await;

    const TESTS: usize = 300;
    const INCOME: usize = 100;
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..TESTS + INCOME {
        let (http, base, secret, account) = (http.clone(), replicas[i % 2].clone(), secret.clone(), account.clone());
        requests.spawn(async move {
            let res = if i < TESTS {
                http.post(format!("{base}/passbook/v1/webhook/test")).header("mono-sec-key", &secret).send().await
            } else {
                http.get(format!("{base}/v2/accounts/{account}/income")).header("mono-sec-key", &secret).send().await
            };
            assert!(res.unwrap().status().is_success());
        });
    }
    requests.join_all().await;
    let expected = 2 + TESTS + INCOME;
    receiver.wait_for_acknowledged(expected, Duration::from_secs(120)).await;
    tokio::time::sleep(Duration::from_millis(500)).await; // a duplicate would arrive by now
    let all = receiver.all();

    let mut seen = std::collections::HashSet::new();
    let duplicates: Vec<String> = all.iter().map(Received::event_id).filter(|id| !seen.insert(id.clone())).collect();
    assert!(
        duplicates.is_empty(),
        "{} events delivered twice, first {:?}",
        duplicates.len(),
        &duplicates[..duplicates.len().min(5)]
    );
    assert_eq!(all.len(), expected);

    let account_events: Vec<i64> = all
        .iter()
        .filter(|r| r.event() != "mono.events.webhook_test")
        .map(|r| r.json()["sequence"].as_i64().expect("a sequence"))
        .collect();
    let in_order: Vec<i64> = (1..=account_events.len() as i64).collect();
    assert_eq!(account_events, in_order, "the account's events arrive once each, in sequence order");
    let mut test_sequences: Vec<i64> = all
        .iter()
        .filter(|r| r.event() == "mono.events.webhook_test")
        .map(|r| r.json()["sequence"].as_i64().unwrap())
        .collect();
    test_sequences.sort();
    assert_eq!(test_sequences, (1..=TESTS as i64).collect::<Vec<_>>(), "the app's own events are numbered once each");
    for p in &mut processes {
        p.child.kill().unwrap();
        p.child.wait().unwrap();
    }
}

/// Two workers that lease ahead (a lease of six timeouts lets each lease three times its limit
/// per app) never send an app more than a limit at once between them, and send each event once.
/// The receiver holds every request, so that what each worker sends stays in flight; the first
/// worker's limit is 1, so that it fills its allowance (3) with events it cannot send yet, and the
/// second (limit 2) finds events due and another's leases on the app.
#[tokio::test]
async fn two_workers_leasing_ahead_keep_an_apps_limit_between_them() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, receiver, secret) = process_setup(&dir).await;
    let api = serve(&db, &key, &["--no-workers"]);
    let worker = |per_app| {
        let args = ["worker", "--no-migrate", "--webhook-timeout-secs", "5", "--webhook-lease-secs", "30"];
        serve(&db, &key, &[&args[..], &["--webhook-concurrency-per-app", per_app]].concat())
    };
    let http = client();
    let send_tests = async |n: usize| {
        for _ in 0..n {
            let sent = http.post(format!("{}/passbook/v1/webhook/test", api.base)).header("mono-sec-key", &secret);
            assert!(sent.send().await.unwrap().status().is_success());
        }
    };
    receiver.set_open(false);

    let first = worker("1");
    send_tests(3).await;
    eventually("the first worker sends one", async || receiver.most_at_once() == 1).await;
    let second = worker("2");
    send_tests(3).await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // the second looks several times
    assert!(receiver.most_at_once() <= 2, "{} requests at once to one app", receiver.most_at_once());

    receiver.set_open(true);
    receiver.wait_for_distinct("mono.events.webhook_test", 6).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // a duplicate would arrive by now
    assert_eq!(receiver.all().len(), 6, "each event once");
    assert!(receiver.most_at_once() <= 2, "{} requests at once to one app", receiver.most_at_once());
    drop((api, first, second));
}

/// A worker killed right after a fetch ran (`PASSBOOK_CRASH_AT=job-ran`: the data, its
/// `account_updated` and the job's end were one transaction) leaves nothing to run again: after
/// another worker takes over, the app has heard `account_updated` once.
#[tokio::test]
async fn a_worker_killed_right_after_a_fetch_reports_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, receiver, secret) = process_setup(&dir).await;
    let mut api = serve(&db, &key, &["--no-workers"]);
    let mut doomed = serve_with(&db, &key, &["worker", "--no-migrate"], &[("PASSBOOK_CRASH_AT", "job-ran")], None);
    let http = client();
    let account = link_through(&http, &api.base, &secret, "crash@example.ng").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while doomed.child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "the worker reached the crash point");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut worker = serve(&db, &key, &["worker", "--no-migrate"]);
    receiver.wait_for("mono.events.account_updated", 1).await;
    tokio::time::sleep(Duration::from_secs(3)).await; // past the dead worker's 2 s lease
    // The dying process may have delivered the event without recording it, so it can arrive
    // twice (at least once); what must not happen is a second event, with a new id.
    let updates: std::collections::HashSet<String> =
        receiver.all().iter().filter(|r| r.event() == "mono.events.account_updated").map(Received::event_id).collect();
    assert_eq!(updates.len(), 1, "the fetch of {account} was reported by one event: {updates:?}");

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db).await.unwrap();
    let (attempts, done): (i64, Option<i64>) =
        sqlx::query_as("SELECT attempts, done_at FROM jobs WHERE subject = $1 AND kind = 'fetch_account'")
            .bind(&account)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((attempts, done.is_some()), (1, true), "the job ended with the fetch, in its one attempt");
    for p in [&mut api, &mut worker] {
        p.child.kill().unwrap();
        p.child.wait().unwrap();
    }
}

/// Links one account at GTBank through the hosted page of `base`; returns its id.
async fn link_through(http: &reqwest::Client, base: &str, secret: &str, email: &str) -> String {
    let page = link_at(http, base, secret, email, "user_good").await;
    let (_, html) = page.html().await;
    assert!(html.contains("Account linked"), "the link completes");
    let accounts: Value = http
        .get(format!("{base}/v2/accounts"))
        .header("mono-sec-key", secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    accounts["data"][0]["id"].as_str().or(accounts["data"][0]["_id"].as_str()).unwrap().to_string()
}

/// A replica keeps rendered pages by `ETag`; a fetch that another replica asks for (and a
/// worker on a third path runs) changes the account, so the tag, so the page served.
#[tokio::test]
async fn a_page_kept_by_one_replica_follows_a_fetch_asked_of_another() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, receiver, secret) = process_setup(&dir).await;
    let mut a = serve(&db, &key, &[]);
    let mut b = serve(&db, &key, &["--no-workers", "--no-migrate"]);
    let http = client();
    let post = |path: &str, session: Option<&str>, body: Value| {
        let mut request = http.post(format!("{}{path}", a.base)).header("mono-sec-key", &secret).json(&body);
        if let Some(session) = session {
            request = request.header("x-session-id", session);
        }
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let created = post(
        "/v2/connect/session",
        None,
        json!({"institution": GTBANK, "auth_method": "internet_banking", "scope": "financial_data",
               "customer": {"name": "Kept Page", "email": "kept@example.ng"}}),
    )
    .await;
    let session = created["data"]["session"]["id"].as_str().unwrap().to_string();
    let done = post("/v2/connect/login", Some(&session), json!({"username": "user_good", "password": "123456"})).await;
    let exchanged = post("/v2/accounts/auth", None, json!({"code": done["data"]["code"]})).await;
    let id = exchanged["data"]["id"].as_str().unwrap().to_string();
    receiver.wait_for("mono.events.account_updated", 1).await;

    let path = format!("/v2/accounts/{id}/transactions?limit=5");
    let page = |base: String, realtime: bool| {
        let mut request = http.get(format!("{base}{path}")).header("mono-sec-key", &secret);
        if realtime {
            request = request.header("x-realtime", "true");
        }
        async move {
            let res = request.send().await.unwrap();
            let tag = res.headers()["etag"].to_str().unwrap().to_string();
            (tag, res.json::<Value>().await.unwrap())
        }
    };
    let (before, _) = page(a.base.clone(), false).await;
    assert_eq!(page(a.base.clone(), false).await.0, before, "kept, and the same");
    page(b.base.clone(), true).await;
    receiver.wait_for("mono.events.account_updated", 2).await;
    // On PostgreSQL the replica hears of the change (NOTIFY) within milliseconds of its commit;
    // the webhook leaves later than that, but nothing orders the two.
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    let (after, on_a) = loop {
        let (tag, body) = page(a.base.clone(), false).await;
        if tag != before || std::time::Instant::now() > deadline {
            break (tag, body);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_ne!(after, before, "the replica that kept the page sees the other's fetch");
    let (tag_b, on_b) = page(b.base.clone(), false).await;
    // (Each replica writes its own address into `meta.next` here; behind a balancer they share
    // one `--public-url`.)
    assert_eq!((&tag_b, &on_b["data"], &on_b["meta"]["total"]), (&after, &on_a["data"], &on_a["meta"]["total"]));
    for process in [&mut a, &mut b] {
        process.child.kill().unwrap();
        process.child.wait().unwrap();
    }
}

/// A replica that answers an account's reads from memory (on PostgreSQL: the account's version
/// kept, forgotten when another process announces a change) stops answering within moments of
/// the account being unlinked through another replica; and while it cannot hear changes (its
/// listening connection killed), it keeps nothing and reads the database every time.
#[tokio::test]
async fn an_account_unlinked_through_one_replica_is_gone_from_the_other_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, receiver, secret) = process_setup(&dir).await;
    let (a, b) = (serve(&db, &key, &[]), serve(&db, &key, &["--no-workers", "--no-migrate"]));
    let http = client();
    link_through(&http, &a.base, &secret, "one@example.ng").await;
    link_through(&http, &a.base, &secret, "two@example.ng").await;
    let ids = connected_ids(&receiver, 2).await;
    receiver.wait_for("mono.events.account_updated", 2).await;
    let status = |base: &str, id: &str| {
        let request = http.get(format!("{base}/v2/accounts/{id}/transactions?limit=5")).header("mono-sec-key", &secret);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let gone_within = |base: String, id: String| async move {
        let unlinked = std::time::Instant::now();
        while status(&base, &id).await != 404 {
            assert!(unlinked.elapsed() < Duration::from_secs(1), "{id} still answered 1 s after its unlink");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        unlinked.elapsed()
    };
    let unlink =
        |id: &str| http.post(format!("{}/v2/accounts/{id}/unlink", a.base)).header("mono-sec-key", &secret).send();

    for _ in 0..3 {
        assert_eq!(status(&b.base, &ids[0]).await, 200, "kept by b");
    }
    assert!(unlink(&ids[0]).await.unwrap().status().is_success());
    let seen_after = gone_within(b.base.clone(), ids[0].clone()).await;
    println!("an unlink through one replica seen by the other after {seen_after:?}");

    if on_postgres() {
        use sqlx::Connection;
        for _ in 0..3 {
            assert_eq!(status(&b.base, &ids[1]).await, 200);
        }
        let mut admin = sqlx::PgConnection::connect(&db).await.unwrap();
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .fetch_all(&mut admin)
        .await
        .unwrap();
        assert_eq!(killed.len(), 2, "each replica listens on a connection of its own");
        assert!(unlink(&ids[1]).await.unwrap().status().is_success());
        gone_within(b.base.clone(), ids[1].clone()).await;
    }
}

/// The console's promises across processes on one database: failed logins count wherever they
/// were tried, a session opened at one replica works at another, an institution switched at one
/// is shown by the other, and a secret key rotated without overlap stops at the other within its
/// app cache's 5 seconds.
#[tokio::test]
async fn the_console_holds_across_replicas() {
    use crate::console::{Answer, Console};
    let dir = tempfile::tempdir().unwrap();
    let (db, key, _receiver, secret) = process_setup(&dir).await;
    let cli = |args: &[&str]| {
        let (db, key) = (db.clone(), key.clone());
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_passbook"));
                command.args(args).env("PASSBOOK_DATABASE_URL", db).env("PASSBOOK_MASTER_KEY", key);
                String::from_utf8(command.output().unwrap().stdout).unwrap()
            })
            .await
            .unwrap()
        }
    };
    // Operators made by the CLI, each with the password it shows once.
    let mut passwords = std::collections::HashMap::new();
    for role in ["owner", "admin", "developer"] {
        let said = cli(&["operators", "create", "--email", &format!("{role}@example.com"), "--role", role]).await;
        passwords.insert(role, said.split("password (shown only now): ").nth(1).unwrap().trim().to_string());
    }
    let (db2, key2) = (db.clone(), key.clone());
    let [mut a, mut b] = tokio::task::spawn_blocking(move || {
        [serve(&db2, &key2, &["--no-workers"]), serve(&db2, &key2, &["--no-workers", "--no-migrate"])]
    })
    .await
    .unwrap();
    let signed_in = |answer: &Answer, base: &str| {
        assert_eq!(answer.status.as_u16(), 303, "{}", answer.body);
        let cookie = answer
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .find(|c| c.starts_with("pb_console="));
        let session = cookie.unwrap().split(';').next().unwrap().trim_start_matches("pb_console=").to_string();
        Console { base: base.to_string(), http: client(), session, agent: "Mozilla/5.0 (console test) Chromium".into() }
    };

    // Five failures, split over the two replicas, lock the account on both.
    for (n, base) in [&a.base, &b.base, &a.base, &b.base, &a.base].into_iter().enumerate() {
        let wrong = Console::try_login(base, "owner@example.com", &format!("wrong {n}")).await;
        assert_eq!(wrong.status.as_u16(), 401);
    }
    for base in [&a.base, &b.base] {
        let locked = Console::try_login(base, "owner@example.com", &passwords["owner"]).await;
        assert_eq!(locked.status.as_u16(), 429, "{}", locked.body);
    }

    // A session opened at A works at B.
    let developer =
        signed_in(&Console::try_login(&a.base, "developer@example.com", &passwords["developer"]).await, &a.base);
    let developer_at_b = Console { base: b.base.clone(), http: client(), ..developer };
    assert_eq!(developer_at_b.get("/console/apps").await.status.as_u16(), 200, "sessions live in the database");

    // An institution switched through A is down at B.
    let admin = signed_in(&Console::try_login(&a.base, "admin@example.com", &passwords["admin"]).await, &a.base);
    let switched = admin.post(&format!("/console/institutions/{GTBANK}/status"), &[("status", "down")]).await;
    assert_eq!(switched.status.as_u16(), 303);
    let http = client();
    let listed: Value =
        http.get(format!("{}/v3/institutions?name=GTBank", b.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["data"][0]["status"], "down");

    // A key rotated through B with no overlap: A, which has the old key cached, refuses it
    // within the cache's 5 seconds.
    let answer_to = |base: &str, key: &str| http.get(format!("{base}/v2/accounts")).header("mono-sec-key", key).send();
    assert_eq!(answer_to(&a.base, &secret).await.unwrap().status().as_u16(), 200);
    let apps: Value = serde_json::from_str(&cli(&["apps", "list", "--json"]).await).unwrap();
    let app_id = apps[0]["id"].as_str().unwrap();
    let admin_at_b = Console { base: b.base.clone(), http: client(), ..admin };
    let rotated = admin_at_b.post(&format!("/console/apps/{app_id}/secret-key"), &[("overlap_hours", "0")]).await;
    assert_eq!(rotated.status.as_u16(), 200);
    assert_eq!(answer_to(&b.base, &secret).await.unwrap().status().as_u16(), 401, "at once where it was rotated");
    let deadline = std::time::Instant::now() + Duration::from_secs(7);
    while answer_to(&a.base, &secret).await.unwrap().status().as_u16() != 401 {
        assert!(std::time::Instant::now() < deadline, "the other replica still takes the old key");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for p in [&mut a, &mut b] {
        let _ = p.child.kill();
        let _ = p.child.wait();
    }
}
