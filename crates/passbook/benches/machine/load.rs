//! The load: a small closed-loop generator in this process (like `wrk -c N`: each connection sends
//! its next request when the previous answer is read), `wrk` itself when installed, and the
//! same-bytes baseline server both are compared against.
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// What one load run measured.
pub struct Load {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub bytes: usize,
}

/// Sends `GET url` over `connections` keep-alive connections for `duration`.
pub async fn run(url: &str, key: &str, connections: usize, duration: Duration) -> Load {
    let client: Client<_, Body> =
        Client::builder(TokioExecutor::new()).pool_max_idle_per_host(connections).build_http();
    let uri: axum::http::Uri = url.parse().unwrap();
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (client, uri, key) = (client.clone(), uri.clone(), key.to_string());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut bytes = 0;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    let request =
                        axum::http::Request::get(uri.clone()).header("mono-sec-key", &key).body(Body::empty()).unwrap();
                    let response = client.request(request).await.expect("the server answers");
                    assert!(response.status().is_success(), "{url}: {}", response.status(), url = uri);
                    bytes = axum::body::to_bytes(Body::new(response.into_body()), usize::MAX).await.unwrap().len();
                    latencies.push(started.elapsed());
                }
                (latencies, bytes)
            })
        })
        .collect();
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut bytes = 0;
    for task in tasks {
        let (mine, size) = task.await.unwrap();
        latencies.extend(mine);
        bytes = size;
    }
    let elapsed = started.elapsed().max(duration);
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    Load { per_second: latencies.len() as f64 / elapsed.as_secs_f64(), p50: at(0.5), p99: at(0.99), bytes }
}

/// Whether `wrk` is installed (Debian's `wrk`): the load generator that costs the machine least.
pub fn wrk_installed() -> bool {
    std::process::Command::new("wrk").arg("--version").output().is_ok()
}

/// The same load from `wrk` (two threads, `connections` connections, `--latency`), in a process
/// of its own. `bytes` is the size of one answer, read with a single request.
pub async fn run_wrk(url: &str, key: &str, connections: usize, duration: Duration) -> Load {
    let single = reqwest::Client::new().get(url).header("mono-sec-key", key).send().await.unwrap();
    assert!(single.status().is_success(), "{url}: {}", single.status());
    let bytes = single.bytes().await.unwrap().len();
    let mut command = std::process::Command::new("wrk");
    command.args(["-t2", &format!("-c{connections}"), &format!("-d{}s", duration.as_secs()), "--latency"]);
    if !key.is_empty() {
        command.args(["-H", &format!("mono-sec-key: {key}")]);
    }
    command.arg(url);
    let out = tokio::task::spawn_blocking(move || command.output().expect("wrk runs")).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Non-2xx"), "{url}: wrk saw failures\n{text}");
    let field = |label: &str| -> &str {
        let line =
            text.lines().find(|l| l.trim_start().starts_with(label)).unwrap_or_else(|| panic!("{label} in\n{text}"));
        line.trim_start()[label.len()..].split_whitespace().next().unwrap()
    };
    Load {
        per_second: field("Requests/sec:").parse().unwrap(),
        p50: wrk_duration(field("50%")),
        p99: wrk_duration(field("99%")),
        bytes,
    }
}

/// `wrk`'s durations: `812.00us`, `1.23ms`, `2.01s`.
fn wrk_duration(text: &str) -> Duration {
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap();
    let value: f64 = text[..split].parse().unwrap();
    let unit = match &text[split..] {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        other => panic!("wrk unit {other}"),
    };
    Duration::from_secs_f64(value * unit)
}

/// The environment variable that makes this benchmark's executable the baseline server instead.
pub const BASELINE_BODY: &str = "PASSBOOK_BENCH_BASELINE_BODY";

/// A bare axum server on two worker threads (as `passbook serve` has on this machine) answering
/// every request with the bytes in the file named by [`BASELINE_BODY`]; prints its address.
pub fn serve_baseline(body_file: &str) {
    let body = bytes_of(body_file);
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("baseline listening on http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        });
        axum::serve(listener, app).await.unwrap();
    });
}

fn bytes_of(path: &str) -> axum::body::Bytes {
    axum::body::Bytes::from(std::fs::read(path).unwrap())
}
