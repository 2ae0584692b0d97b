//! A proxy in front of an upstream that can turn slow, fail with a status, or answer malformed
//! JSON: how a live upstream fails, put in front of a faithful fake of it (a second Passbook
//! playing Mono). It counts the requests that ask for data fresh from the bank.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Answers only after this long.
    Slow(Duration),
    /// Answers this status with a gateway's page (not the upstream's envelope).
    Status(StatusCode),
    /// Answers 200 with a body cut short.
    Malformed,
    /// Answers this status with this JSON body (the upstream's own refusal).
    Reply(StatusCode, &'static str),
    /// Forwards, and says in the answer that the upstream is still fetching the account's data
    /// (Mono's `meta.data_status: PROCESSING`).
    Processing,
}

#[derive(Clone)]
pub struct FaultProxy {
    pub url: String,
    upstream: Arc<Mutex<String>>,
    fault: Arc<Mutex<Fault>>,
    realtime: Arc<AtomicUsize>,
    http: reqwest::Client,
}

impl FaultProxy {
    /// A proxy whose upstream is set later ([`FaultProxy::point_at`]).
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = FaultProxy {
            url: format!("http://{}", listener.local_addr().unwrap()),
            upstream: Arc::default(),
            fault: Arc::new(Mutex::new(Fault::None)),
            realtime: Arc::default(),
            http: crate::support::client(),
        };
        let app = axum::Router::new().fallback(forward).with_state(proxy.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        proxy
    }

    pub fn point_at(&self, upstream: &str) {
        *self.upstream.lock().unwrap() = upstream.trim_end_matches('/').to_string();
    }

    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    /// Requests that carried `x-realtime: true`.
    pub fn realtime_calls(&self) -> usize {
        self.realtime.load(Ordering::SeqCst)
    }
}

async fn forward(
    State(proxy): State<FaultProxy>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if headers.get("x-realtime").is_some_and(|v| v == "true") {
        proxy.realtime.fetch_add(1, Ordering::SeqCst);
    }
    let fault = *proxy.fault.lock().unwrap();
    match fault {
        Fault::Slow(delay) => tokio::time::sleep(delay).await,
        Fault::Status(status) => {
            return (status, [("content-type", "text/html")], "<html><body>Service unavailable</body></html>")
                .into_response();
        }
        Fault::Malformed => {
            return (StatusCode::OK, [("content-type", "application/json")], r#"{"status":"successful","data":{"#)
                .into_response();
        }
        Fault::Reply(status, body) => return (status, [("content-type", "application/json")], body).into_response(),
        Fault::None | Fault::Processing => {}
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let upstream = proxy.upstream.lock().unwrap().clone();
    let mut request = proxy.http.request(method, format!("{upstream}{path}")).body(body);
    for (name, value) in headers.iter().filter(|(name, _)| *name != "host") {
        request = request.header(name, value);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status();
    let content_type = answer.headers().get("content-type").cloned();
    let mut body = answer.bytes().await.unwrap();
    if fault == Fault::Processing {
        body = still_processing(body);
    }
    let mut response = (status, body).into_response();
    if let Some(content_type) = content_type {
        response.headers_mut().insert("content-type", content_type);
    }
    response
}

/// The answer with its account's `meta.data_status` (where it has one) turned to PROCESSING.
fn still_processing(body: Bytes) -> Bytes {
    let Ok(mut answer) = serde_json::from_slice::<serde_json::Value>(&body) else { return body };
    match answer.pointer_mut("/data/meta/data_status") {
        Some(status) => *status = "PROCESSING".into(),
        None => return body,
    }
    Bytes::from(serde_json::to_vec(&answer).unwrap())
}
