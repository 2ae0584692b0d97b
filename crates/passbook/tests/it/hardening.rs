//! What holds when clients misbehave: slow and idle connections, floods, one app hogging the
//! background work, jobs that outlive their lease, and input built to break arithmetic.
use std::time::Duration;

use axum::http::StatusCode;
use passbook_server::RateLimits;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;
use crate::widget::open_widget;

/// Waits until the server closes `stream` (reads to the end); false if it stays open past
/// `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

fn host_port(t: &TestApp) -> String {
    t.base.trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn idle_and_slow_clients_are_cut_off_and_make_room_for_others_at_the_cap() {
    let t = TestApp::spawn_with(|c| {
        c.connections.max_connections = 20;
        c.connections.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    let addr = host_port(&t);
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // At the cap, the connection idle longest makes room for the 21st, which is served.
    let mut over = TcpStream::connect(&addr).await.unwrap();
    over.write_all(b"GET /healthz HTTP/1.1\r\nHost: passbook\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    over.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "the 21st connection is served: {answer:?}");
    assert!(closed_within(&mut idle[0], Duration::from_millis(100)).await, "the oldest idle one was closed for it");
    for stream in &mut idle {
        assert!(closed_within(stream, Duration::from_secs(5)).await, "an idle connection is closed after 1 s");
    }

    // Slowloris: headers trickled in one line at a time never finish.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /v3/institutions HTTP/1.1\r\nHost: passbook\r\n").await.unwrap();
    let mut cut = false;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if slow.write_all(b"X-Trickle: 1\r\n").await.is_err() {
            cut = true;
            break;
        }
    }
    assert!(cut || closed_within(&mut slow, Duration::from_secs(1)).await, "trickled headers are cut off");

    let (status, _) = t.get("/v3/institutions").await;
    assert_eq!(status, StatusCode::OK, "the server still answers");
}

/// Idle sockets from one client cannot keep others out: at the cap, the one idle longest is
/// closed for a newcomer (those that never sent a request first), health checks included; but a
/// connection with a request in progress is never closed for another.
#[tokio::test]
async fn idle_sockets_give_way_to_requests_but_requests_in_progress_never_do() {
    let t = TestApp::spawn_with(|c| {
        c.connections.max_connections = 10;
        c.connections.max_connections_per_address = 0;
        c.http.request_timeout = Duration::from_secs(30);
    })
    .await;
    let addr = host_port(&t);
    let mut idle = Vec::new();
    for _ in 0..10 {
        idle.push(TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Three clients, each keeping its connection open after its answer.
    let clients = [reqwest::Client::new(), reqwest::Client::new(), reqwest::Client::new()];
    for (client, path) in clients.iter().zip(["/healthz", "/readyz", "/v3/institutions"]) {
        let status = client.get(format!("{}{path}", t.base)).send().await.unwrap().status();
        assert_eq!(status, StatusCode::OK, "{path} answered with every slot held by idle sockets");
    }
    let mut closed = 0;
    for stream in &mut idle {
        if closed_within(stream, Duration::from_millis(20)).await {
            closed += 1;
        }
    }
    assert_eq!(closed, 3, "one idle socket closed per newcomer, no more");

    // Ten uploads whose bodies are still coming: every slot busy, so a newcomer is refused
    // and none of them is cut. (A connection is closed for another only once it has waited
    // a quarter of a second.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut busy = Vec::new();
    for _ in 0..10 {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /v2/accounts/initiate HTTP/1.1\r\nHost: passbook\r\nmono-sec-key: {}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
            t.key()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        busy.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut newcomer = TcpStream::connect(&addr).await.unwrap();
    assert!(closed_within(&mut newcomer, Duration::from_secs(2)).await, "no idle connection to close: refused");
    for stream in &mut busy {
        assert!(
            !closed_within(stream, Duration::from_millis(20)).await,
            "a request in progress is never cut for another"
        );
    }
}

/// One client reconnecting as fast as it is closed cannot hold every connection: it gets its
/// share, and others (another address; here 127.0.0.2 against 127.0.0.1) are still served.
#[tokio::test]
async fn one_address_cannot_hold_every_connection() {
    let t = TestApp::spawn_with(|c| {
        c.connections.max_connections = 60;
        c.connections.max_connections_per_address = 20;
    })
    .await;
    let addr: std::net::SocketAddr = host_port(&t).parse().unwrap();
    let mut held = Vec::new();
    for _ in 0..80 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        held.push(socket.connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut open = 0;
    for stream in &mut held {
        if !closed_within(stream, Duration::from_millis(20)).await {
            open += 1;
        }
    }
    assert_eq!(open, 20, "the address keeps its share and no more");
    let (status, _) = t.get("/v3/institutions").await;
    assert_eq!(status, StatusCode::OK, "another client is still served");
}

#[tokio::test]
async fn a_trickled_body_gets_408_and_shutdown_does_not_wait_for_it() {
    let mut t = TestApp::spawn_with(|c| {
        c.http.request_timeout = Duration::from_secs(1);
        c.connections.shutdown_grace = Duration::from_secs(1);
    })
    .await;
    let mut stream = TcpStream::connect(host_port(&t)).await.unwrap();
    let head = format!(
        "POST /v2/accounts/initiate HTTP/1.1\r\nHost: passbook\r\nmono-sec-key: {}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{{",
        t.key()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""status":"failed""#) && answer.contains("took longer than 1 seconds"), "{answer}");

    // A client that holds a request open does not hold up shutdown past its grace.
    let mut held = TcpStream::connect(host_port(&t)).await.unwrap();
    held.write_all(b"POST /v2/accounts/initiate HTTP/1.1\r\nHost: passbook\r\ncontent-length: 10\r\n\r\n")
        .await
        .unwrap();
    let server = t.server.take().unwrap();
    tokio::time::timeout(Duration::from_secs(15), server.shutdown()).await.expect("shutdown finishes");
}

#[tokio::test]
async fn rate_limits_answer_429_in_the_envelope_and_spare_background_work() {
    let limits = RateLimits { per_key: 5, ..RateLimits::off() };
    let t = TestApp::spawn_with(|c| c.http.rate_limits = limits).await;
    let (status, sent) = t.post_json("/passbook/v1/webhook/test", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    for remaining in (0..4).rev() {
        let res = t.http.get(format!("{}/v2/accounts", t.base)).header("mono-sec-key", t.key()).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["ratelimit-limit"], "5");
        assert_eq!(res.headers()["ratelimit-remaining"], remaining.to_string().as_str());
    }
    let res = t.http.get(format!("{}/v2/accounts", t.base)).header("mono-sec-key", t.key()).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert_eq!(res.headers()["ratelimit-remaining"], "0");
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=12).contains(&retry), "one request comes back within 12 s at 5 a minute: {retry}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "failed");
    assert!(body["message"].as_str().unwrap().contains("Too many requests with this key"), "{body}");

    let other = t.server.as_ref().unwrap().passbook.create_app("Other app", None).await.unwrap();
    let (status, _) = t.get_with_key("/v2/accounts", &other.secret_key).await;
    assert_eq!(status, StatusCode::OK, "another key has its own allowance");
    // The webhook queued before the limit still goes out: background work is never limited.
    let delivered = t.receiver.wait_for("mono.events.webhook_test", 1).await;
    assert_eq!(delivered[0].event_id(), sent["data"]["event_id"].as_str().unwrap());
}

#[tokio::test]
async fn one_address_cannot_flood_with_bad_keys() {
    let limits = RateLimits { per_address: 10, ..RateLimits::off() };
    let t = TestApp::spawn_with(|c| c.http.rate_limits = limits).await;
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(t.get_with_key("/v2/accounts", &format!("test_sk_guess{i}")).await.0.as_u16());
    }
    assert_eq!(statuses[..10], [401; 10]);
    assert_eq!(statuses[10..], [429, 429], "after ten, the address waits whatever key it tries");
}

#[tokio::test]
async fn a_public_key_cannot_open_sessions_or_guess_passwords_without_limit() {
    let limits = RateLimits { link_actions_per_address: 4, ..RateLimits::off() };
    let t = TestApp::spawn_with(|c| c.http.rate_limits = limits).await;
    let page = open_widget(&t, &[]).await;
    page.post("consent", &[]).await;
    page.choose_institution(GTBANK).await;
    page.post("auth-method", &[("auth_method", "internet_banking")]).await;
    page.login("user_good", "guess-1").await;
    page.login("user_good", "guess-2").await;
    page.login("user_good", "guess-3").await;
    let res = t.http.post(format!("{}/login", page.url)).form(&[("username", "user_good"), ("password", "guess-4")]);
    let res = res.send().await.unwrap();
    assert_eq!(res.status().as_u16(), 429, "one widget session and three guesses used the four");
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.text().await.unwrap().contains("Too many attempts"), "the link page says so in HTML");
    let query = [("key", t.app.app.public_key.as_str())];
    let res = t.http.get(format!("{}/connect", t.base)).query(&query).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 429, "a new widget session does not buy new guesses");
}

/// Strangers who drain an app's public-key budget from a few addresses do not lock out its
/// users: each address keeps its own small share of the key's limits.
#[tokio::test]
async fn strangers_draining_a_public_key_do_not_lock_out_the_apps_users() {
    let limits = RateLimits { widget_sessions_per_key: 6, public_key_share_per_address: 2, ..RateLimits::off() };
    let t = TestApp::spawn_with(|c| {
        c.http.rate_limits = limits;
        c.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let data = json!({"customer": {"name": "Ada Obi", "email": "ada@example.ng"}}).to_string();
    let open = |client: &str| {
        let query = [("key", t.app.app.public_key.as_str()), ("data", data.as_str())];
        t.http.get(format!("{}/connect", t.base)).query(&query).header("x-forwarded-for", client).send()
    };
    let mut strangers = Vec::new();
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        for _ in 0..5 {
            strangers.push(open(client).await.unwrap().status().as_u16());
        }
    }
    let refused = strangers.iter().filter(|s| **s == 429).count();
    assert_eq!(refused, 3, "3 addresses × 2 own + 6 shared = 12 of 15 opened: {strangers:?}");
    for _ in 0..2 {
        assert_eq!(open("198.51.100.7").await.unwrap().status().as_u16(), 303, "the app's user gets in");
    }
    let res = open("198.51.100.7").await.unwrap();
    assert_eq!(res.status().as_u16(), 429, "beyond its own share, the shared budget is spent");
    assert!(res.text().await.unwrap().contains("widget sessions with this key"));
}

/// An integrator's backend opens every user's Partners API session from one address: those are
/// counted by its secret key, not held to the per-address limit browsers are.
#[tokio::test]
async fn a_backend_links_its_users_by_secret_key_from_one_address() {
    let limits = RateLimits { link_actions_per_address: 4, link_actions_per_key: 30, ..RateLimits::off() };
    let t = TestApp::spawn_with(|c| c.http.rate_limits = limits).await;
    let session = |i: usize| {
        let body = json!({"institution": GTBANK, "auth_method": "internet_banking", "scope": "financial_data",
                          "customer": {"name": "Backend User", "email": format!("user{i}@example.ng")}});
        t.http.post(format!("{}/v2/connect/session", t.base)).header("mono-sec-key", t.key()).json(&body).send()
    };
    for i in 0..30 {
        assert_eq!(session(i).await.unwrap().status().as_u16(), 200, "session {i} from one address");
    }
    let refused = session(30).await.unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    let body: Value = refused.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("with this key"), "{body}");
}

/// Behind a trusted proxy, per-address limits count the client the proxy names; from anyone
/// else, `X-Forwarded-For` is ignored (a client cannot pick its own bucket).
#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_nobody_else_does() {
    let limits = RateLimits { per_address: 3, ..RateLimits::off() };
    let request = |t: &TestApp, client: &str| {
        t.http
            .get(format!("{}/v3/institutions", t.base))
            .header("x-forwarded-for", format!("{client}, 10.9.9.9"))
            .send()
    };
    let behind = TestApp::spawn_with(|c| {
        c.http.rate_limits = limits.clone();
        c.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
    })
    .await;
    for _ in 0..3 {
        assert_eq!(request(&behind, "203.0.113.1").await.unwrap().status().as_u16(), 200);
    }
    assert_eq!(request(&behind, "203.0.113.1").await.unwrap().status().as_u16(), 429, "that client's own limit");
    assert_eq!(
        request(&behind, "203.0.113.2").await.unwrap().status().as_u16(),
        200,
        "another client behind the proxy"
    );

    let exposed = TestApp::spawn_with(|c| c.http.rate_limits = limits.clone()).await;
    let mut statuses = Vec::new();
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"] {
        statuses.push(request(&exposed, client).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429], "an untrusted peer is counted as itself, whatever it forwards");
}

/// Opening the widget with a public key makes no customer and answers the same whether the
/// e-mail belongs to a customer or not (no oracle); the customer is made, or found by its
/// e-mail, when the link completes.
#[tokio::test]
async fn widget_opens_make_no_customer_and_tell_nothing_about_an_email() {
    let t = TestApp::spawn().await;
    let data = t.initiate("hosted-1", json!({"customer": {"name": "Ada Obi", "email": "ada@example.ng"}})).await;
    let ada = data["customer"].as_str().unwrap().to_string();
    let customers = || async { t.get("/v2/customers").await.1["meta"]["total"].as_u64().unwrap() };
    assert_eq!(customers().await, 1);
    let open = |email: &str| {
        let data = json!({"customer": {"name": "Mallory", "email": email}}).to_string();
        let query = [("key", t.app.app.public_key.clone()), ("data", data)];
        t.http.get(format!("{}/connect", t.base)).query(&query).send()
    };
    let (known, unknown) = (open("ada@example.ng").await.unwrap(), open("new@example.ng").await.unwrap());
    assert_eq!((known.status().as_u16(), unknown.status().as_u16()), (303, 303), "the same answer either way");
    for i in 0..20 {
        open(&format!("stranger{i}@example.ng")).await.unwrap();
    }
    assert_eq!(customers().await, 1, "22 widget opens made no customer");

    let t = &t;
    let linked = |email: &'static str| async move {
        let data = json!({"customer": {"name": "Widget User", "email": email}}).to_string();
        let page = open_widget(t, &[("data", data), ("reference", email.into())]).await;
        page.post("consent", &[]).await;
        page.choose_institution(GTBANK).await;
        page.post("auth-method", &[("auth_method", "internet_banking")]).await;
        page.login("user_good", "123456").await;
    };
    linked("ada@example.ng").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    let (_, details) = t.get(&format!("/v2/accounts/{id}")).await;
    assert_eq!(details["data"]["customer"]["id"], ada.as_str(), "the app's customer with that e-mail: {details}");
    assert_eq!(customers().await, 1);
    linked("new@example.ng").await;
    assert_eq!(customers().await, 2, "a new e-mail's customer is made when its link completes");
}

#[tokio::test]
async fn one_app_cannot_stall_another_apps_data() {
    let t = TestApp::spawn_with(|c| c.sandbox.slow_fetch = Duration::from_millis(2000)).await;
    let other_receiver = Receiver::start().await;
    let server = t.server.as_ref().unwrap();
    let other = server.passbook.create_app("Other app", Some(&other_receiver.url)).await.unwrap();
    // App one links twelve accounts whose data takes 2 s each: more than the job slots.
    let mut links = tokio::task::JoinSet::new();
    for i in 0..12 {
        let (http, base, key) = (t.http.clone(), t.base.clone(), t.key().to_string());
        links.spawn(async move { link_at(&http, &base, &key, &format!("hog{i}@example.ng"), "user_slow").await });
    }
    links.join_all().await;
    link_at(&t.http, &t.base, &other.secret_key, "patient@example.ng", "user_slow").await;
    other_receiver.wait_for("mono.events.account_updated", 1).await;
    let hog_done = t.receiver.all().iter().filter(|r| r.event() == "mono.events.account_updated").count();
    assert!(hog_done <= 6, "the other app's fetch ran beside app one's backlog, not after it ({hog_done} done)");
    t.receiver
        .wait_until(Duration::from_secs(30), "app one's data", |all| {
            all.iter().filter(|r| r.event() == "mono.events.account_updated").count() == 12
        })
        .await;
}

#[tokio::test]
async fn identical_pdf_requests_share_one_build_and_an_apps_queue_is_bounded() {
    let mut t = TestApp::spawn_with(|c| c.max_pending_jobs_per_app = 2).await;
    t.link("pdf-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    t.restart(|c| c.workers = false).await; // nothing builds: requests queue up
    let pdf = |months: u32| format!("/v2/accounts/{id}/statement?period=last{months}months&output=pdf");
    let (_, first) = t.get(&pdf(3)).await;
    let (_, again) = t.get(&pdf(3)).await;
    assert_eq!(first["data"]["id"], again["data"]["id"], "the same statement is built once");
    let (status, _) = t.get(&pdf(6)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = t.get(&pdf(9)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("background jobs waiting"), "{refused}");
}

/// Cycling the period does not buy unlimited builds: ten PDFs an account an hour, counted under
/// the account's lock, so requests sent at once cannot pass it together.
#[tokio::test]
async fn statement_pdfs_are_limited_per_account_even_when_asked_at_once() {
    let mut t = TestApp::spawn().await;
    t.link("pdf-limit", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    t.restart(|c| c.workers = false).await;
    let mut asks = tokio::task::JoinSet::new();
    for months in 1..=12 {
        let request = t
            .http
            .get(format!("{}/v2/accounts/{id}/statement?period=last{months}months&output=pdf", t.base))
            .header("mono-sec-key", t.key());
        asks.spawn(async move {
            let res = request.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap(), months)
        });
    }
    let answers = asks.join_all().await;
    assert_eq!(answers.iter().filter(|(s, ..)| *s == 200).count(), 10, "{answers:?}");
    let refused: Vec<_> = answers.iter().filter(|(s, ..)| *s == 429).collect();
    assert_eq!(refused.len(), 2, "{answers:?}");
    assert!(refused[0].1["message"].as_str().unwrap().contains("in the last hour"), "{}", refused[0].1);
    // Asking again for a period already waiting joins it, whatever the count.
    let (_, waiting, months) = answers.iter().find(|(s, ..)| *s == 200).unwrap();
    let (status, again) = t.get(&format!("/v2/accounts/{id}/statement?period=last{months}months&output=pdf")).await;
    assert_eq!((status, &again["data"]["id"]), (StatusCode::OK, &waiting["data"]["id"]), "{again}");
}

#[tokio::test]
async fn a_job_that_outlives_its_lease_runs_once() {
    let t = TestApp::spawn_with(|c| {
        c.job_lease = Duration::from_millis(600);
        c.sandbox.slow_fetch = Duration::from_millis(2500);
    })
    .await;
    t.link("lease-1", "user_slow").await;
    t.receiver.wait_for("mono.events.account_updated", 1).await;
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let updates = t.receiver.all().iter().filter(|r| r.event() == "mono.events.account_updated").count();
    assert_eq!(updates, 1, "the lease was renewed while the fetch ran, so no second worker ran it");
}

#[tokio::test]
async fn parallel_realtime_requests_share_one_job() {
    let t = TestApp::spawn().await;
    t.link("rt-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let req = t.http.get(format!("{}/v2/accounts/{id}/balance", t.base)).header("mono-sec-key", t.key());
        requests.spawn(async move {
            let res = req.header("x-realtime", "true").send().await.unwrap();
            res.headers()["x-job-id"].to_str().unwrap().to_string()
        });
    }
    let jobs: std::collections::HashSet<String> = requests.join_all().await.into_iter().collect();
    assert_eq!(jobs.len(), 1, "one sync for all of them: {jobs:?}");
}

#[tokio::test]
async fn creditworthiness_refuses_what_it_cannot_weigh() {
    let t = TestApp::spawn().await;
    t.link("cw-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    let path = format!("/v2/accounts/{id}/creditworthiness");
    let base = json!({"bvn": "22300000965", "principal": 100, "interest_rate": 5, "term": 12});
    let with = |extra: Value| {
        let mut body = base.clone();
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    for (body, field) in [
        (with(json!({"principal": 10_000_000_000_000_000_i64})), "principal"),
        (with(json!({"principal": -5})), "principal"),
        (with(json!({"existing_loans": [{"repayment_amount": -2}]})), "existing_loans[0].repayment_amount"),
        (with(json!({"existing_loans": [{"opening_balance": i64::MAX}]})), "existing_loans[0].opening_balance"),
    ] {
        let (status, refused) = t.post_json(&path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert!(refused["message"].as_str().unwrap().contains(field), "{field}: {refused}");
    }
    let (status, _) = t.post_json(&path, with(json!({"interest_rate": 1e-300}))).await;
    assert_eq!(status, StatusCode::OK);
    let event = t.receiver.wait_for("mono.events.account_credit_worthiness", 1).await.remove(0).json();
    assert_eq!(event["data"]["summary"]["monthly_payment"], 8, "100 kobo over 12 months at no real interest");
    assert!(event["data"]["debt"]["total_debt"].as_i64().unwrap() >= 0);
}

#[tokio::test]
async fn answers_are_not_cached_and_metrics_are_opt_in() {
    let t = TestApp::spawn().await;
    let res = t.http.get(format!("{}/v2/accounts", t.base)).header("mono-sec-key", t.key()).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let res = t.http.get(format!("{}/v3/institutions?x=1", t.base)).send().await.unwrap();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff", "errors too");
    assert_eq!(t.http.get(format!("{}/metrics", t.base)).send().await.unwrap().status().as_u16(), 200);

    let t = TestApp::spawn_with(|c| c.http.metrics = false).await;
    assert_eq!(t.http.get(format!("{}/metrics", t.base)).send().await.unwrap().status().as_u16(), 404);
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    if on_postgres() {
        return;
    }
    let t = TestApp::spawn().await;
    t.link("perm-1", "user_good").await; // something written, so the WAL exists
    for name in ["passbook.db", "passbook.db-wal"] {
        let path = t.dir.path().join(name);
        if let Ok(meta) = std::fs::metadata(&path) {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        } else {
            assert_eq!(name, "passbook.db-wal", "the database file exists");
        }
    }
}

#[tokio::test]
async fn link_tokens_stay_out_of_debug_logs() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, _receiver, secret) = process_setup(&dir).await;
    let log = dir.path().join("serve.log");
    let mut process =
        serve_with(&db, &key, &["--no-workers"], &[("RUST_LOG", "debug,sqlx=warn,hyper=info,h2=info")], Some(&log));
    let base = process.base.clone();
    let http = client();
    let body = json!({"customer": {"name": "Log Reader", "email": "logs@example.ng"}, "scope": "auth"});
    let res = initiate_with(&passbook_client::Client::new(&base, &secret), &body).await;
    let url = res["mono_url"].as_str().unwrap().to_string();
    let token = url.rsplit('/').next().unwrap().to_string();
    http.get(&url).send().await.unwrap();
    http.post(format!("{url}/consent")).send().await.unwrap();
    http.get(format!("{base}/link/{token}/nope")).send().await.unwrap();
    process.child.kill().unwrap();
    process.child.wait().unwrap();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("/link/{token}"), "requests are logged by route");
    assert!(!logged.contains(&token), "the token itself is never logged");
    assert!(!logged.contains(&secret), "nor the secret key");
}

#[tokio::test]
async fn widget_messages_go_only_to_a_known_parent() {
    let t = TestApp::spawn().await;
    let no_parent = open_widget(&t, &[("referrer", String::new())]).await;
    let (_, html) = no_parent.html().await;
    assert!(html.contains("var origin = null"), "no referrer, no Referer header: no parent to post to");
    assert!(!html.contains("'*'"), "messages never go to any window");

    let query = [
        ("key", t.app.app.public_key.clone()),
        ("reference", "by-referer".to_string()),
        ("data", json!({"customer": {"name": "Ada Obi", "email": "referer@example.ng"}}).to_string()),
    ];
    let res = t
        .http
        .get(format!("{}/connect", t.base))
        .query(&query)
        .header("referer", "https://shop.example.com/checkout?step=2")
        .send()
        .await
        .unwrap();
    let page =
        LinkPage { http: t.http.clone(), url: format!("{}{}", t.base, res.headers()["location"].to_str().unwrap()) };
    assert!(page.html().await.1.contains(r#"var origin = "https://shop.example.com""#), "the framing page's origin");
}

#[tokio::test]
async fn text_fields_are_bounded_and_free_of_control_characters() {
    let t = TestApp::spawn().await;
    let initiate =
        |customer: Value, reference: String| json!({"customer": customer, "meta": {"ref": reference}, "scope": "auth"});
    for (body, field) in [
        (initiate(json!({"name": "Ada\u{0}Obi", "email": "a@example.ng"}), "r1".into()), "customer.name"),
        (initiate(json!({"name": "A".repeat(201), "email": "a@example.ng"}), "r2".into()), "customer.name"),
        (initiate(json!({"name": "Ada Obi", "email": "a@example.ng"}), "r".repeat(101)), "meta.ref"),
        (initiate(json!({"name": "Ada Obi", "email": "a@example.ng"}), "r\u{0}3".into()), "meta.ref"),
    ] {
        let (status, refused) = t.post_json("/v2/accounts/initiate", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert!(refused["message"].as_str().unwrap().contains(field), "{field}: {refused}");
    }
    let (status, refused) = t
        .post_json("/v2/customers", json!({"email": "c@example.ng", "first_name": "Ada\u{0}", "last_name": "Obi"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused["message"].as_str().unwrap().contains("first_name"), "{refused}");
    let query = [
        ("key", t.app.app.public_key.clone()),
        ("reference", "w".repeat(101)),
        ("data", json!({"customer": {"name": "Ada Obi", "email": "long@example.ng"}}).to_string()),
    ];
    let res = t.http.get(format!("{}/connect", t.base)).query(&query).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.text().await.unwrap().contains("reference must be at most 100 characters"));
}
