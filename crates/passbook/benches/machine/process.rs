//! The `passbook` processes under test, the webhook receiver they deliver to, and linking through
//! the public API.
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The flags every process under test gets: the machine measured, not the limits that guard it.
const UNLIMITED: [&str; 4] = ["--rate-limit-per-address", "0", "--rate-limit-per-key", "0"];

pub struct Passbook {
    pub child: Child,
    pub base: String,
    /// The sandbox app's secret key, printed on the first start.
    pub secret_key: String,
    /// From spawning the process to its "listening" line.
    pub cold_start: Duration,
}

impl Passbook {
    /// Starts `passbook serve` (or `worker`) on `database` and reads its first lines.
    pub fn start(command: &str, database: &str, key: &str, extra: &[&str], receiver: &str) -> Self {
        let started = Instant::now();
        let mut args = vec![command];
        if command == "serve" {
            args.extend(["--listen", "127.0.0.1:0", "--webhook-url", receiver]);
            args.extend(UNLIMITED);
        }
        args.extend(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_passbook"))
            .args(&args)
            .env("PASSBOOK_DATABASE_URL", database)
            .env("PASSBOOK_MASTER_KEY", key)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut base, mut secret_key) = (String::new(), String::new());
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(key) = line.trim().strip_prefix("secret key:") {
                secret_key = key.trim().to_string();
            }
            if let Some(rest) = line.strip_prefix("Passbook is listening on ") {
                base = rest.split_whitespace().next().unwrap().to_string();
                break;
            }
            if line.starts_with("Passbook worker running") {
                break;
            }
        }
        let cold_start = started.elapsed();
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, base, secret_key, cold_start }
    }

    /// Resident memory, from `/proc`.
    pub fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(0.0);
        kb / 1024.0
    }
}

impl Drop for Passbook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One webhook as it arrived.
#[derive(Clone)]
pub struct Arrival {
    pub at: Instant,
    pub event: String,
    pub account: String,
    pub data_status: String,
}

/// A loopback receiver that answers 200 at once and remembers what arrived.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    /// Arrivals by event name: counted as they come, since the bench asks every millisecond
    /// while thousands arrive (counting the list each time took a core from the worker measured).
    counts: Arc<Mutex<HashMap<String, usize>>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let (kept, counted) = (arrivals.clone(), counts.clone());
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |body: axum::body::Bytes| {
                let (kept, counted) = (kept.clone(), counted.clone());
                async move {
                    let at = Instant::now();
                    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                    let account = v["data"]["id"].as_str().or(v["data"]["account"]["_id"].as_str()).unwrap_or("");
                    let event = v["event"].as_str().unwrap_or("").to_string();
                    *counted.lock().unwrap().entry(event.clone()).or_insert(0) += 1;
                    kept.lock().unwrap().push(Arrival {
                        at,
                        event,
                        account: account.to_string(),
                        data_status: v["data"]["meta"]["data_status"].as_str().unwrap_or("").to_string(),
                    });
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, arrivals, counts }
    }

    pub fn count(&self, event: &str) -> usize {
        self.counts.lock().unwrap().get(event).copied().unwrap_or(0)
    }

    /// The first arrival matching `accept`, waiting up to `limit`.
    pub async fn wait_for(&self, limit: Duration, accept: impl Fn(&Arrival) -> bool) -> Arrival {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(found) = self.arrivals.lock().unwrap().iter().find(|a| accept(a)) {
                return found.clone();
            }
            assert!(Instant::now() < deadline, "no such webhook within {limit:?}");
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
}

/// Links the sandbox login `username` at GTBank through the Partners API as a new customer; returns
/// when the last step was sent and the account id.
pub async fn link(api: &passbook_client::Client, username: &str, n: usize) -> (Instant, String) {
    use passbook_client::types::linking::CustomerIn;
    use passbook_client::types::partners::{SessionAnswer, SessionRequest};
    let customer = CustomerIn {
        id: None,
        name: Some("Bench Customer".into()),
        email: Some(format!("bench-{n}-{username}@example.ng")),
    };
    let created = api
        .partner_session(&SessionRequest {
            institution: Some("5f2d08be60b92e2888287702".into()),
            auth_method: Some("internet_banking".into()),
            scope: Some("financial_data".into()),
            customer: Some(customer),
            meta: None,
        })
        .await
        .unwrap();
    let SessionAnswer::Created(created) = created else { panic!("a new session, not a renewal") };
    let session = created.session.id;
    let sent = Instant::now();
    let done = api.partner_login(&session, &json!({"username": username, "password": "123456"})).await.unwrap();
    let code = done.data["code"].as_str().unwrap_or_else(|| panic!("linked: {:?}", done.data));
    (sent, api.exchange_code(code).await.unwrap().id)
}
