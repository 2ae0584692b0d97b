use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use passbook::{Config, Server};
use passbook_client::types::accounts::AccountDetails;
use passbook_client::types::linking::InitiateRequest;
use passbook_domain::Vault;
use passbook_domain::model::CreatedApp;
use passbook_institutions::SandboxOptions;
use serde_json::{Value, json};
use tempfile::TempDir;

pub const GTBANK: &str = "5f2d08be60b92e2888287702";
pub const KUDA: &str = "5f2d08bf60b92e2888287704";

/// One webhook request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
    /// What the receiver answered.
    pub status: StatusCode,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("webhook bodies are JSON")
    }

    pub fn event(&self) -> String {
        self.json()["event"].as_str().unwrap_or_default().to_string()
    }

    pub fn event_id(&self) -> String {
        self.json()["event_id"].as_str().unwrap_or_default().to_string()
    }

    pub fn acknowledged(&self) -> bool {
        self.status.is_success()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// A local webhook endpoint that records what it receives and answers with scripted statuses
/// (then 200).
#[derive(Clone)]
pub struct Receiver {
    pub received: Arc<Mutex<Vec<Received>>>,
    pub script: Arc<Mutex<VecDeque<Reply>>>,
    /// While false, requests wait before being answered (and recorded).
    pub open: Arc<tokio::sync::watch::Sender<bool>>,
    pub url: String,
    /// Requests in progress now (held while closed, or being answered), and the most there ever
    /// were at once.
    at_once: Arc<(AtomicUsize, AtomicUsize)>,
}

/// A scripted answer: a status, possibly after a delay, possibly with `Retry-After`, with a body
/// of its own or one that names the status.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    pub status: StatusCode,
    pub delay: Duration,
    pub retry_after: Option<u64>,
    pub body: Option<&'static str>,
}

impl From<StatusCode> for Reply {
    fn from(status: StatusCode) -> Self {
        Reply { status, delay: Duration::ZERO, retry_after: None, body: None }
    }
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            url: format!("http://{}/hooks", listener.local_addr().unwrap()),
            received: Default::default(),
            script: Default::default(),
            open: Arc::new(tokio::sync::watch::channel(true).0),
            at_once: Default::default(),
        };
        let state = receiver.clone();
        let app = axum::Router::new()
            .route("/hooks", post(record))
            .route("/done", axum::routing::get(|| async { axum::response::Html("<h1>Back at the app</h1>") }))
            .with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver
    }

    /// The most requests that were ever in progress at once.
    pub fn most_at_once(&self) -> usize {
        self.at_once.1.load(Ordering::SeqCst)
    }

    /// Answer the next requests with these statuses.
    pub fn fail_next(&self, statuses: &[StatusCode]) {
        self.script.lock().unwrap().extend(statuses.iter().map(|&s| Reply::from(s)));
    }

    pub fn reply_next(&self, replies: &[Reply]) {
        self.script.lock().unwrap().extend(replies.iter().copied());
    }

    /// A page of the receiver's server, to use as a `redirect_url` the browser can load.
    pub fn done_url(&self) -> String {
        self.url.replace("/hooks", "/done")
    }

    /// Hold every request until `set_open(true)`.
    pub fn set_open(&self, open: bool) {
        self.open.send_replace(open);
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `pred` holds over what was received, or panics after `timeout`.
    pub async fn wait_until(&self, timeout: Duration, what: &str, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let all = self.all();
            if pred(&all) {
                return all;
            }
            if Instant::now() > deadline {
                let events: Vec<_> = all.iter().map(|r| r.event()).collect();
                panic!("timed out waiting for {what}; received {events:?}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until `n` different events were acknowledged (2xx); returns everything received.
    pub async fn wait_for_acknowledged(&self, n: usize, timeout: Duration) -> Vec<Received> {
        self.wait_until(timeout, &format!("{n} acknowledged events"), |all| {
            all.iter()
                .filter(|r| r.acknowledged())
                .map(|r| r.event_id())
                .collect::<std::collections::HashSet<_>>()
                .len()
                >= n
        })
        .await
    }

    /// Waits for `n` different events named `event`; returns the first delivery of each, in the
    /// order they arrived. Delivery is at least once: a test that moves a manual clock past a
    /// delivery's lease before it was recorded may see that event again.
    pub async fn wait_for_distinct(&self, event: &str, n: usize) -> Vec<Received> {
        let distinct = |all: &[Received]| {
            let mut seen = std::collections::HashSet::new();
            all.iter().filter(|r| r.event() == event && seen.insert(r.event_id())).cloned().collect::<Vec<_>>()
        };
        let all = self.wait_until(Duration::from_secs(20), event, |all| distinct(all).len() >= n).await;
        distinct(&all)
    }

    /// Waits for `n` deliveries of `event`.
    pub async fn wait_for(&self, event: &str, n: usize) -> Vec<Received> {
        let all = self
            .wait_until(Duration::from_secs(20), event, |all| all.iter().filter(|r| r.event() == event).count() >= n)
            .await;
        all.into_iter().filter(|r| r.event() == event).collect()
    }
}

async fn record(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (now, most) = &*receiver.at_once;
    most.fetch_max(now.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
    let _ = receiver.open.subscribe().wait_for(|open| *open).await;
    let reply = receiver.script.lock().unwrap().pop_front().unwrap_or(Reply::from(StatusCode::OK));
    let body = String::from_utf8_lossy(&body).into_owned();
    receiver.received.lock().unwrap().push(Received { headers, body, status: reply.status });
    tokio::time::sleep(reply.delay).await;
    now.fetch_sub(1, Ordering::SeqCst);
    // A body Passbook keeps the start of, for the console's delivery log.
    let said = reply.body.map_or_else(|| format!("receiver answered {}", reply.status.as_u16()), str::to_string);
    match reply.retry_after {
        Some(secs) => (reply.status, [("retry-after", secs.to_string())], said).into_response(),
        None => (reply.status, said).into_response(),
    }
}

/// A running Passbook with its own database, an app, and a webhook receiver.
pub struct TestApp {
    pub server: Option<Server>,
    pub base: String,
    pub http: reqwest::Client,
    pub app: CreatedApp,
    pub receiver: Receiver,
    pub dir: TempDir,
    pub config: Config,
}

/// A new empty database for one test: a SQLite file in `dir`, or, when
/// `PASSBOOK_TEST_DATABASE_URL` names a PostgreSQL server, a fresh database on it.
pub async fn fresh_database(dir: &TempDir) -> String {
    let server = std::env::var("PASSBOOK_TEST_DATABASE_URL").unwrap_or_default();
    if server.is_empty() {
        return format!("sqlite://{}", dir.path().join("passbook.db").display());
    }
    database_on(&server).await
}

/// A fresh database on the PostgreSQL server at `server` (a URL to any database on it).
pub async fn database_on(server: &str) -> String {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let name = format!("passbook_test_{}", passbook_domain::ids::random_alnum(16).to_lowercase());
    let mut admin = sqlx::AnyConnection::connect(server).await.expect("the test's PostgreSQL accepts connections");
    admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let root = &base[..base.rfind('/').filter(|&i| i > base.find("://").unwrap() + 2).unwrap_or(base.len())];
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

pub fn on_postgres() -> bool {
    std::env::var("PASSBOOK_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

pub async fn test_config(dir: &TempDir) -> Config {
    // PASSBOOK_TEST_LOG=debug (an env filter) shows the servers' logs of a test.
    if let Ok(filter) = std::env::var("PASSBOOK_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
    let mut config = Config::new(fresh_database(dir).await);
    config.master_key = Some(Vault::generate_key());
    config.sandbox = SandboxOptions {
        slow_fetch: Duration::from_millis(1500),
        slow_login: Duration::from_millis(300),
        ..SandboxOptions::default()
    };
    // Tests fire requests faster than any person; the limits have tests of their own.
    config.http.rate_limits = passbook_server::RateLimits::off();
    config
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&dir).await;
        adjust(&mut config);
        let receiver = Receiver::start().await;
        let server = start(&config).await;
        let app = server.passbook.create_app("Test app", Some(&receiver.url)).await.unwrap();
        Self { base: server.public_url.clone(), server: Some(server), http: client(), app, receiver, dir, config }
    }

    /// Stops the server (its database stays) and starts a new one on it.
    pub async fn restart(&mut self, adjust: impl FnOnce(&mut Config)) {
        self.server.take().unwrap().shutdown().await;
        adjust(&mut self.config);
        let server = start(&self.config).await;
        self.base = server.public_url.clone();
        self.server = Some(server);
    }

    pub fn key(&self) -> &str {
        &self.app.secret_key
    }

    /// `passbook-client` with the app's secret key: how tests use the API when the wire format
    /// itself is not what they check.
    pub fn api(&self) -> passbook_client::Client {
        passbook_client::Client::new(&self.base, self.key())
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_with_key(path, self.key()).await
    }

    pub async fn get_with_key(&self, path: &str, key: &str) -> (StatusCode, Value) {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.base) };
        let res = self.http.get(url).header("mono-sec-key", key).send().await.unwrap();
        let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send_json(reqwest::Method::POST, path, self.key(), body).await
    }

    pub async fn send_json(&self, method: reqwest::Method, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("mono-sec-key", key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// `POST /v2/accounts/initiate` with the guide's body plus `extra`; returns the data.
    pub async fn initiate(&self, reference: &str, extra: Value) -> Value {
        let mut body = json!({
            "customer": {"name": "Samuel Olamide", "email": "samuel@neem.com"},
            "meta": {"ref": reference},
            "scope": "auth",
            "redirect_url": "https://app.example.com/linked"
        });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body[k] = v;
        }
        initiate_with(&self.api(), &body).await
    }

    /// A browser on the hosted link page.
    pub fn page(&self, mono_url: &str) -> LinkPage {
        LinkPage { http: self.http.clone(), url: mono_url.to_string() }
    }

    /// Opens the link page and agrees on its intro step.
    pub async fn open(&self, mono_url: &str) -> LinkPage {
        let page = self.page(mono_url);
        let (status, _) = page.post("consent", &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        page
    }

    /// Initiates and links an account at GTBank with `username`, like a user would.
    pub async fn link(&self, reference: &str, username: &str) -> LinkPage {
        let data = self.initiate(reference, json!({})).await;
        let page = self.open(data["mono_url"].as_str().unwrap()).await;
        page.choose_institution(GTBANK).await;
        page.post("auth-method", &[("auth_method", "internet_banking")]).await;
        page.login(username, "123456").await;
        page
    }

    /// Waits until the account's data status is no longer PROCESSING.
    pub async fn wait_for_data(&self, account_id: &str) -> AccountDetails {
        let deadline = Instant::now() + Duration::from_secs(20);
        let api = self.api();
        loop {
            let details = api.account(account_id).await.unwrap();
            if details.meta.data_status != "PROCESSING" {
                return details;
            }
            assert!(Instant::now() < deadline, "data stayed PROCESSING");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A GET with `x-realtime: true`.
pub async fn realtime_get(t: &TestApp, path: &str) -> reqwest::Response {
    t.http
        .get(format!("{}{path}", t.base))
        .header("mono-sec-key", t.key())
        .header("x-realtime", "true")
        .send()
        .await
        .unwrap()
}

/// A GET of the balance with `x-realtime: true`: a refresh now; answers the job's status.
const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// Moves `clock` past the next UTC midnight when it is within two hours of it, so that the
/// allowances a test counts per UTC day stay in one day, whenever the test runs. A jump of at
/// most three hours: no console session, invitation or scheduled refresh comes due with it.
pub fn clear_of_midnight(clock: &passbook_domain::clock::ManualClock) {
    use passbook_domain::Clock;
    let to_midnight = DAY_MS - clock.now().0.rem_euclid(DAY_MS);
    if to_midnight < 2 * HOUR_MS {
        clock.advance(to_midnight + HOUR_MS);
    }
}

/// Moves `clock` to one in the morning (UTC) of the next day: a new day's allowances.
pub fn next_day_at_one(clock: &passbook_domain::clock::ManualClock) {
    use passbook_domain::Clock;
    clock.advance(DAY_MS - clock.now().0.rem_euclid(DAY_MS) + HOUR_MS);
}

pub async fn realtime_refresh(t: &TestApp, id: &str) -> String {
    let res = realtime_get(t, &format!("/v2/accounts/{id}/balance")).await;
    res.headers().get("x-job-status").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

pub async fn start(config: &Config) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    passbook::start(config.clone(), listener).await.unwrap()
}

/// The link page as a browser without JavaScript uses it: forms and redirects.
pub struct LinkPage {
    pub http: reqwest::Client,
    pub url: String,
}

impl LinkPage {
    pub async fn html(&self) -> (StatusCode, String) {
        let res = self.http.get(&self.url).send().await.unwrap();
        (StatusCode::from_u16(res.status().as_u16()).unwrap(), res.text().await.unwrap())
    }

    pub async fn heading(&self) -> String {
        let (_, html) = self.html().await;
        between(&html, "<h1>", "</h1>").unwrap_or_default()
    }

    /// Posts a form to an action of the page; returns the status and the Location.
    pub async fn post(&self, action: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let res = self.http.post(format!("{}/{action}", self.url)).form(fields).send().await.unwrap();
        let location = res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        (StatusCode::from_u16(res.status().as_u16()).unwrap(), location)
    }

    /// Hosted pages answer an action with a redirect to the page, widgets with the next step.
    pub async fn choose_institution(&self, id: &str) {
        let (status, _) = self.post("institution", &[("institution", id)]).await;
        assert!([StatusCode::SEE_OTHER, StatusCode::OK].contains(&status), "{status}");
    }

    pub async fn login(&self, username: &str, password: &str) {
        let (status, _) = self.post("login", &[("username", username), ("password", password)]).await;
        assert!([StatusCode::SEE_OTHER, StatusCode::OK].contains(&status), "{status}");
    }

    /// Follows the success page's Continue link; returns where the browser lands.
    pub async fn continue_to_app(&self) -> String {
        let res = self.http.get(format!("{}/continue", self.url)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 303);
        res.headers()["location"].to_str().unwrap().to_string()
    }

    /// The values of the account checkboxes on the selection step.
    pub async fn account_choices(&self) -> Vec<String> {
        let (_, html) = self.html().await;
        html.split("name=\"account\" value=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .map(str::to_string)
            .collect()
    }
}

pub fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(text[from..to].to_string())
}

/// The account id announced by the `account_connected` webhooks so far.
pub async fn connected_ids(receiver: &Receiver, n: usize) -> Vec<String> {
    receiver
        .wait_for("mono.events.account_connected", n)
        .await
        .iter()
        .map(|r| r.json()["data"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// Retries in milliseconds instead of minutes, for tests of the retry path.
pub fn fast_retries(config: &mut Config) {
    config.webhook_schedule = [0, 50, 100, 150, 200, 250, 300, 350].map(Duration::from_millis).to_vec();
}

/// Links `count` accounts of `username` at GTBank, each for a different customer.
pub async fn link_many(t: &TestApp, prefix: &str, username: &str, count: usize) {
    for i in 0..count {
        let body = json!({"customer": {"name": format!("Customer {i}"), "email": format!("{prefix}{i}@example.ng")},
                          "meta": {"ref": format!("{prefix}-{i}")}, "scope": "auth",
                          "institution": {"id": GTBANK, "auth_method": "internet_banking"}});
        let (status, data) = t.post_json("/v2/accounts/initiate", body).await;
        assert_eq!(status, StatusCode::OK, "{data}");
        t.open(data["data"]["mono_url"].as_str().unwrap()).await.login(username, "123456").await;
    }
}

/// Checks the at-least-once, in-order contract over everything a receiver saw: every event
/// in `expected_ids` was acknowledged, repeats carry the same body, and for each account the
/// acknowledged events come in sequence order.
pub fn assert_delivered_in_order(all: &[Received], expected: usize) {
    use std::collections::HashMap;
    let mut bodies: HashMap<String, String> = HashMap::new();
    let mut acknowledged: Vec<&Received> = Vec::new();
    for r in all {
        let id = r.event_id();
        if let Some(first) = bodies.get(&id) {
            assert_eq!(first, &r.body, "a repeat of {id} must be the same event");
        } else {
            bodies.insert(id.clone(), r.body.clone());
        }
        if r.acknowledged() && !acknowledged.iter().any(|a| a.event_id() == id) {
            acknowledged.push(r);
        }
    }
    assert_eq!(acknowledged.len(), expected, "every event acknowledged once at least");
    let mut last_sequence: HashMap<String, i64> = HashMap::new();
    for r in acknowledged {
        let body = r.json();
        let data = &body["data"];
        let account = [&data["id"], &data["account"]["_id"], &data["account"]]
            .into_iter()
            .find_map(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let sequence = body["sequence"].as_i64().expect("every delivery has a sequence");
        let previous = last_sequence.insert(account.clone(), sequence).unwrap_or(0);
        assert_eq!(sequence, previous + 1, "account {account}: events acknowledged out of order");
    }
}

/// `POST /v2/accounts/initiate` through `passbook-client`, with `body` as JSON (so tests can
/// say exactly what they send); the answer's data.
pub async fn initiate_with(api: &passbook_client::Client, body: &Value) -> Value {
    let request: InitiateRequest = serde_json::from_value(body.clone()).expect("an initiate request");
    serde_json::to_value(api.initiate(&request).await.unwrap()).unwrap()
}

/// Links an account at GTBank on the server at `base` with the secret `key`, as a user of the
/// hosted page would (consent, then `username`'s login); returns the page.
pub async fn link_at(http: &reqwest::Client, base: &str, key: &str, email: &str, username: &str) -> LinkPage {
    let body = json!({"customer": {"name": "Link Tester", "email": email}, "scope": "auth",
                      "institution": {"id": GTBANK, "auth_method": "internet_banking"}});
    let data = initiate_with(&passbook_client::Client::new(base, key), &body).await;
    let page = LinkPage { http: http.clone(), url: data["mono_url"].as_str().unwrap().to_string() };
    page.post("consent", &[]).await;
    page.login(username, "123456").await;
    page
}

/// A `passbook` process of the test, on `db`.
pub struct Process {
    pub child: std::process::Child,
    /// The URL it serves on (empty for `passbook worker`).
    pub base: String,
}

/// A process outlives no test: dropped, it is killed (a test that fails half-way leaves none
/// behind either).
impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `passbook serve` (or, with `worker` first in `extra`, `passbook worker`) with short
/// leases (unless `extra` sets them), and waits until it is ready.
pub fn serve(db: &str, key: &str, extra: &[&str]) -> Process {
    serve_with(db, key, extra, &[], None)
}

/// [`serve`] with more environment variables, and its log (stderr) written to `log`.
pub fn serve_with(db: &str, key: &str, extra: &[&str], env: &[(&str, &str)], log: Option<&std::path::Path>) -> Process {
    use std::io::{BufRead, BufReader};
    let worker = extra.first() == Some(&"worker");
    let mut args: Vec<&str> = if worker { vec!["worker"] } else { vec!["serve", "--listen", "127.0.0.1:0"] };
    args.extend(extra.iter().skip(usize::from(worker)));
    for (flag, value) in [("--webhook-timeout-secs", "1"), ("--webhook-lease-secs", "2"), ("--job-lease-secs", "2")] {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_passbook"));
    command.args(&args).env("PASSBOOK_DATABASE_URL", db).env("PASSBOOK_MASTER_KEY", key);
    command.envs(env.iter().copied()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
    if let Some(path) = log {
        command.stderr(std::fs::File::create(path).unwrap());
    }
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("passbook says when it is ready").unwrap();
        if let Some(rest) = line.strip_prefix("Passbook is listening on ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
        if line.starts_with("Passbook worker running") {
            break String::new();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Process { child, base }
}

/// Runs the CLI on the test server's database. On a blocking thread: the test's runtime keeps
/// serving (and committing) meanwhile, as a real server would.
pub async fn passbook_cli(t: &TestApp, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_passbook"));
    command
        .args(args)
        .env("PASSBOOK_DATABASE_URL", &t.config.database_url)
        .env("PASSBOOK_MASTER_KEY", t.config.master_key.as_deref().unwrap());
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

/// For tests of `passbook` processes: a fresh database, a master key, a webhook receiver, and an
/// app created with the CLI; returns them with the app's secret key.
pub async fn process_setup(dir: &TempDir) -> (String, String, Receiver, String) {
    process_setup_on(fresh_database(dir).await).await
}

/// [`process_setup`] on the database `db`.
pub async fn process_setup_on(db: String) -> (String, String, Receiver, String) {
    let key = Vault::generate_key();
    let receiver = Receiver::start().await;
    let created = std::process::Command::new(env!("CARGO_BIN_EXE_passbook"))
        .args(["apps", "create", "--name", "Processes", "--webhook-url", &receiver.url, "--json"])
        .env("PASSBOOK_DATABASE_URL", &db)
        .env("PASSBOOK_MASTER_KEY", &key)
        .output()
        .unwrap();
    let app: Value = serde_json::from_slice(&created.stdout).unwrap();
    let secret = app["secret_key"].as_str().unwrap().to_string();
    (db, key, receiver, secret)
}

/// A sample statement from `../shared/statements/` (never copied into the repository).
pub fn sample_statement(path: &str) -> Vec<u8> {
    let root = std::env::var("PASSBOOK_STATEMENT_SAMPLES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/statements"));
    std::fs::read(root.join(path)).unwrap_or_else(|e| panic!("sample statement {path}: {e}"))
}

/// A `multipart/form-data` body: text fields, and files as `(name, file name, bytes)`.
pub fn multipart(texts: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "passbook-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends `bytes` as the `statement` file of a multipart form, with `texts`.
pub async fn post_statement(
    request: reqwest::RequestBuilder,
    file_name: &str,
    bytes: &[u8],
    texts: &[(&str, &str)],
) -> reqwest::Response {
    let (content_type, body) = multipart(texts, &[("statement", file_name, bytes)]);
    request.header("content-type", content_type).body(body).send().await.unwrap()
}

impl LinkPage {
    /// Uploads a statement on the upload step; returns the status and the answer's body (a
    /// widget's next step) or redirect target (a hosted page).
    pub async fn upload(&self, file_name: &str, bytes: &[u8], password: Option<&str>) -> (StatusCode, String) {
        let texts: Vec<(&str, &str)> = password.map(|p| vec![("password", p)]).unwrap_or_default();
        let res = post_statement(self.http.post(format!("{}/statement", self.url)), file_name, bytes, &texts).await;
        let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
        let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
        (status, location.unwrap_or(res.text().await.unwrap()))
    }
}

impl TestApp {
    /// `POST /passbook/v1/statements` with a file and form fields.
    pub async fn import_statement(&self, file_name: &str, bytes: &[u8], texts: &[(&str, &str)]) -> (StatusCode, Value) {
        let request =
            self.http.post(format!("{}/passbook/v1/statements", self.base)).header("mono-sec-key", self.key());
        let res = post_statement(request, file_name, bytes, texts).await;
        let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// Asks for the account's six-month PDF statement, waits until it is built, and returns its
/// path (with the request's answer checked: `BUILDING` at first).
pub async fn built_statement_path(t: &TestApp, id: &str) -> String {
    let (status, body) = t.get(&format!("/v2/accounts/{id}/statement?period=last6months&output=pdf")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "BUILDING");
    let job = body["data"]["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let state = t.api().statement_job(id, &job).await.unwrap();
        if state.status == "BUILT" {
            return state.path.expect("a built statement's path");
        }
        assert!(Instant::now() < deadline, "{state:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The built statement's bytes.
pub async fn built_statement_pdf(t: &TestApp, id: &str) -> Vec<u8> {
    let path = built_statement_path(t, id).await;
    let res = t.http.get(&path).header("mono-sec-key", t.key()).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/pdf");
    res.bytes().await.unwrap().to_vec()
}

/// Waits (up to 20 s) until `holds` is true; fails naming `what` otherwise.
pub async fn eventually(what: &str, mut holds: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !holds().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A connection of the test's own to the server's database.
pub async fn database(t: &TestApp) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&t.config.database_url).await.unwrap()
}
