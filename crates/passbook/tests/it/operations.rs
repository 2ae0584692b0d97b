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

/// `POST` with the key and `Idempotency-Key`; the status, the body and whether it was replayed.
async fn post_once(t: &TestApp, path: &str, key: &str, idempotency: &str, body: &Value) -> (u16, Value, bool) {
    let res = t
        .http
        .post(format!("{}{path}", t.base))
        .header("mono-sec-key", key)
        .header("idempotency-key", idempotency)
        .json(body)
        .send()
        .await
        .unwrap();
    let replayed = res.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
    (res.status().as_u16(), res.json().await.unwrap(), replayed)
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_for_a_day() {
    let clock = std::sync::Arc::new(passbook_domain::clock::ManualClock::new(passbook_domain::Clock::now(
        &passbook_domain::SystemClock,
    )));
    let t = TestApp::spawn_with(|c| c.clock = clock.clone()).await;
    let body =
        json!({"customer": {"name": "Ada Obi", "email": "ada@example.ng"}, "meta": {"ref": "idem-1"}, "scope": "auth"});
    let (status, first, replayed) = post_once(&t, "/v2/accounts/initiate", t.key(), "link-ada-1", &body).await;
    assert_eq!((status, replayed), (200, false), "{first}");
    let (status, again, replayed) = post_once(&t, "/v2/accounts/initiate", t.key(), "link-ada-1", &body).await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(again, first, "the same answer, not a second link (the reference would be refused)");

    let other =
        json!({"customer": {"name": "Ada Obi", "email": "ada@example.ng"}, "meta": {"ref": "idem-2"}, "scope": "auth"});
    let (status, refused, _) = post_once(&t, "/v2/accounts/initiate", t.key(), "link-ada-1", &other).await;
    assert_eq!(status, 409);
    assert!(refused["message"].as_str().unwrap().contains("used for a different request"), "{refused}");

    let app = t.server.as_ref().unwrap().passbook.create_app("Other app", None).await.unwrap();
    let (status, _, replayed) = post_once(&t, "/v2/accounts/initiate", &app.secret_key, "link-ada-1", &other).await;
    assert_eq!((status, replayed), (200, false), "keys belong to one app");

    let (status, refused, _) = post_once(&t, "/v2/accounts/initiate", t.key(), &"k".repeat(256), &other).await;
    assert_eq!(status, 400);
    assert!(refused["message"].as_str().unwrap().contains("Idempotency-Key must be"), "{refused}");

    clock.advance(25 * 60 * 60 * 1000);
    let (status, _, replayed) = post_once(&t, "/v2/accounts/initiate", t.key(), "link-ada-1", &other).await;
    assert_eq!((status, replayed), (200, false), "after 24 hours the key is free again");
}

#[tokio::test]
async fn retries_racing_with_one_key_run_once() {
    let t = TestApp::spawn().await;
    let mut retries = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let req = t
            .http
            .post(format!("{}/passbook/v1/webhook/test", t.base))
            .header("mono-sec-key", t.key())
            .header("idempotency-key", "one-test-please")
            .json(&json!({}));
        retries.spawn(async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        });
    }
    let answers = retries.join_all().await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body["data"]["event_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1, "every answered retry names the one event: {answers:?}");
    assert!(answers.iter().all(|(status, _)| [200, 409].contains(status)), "{answers:?}");
    let (_, events) = t.get("/passbook/v1/events?event=mono.events.webhook_test").await;
    assert_eq!(events["meta"]["total"], 1, "one event was created: {events}");
}

#[tokio::test]
async fn migrate_without_the_advisory_lock_applies_every_migration() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;
    let key = passbook_domain::Vault::generate_key();
    let mut migrate = std::process::Command::new(env!("CARGO_BIN_EXE_passbook"));
    migrate.args(["migrate", "--no-lock"]).env("PASSBOOK_DATABASE_URL", &db).env("PASSBOOK_MASTER_KEY", &key);
    let out = tokio::task::spawn_blocking(move || migrate.output().unwrap()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let folder = if on_postgres() { "postgres" } else { "sqlite" };
    let files = std::fs::read_dir(format!("{}/../passbook-store/migrations/{folder}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .filter(|f| f.as_ref().unwrap().path().extension().is_some_and(|e| e == "sql"))
        .count();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db).await.unwrap();
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success").fetch_one(&pool).await.unwrap();
    assert!(files >= 5, "the migrations folder: {files} files");
    assert_eq!(applied as usize, files);
}
