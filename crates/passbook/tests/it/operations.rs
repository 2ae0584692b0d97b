//! What operators and their load balancers rely on: health and readiness, request ids, and
//! logs a collector can read.
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn health_and_readiness_answer_without_a_key() {
    let t = TestApp::spawn().await;
    let (status, body) = t.get_with_key("/healthz", "").await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    let (status, body) = t.get_with_key("/readyz", "").await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ready"})));

    // A database behind this version (a migration missing) is not ready, and says why.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&t.config.database_url).await.unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 2").execute(&pool).await.unwrap();
    let (status, body) = t.get_with_key("/readyz", "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "failed");
    assert!(body["message"].as_str().unwrap().contains("run `passbook migrate`"), "{body}");
    let (status, _) = t.get_with_key("/healthz", "").await;
    assert_eq!(status, StatusCode::OK, "still alive");
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let t = TestApp::spawn().await;
    let res = t.http.get(format!("{}/v2/accounts", t.base)).header("mono-sec-key", t.key()).send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 20, "a new id: {id}");
    let res = t.http.get(format!("{}/nope", t.base)).header("x-request-id", "client-trace-42").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(res.headers()["x-request-id"], "client-trace-42", "the caller's id is kept, errors too");
    let long = "x".repeat(65);
    let res = t.http.get(format!("{}/healthz", t.base)).header("x-request-id", &long).send().await.unwrap();
    assert_ne!(res.headers()["x-request-id"], long.as_str(), "an unreasonable id is replaced");
}

#[tokio::test]
async fn json_logs_carry_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, _receiver, secret) = process_setup(&dir).await;
    let log = dir.path().join("serve.log");
    let env = [("RUST_LOG", "info,tower_http=debug"), ("PASSBOOK_LOG_FORMAT", "json")];
    let mut process = serve_with(&db, &key, &["--no-workers"], &env, Some(&log));
    let res = client()
        .get(format!("{}/v2/accounts", process.base))
        .header("mono-sec-key", &secret)
        .header("x-request-id", "trace-me-7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    std::thread::sleep(std::time::Duration::from_millis(200));
    process.child.kill().unwrap();
    process.child.wait().unwrap();
    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a JSON log line ({e}): {l}")))
        .collect();
    let traced = lines.iter().find(|l| l["span"]["request_id"] == "trace-me-7").expect("a line of the request");
    assert_eq!(traced["span"]["route"], "/v2/accounts");
    assert!(!serde_json::to_string(&lines).unwrap().contains(&secret), "no secret key in the logs");
}
