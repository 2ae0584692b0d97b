//! PostgreSQL going away under a running server, through a TCP proxy the test can cut (every
//! connection closed, new ones refused) and restore: requests answer 503 with `Retry-After` in
//! the failed envelope (never 500), readiness fails within its 2 s, shutdown keeps its grace,
//! and service comes back by itself. Pointed at a real streaming standby and back (when
//! `PASSBOOK_TEST_STANDBY_URL` names one), the standby is noticed and its connections left. And
//! behind pgbouncer in transaction mode (when `PASSBOOK_TEST_PGBOUNCER_URL` names one), with
//! prepared statements off, a link goes through.
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::support::*;

/// Forwards connections to its upstream until cut; while cut, refuses new ones. The upstream
/// can change (a failover): connections made before keep going where they went.
struct Cuttable {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    upstream: Arc<std::sync::Mutex<SocketAddr>>,
    /// Bumped to close every forwarded connection.
    generation: watch::Sender<u64>,
}

impl Cuttable {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let upstream = Arc::new(std::sync::Mutex::new(upstream));
        let (generation, _) = watch::channel(0u64);
        let (is_cut, closing, target) = (cut.clone(), generation.clone(), upstream.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if is_cut.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is closed at once
                }
                let mut closed = closing.subscribe();
                let upstream = *target.lock().unwrap();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = closed.changed() => {}
                    }
                });
            }
        });
        Self { addr, cut, upstream, generation }
    }

    /// New connections go to `upstream` from now on.
    fn route_to(&self, upstream: SocketAddr) {
        *self.upstream.lock().unwrap() = upstream;
    }

    /// Closes every forwarded connection (new ones are still taken).
    fn close_connections(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.close_connections();
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// `url` with its host and port replaced by `addr`.
fn through(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@")).unwrap_or_default();
    format!("{scheme}://{user}{addr}/{path}")
}

fn upstream(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    authority.rsplit_once('@').map_or(authority, |(_, h)| h).parse().unwrap()
}

fn assert_unavailable(status: StatusCode, headers: &reqwest::header::HeaderMap, body: &serde_json::Value) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "failed", "{body}");
    assert_eq!(headers.get("retry-after").map(|v| v.to_str().unwrap()), Some("2"), "{body}");
}

#[tokio::test]
async fn with_the_database_gone_requests_get_503_and_service_comes_back_by_itself() {
    if !on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let direct = fresh_database(&dir).await;
    let proxy = Cuttable::start(upstream(&direct)).await;
    let mut t = TestApp::spawn_with(|c| {
        c.database_url = through(&direct, proxy.addr);
        c.connections.shutdown_grace = Duration::from_secs(2);
    })
    .await;
    let get = |path: &str| t.http.get(format!("{}{path}", t.base)).header("mono-sec-key", t.key()).send();
    assert_eq!(get("/v2/accounts").await.unwrap().status(), 200);

    proxy.cut();
    let started = Instant::now();
    let ready = t.http.get(format!("{}/readyz", t.base)).send().await.unwrap();
    let (status, headers) = (ready.status(), ready.headers().clone());
    assert_unavailable(status, &headers, &ready.json().await.unwrap());
    assert!(started.elapsed() < Duration::from_secs(8), "readiness fails fast: {:?}", started.elapsed());
    for _ in 0..3 {
        let res = get("/v2/accounts").await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        assert_unavailable(status, &headers, &res.json().await.unwrap());
    }
    let res = t
        .http
        .post(format!("{}/v2/accounts/initiate", t.base))
        .header("mono-sec-key", t.key())
        .json(&json!({"customer": {"name": "Ada", "email": "ada@example.ng"}, "scope": "auth"}))
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    assert_unavailable(status, &headers, &res.json().await.unwrap());

    proxy.restore();
    let back = Instant::now();
    loop {
        if get("/v2/accounts").await.unwrap().status() == 200 {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(30), "service comes back once the database does");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(t.http.get(format!("{}/readyz", t.base)).send().await.unwrap().status(), 200);

    // Shutdown with the database gone takes the grace, not the workers' waits on it.
    proxy.cut();
    let stopping = Instant::now();
    t.server.take().unwrap().shutdown().await;
    assert!(stopping.elapsed() < Duration::from_secs(6), "shutdown took {:?}", stopping.elapsed());
}

/// pgbouncer in transaction mode (Debian's 1.18: no prepared statements across transactions):
/// migrations run on the database directly, then a server with prepared statements off serves
/// a link, many requests at once, through the pooler.
#[tokio::test]
async fn behind_pgbouncer_in_transaction_mode_a_link_goes_through() {
    let Ok(bouncer) = std::env::var("PASSBOOK_TEST_PGBOUNCER_URL") else { return };
    if !on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (direct, key, receiver, secret) = process_setup(&dir).await;
    let name = direct.rsplit('/').next().unwrap();
    let pooled = format!("{}/{name}", bouncer.trim_end_matches('/'));
    let server = serve(&pooled, &key, &["--no-migrate", "--db-prepared-statements", "false"]);
    let api = passbook_client::Client::new(&server.base, &secret);
    let http = client();
    let reads: Vec<_> = (0..40)
        .map(|_| {
            let (http, base, secret) = (http.clone(), server.base.clone(), secret.clone());
            tokio::spawn(async move {
                http.get(format!("{base}/v2/accounts")).header("mono-sec-key", secret).send().await.unwrap().status()
            })
        })
        .collect();
    for read in reads {
        assert_eq!(read.await.unwrap(), 200);
    }
    let body = json!({"customer": {"name": "Bouncer", "email": "b@example.ng"}, "scope": "auth"});
    let res = initiate_with(&api, &body).await;
    let path = res["mono_url"].as_str().unwrap().rsplit_once("/link/").unwrap().1.to_string();
    for (action, form) in [
        ("consent", vec![]),
        ("institution", vec![("institution", GTBANK)]),
        ("auth-method", vec![("auth_method", "internet_banking")]),
        ("login", vec![("username", "user_good"), ("password", "123456")]),
    ] {
        let res = http.post(format!("{}/link/{path}/{action}", server.base)).form(&form).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 303, "{action}");
    }
    receiver.wait_for("mono.events.account_connected", 1).await;
    assert_eq!(http.get(format!("{}/readyz", server.base)).send().await.unwrap().status(), 200);
}

/// A proxy that leads to a standby (it has not moved yet, or moved too early): readiness says
/// so, writes answer 503 (never 500). Then the proxy moves back to the primary without cutting
/// the sessions it made to the standby, as HAProxy does without `on-marked-down
/// shutdown-sessions`: the first write refused as read-only drops every older connection and
/// runs again on the primary, so writes succeed, and readiness comes back.
#[tokio::test]
async fn a_proxy_that_leads_to_a_standby_is_noticed_and_left() {
    let Ok(standby) = std::env::var("PASSBOOK_TEST_STANDBY_URL") else { return };
    if !on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let direct = fresh_database(&dir).await;
    let proxy = Cuttable::start(upstream(&direct)).await;
    // No workers: their writes would meet the standby too, at moments the test does not choose.
    let t = TestApp::spawn_with(|c| {
        c.database_url = through(&direct, proxy.addr);
        c.workers = false;
    })
    .await;
    let initiate = |n: usize| {
        t.http
            .post(format!("{}/v2/accounts/initiate", t.base))
            .header("mono-sec-key", t.key())
            .json(&json!({"customer": {"name": "Ada", "email": format!("ada{n}@example.ng")}, "scope": "auth"}))
            .send()
    };
    assert_eq!(initiate(0).await.unwrap().status(), 200);
    // The standby has replayed the schema and the app by now (streaming replication, loopback).
    tokio::time::sleep(Duration::from_millis(500)).await;

    proxy.route_to(upstream(&standby));
    proxy.close_connections();
    let ready = t.http.get(format!("{}/readyz", t.base)).send().await.unwrap();
    let (status, headers) = (ready.status(), ready.headers().clone());
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_unavailable(status, &headers, &body);
    assert!(body["message"].as_str().unwrap().contains("standby"), "{body}");
    for n in 1..4 {
        let res = initiate(n).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        assert_unavailable(status, &headers, &res.json().await.unwrap());
    }

    // Reads work on the standby, and fill the pool with connections to it made after the last
    // refused write: those are the ones a proxy leaves behind when it moves.
    let reads: Vec<_> = (0..6)
        .map(|_| {
            let request = t.http.get(format!("{}/v2/accounts", t.base)).header("mono-sec-key", t.key());
            tokio::spawn(async move { request.send().await.unwrap().status() })
        })
        .collect();
    for read in reads {
        assert_eq!(read.await.unwrap(), 200);
    }

    proxy.route_to(upstream(&direct));
    let writes: Vec<_> = (10..18).map(initiate).collect();
    for write in writes {
        let res = write.await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    let back = Instant::now();
    while t.http.get(format!("{}/readyz", t.base)).send().await.unwrap().status() != 200 {
        assert!(back.elapsed() < Duration::from_secs(10), "readiness comes back with the primary");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
