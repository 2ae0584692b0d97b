//! Secrets and personal data never reach the database file in plain text.
use std::time::Duration;

use crate::support::*;

#[tokio::test]
async fn database_holds_no_plaintext_secrets_or_personal_data() {
    let mut t = TestApp::spawn().await;
    // An unfinished MFA login keeps the connector's session in the database.
    t.link("sec-1", "user_mfa").await;
    let data = t
        .initiate("sec-2", serde_json::json!({"institution": {"id": GTBANK, "auth_method": "internet_banking"}}))
        .await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.login("user_mfa", "123456").await;
    page.post("challenge", &[("otp", "123456")]).await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    let details = t.wait_for_data(&id).await;
    let (_, identity) = t.get(&format!("/v2/accounts/{id}/identity")).await;
    t.restart(|_| {}).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let haystack = database_contents(&t).await;
    let secrets = [
        t.app.secret_key.as_str(),
        t.app.app.webhook_secret.as_str(),
        "samuel@neem.com",
        "Samuel Olamide",
        details.account.name.as_deref().unwrap(),
        identity["data"]["bvn"].as_str().unwrap(),
        identity["data"]["phone"].as_str().unwrap(),
        identity["data"]["address_line1"].as_str().unwrap(),
        "user_mfa",
    ];
    for secret in secrets {
        assert!(!haystack.contains(secret), "{secret:?} is stored in plain text");
    }
}

#[tokio::test]
async fn rotating_the_master_key_keeps_every_value_readable() {
    let mut t = TestApp::spawn().await;
    let first = t.initiate("rot-1", serde_json::json!({})).await;
    t.link("rot-2", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    let (_, identity_before) = t.get(&format!("/v2/accounts/{id}/identity")).await;
    t.server.take().unwrap().shutdown().await;

    let old = t.config.master_key.clone().unwrap();
    let new = passbook_domain::Vault::generate_key();
    let mut rotate = std::process::Command::new(env!("CARGO_BIN_EXE_passbook"));
    rotate
        .args(["keys", "rotate"])
        .env("PASSBOOK_DATABASE_URL", &t.config.database_url)
        .env("PASSBOOK_MASTER_KEY", &old)
        .env("PASSBOOK_NEW_MASTER_KEY", &new);
    let out = tokio::task::spawn_blocking(move || rotate.output().unwrap()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("set PASSBOOK_MASTER_KEY to the new key"));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    assert!(passbook::start(t.config.clone(), listener).await.is_err(), "the old key no longer opens the database");
    t.config.master_key = Some(new);
    let server = start(&t.config).await;
    t.base = server.public_url.clone();
    t.server = Some(server);
    let (status, identity_after) = t.get(&format!("/v2/accounts/{id}/identity")).await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(identity_after["data"], identity_before["data"]);
    let again = t.initiate("rot-3", serde_json::json!({})).await;
    assert_eq!(again["customer"], first["customer"], "customers are still matched by e-mail");
}

/// Everything the database holds: the SQLite files' bytes, or every PostgreSQL row as text.
pub(crate) async fn database_contents(t: &TestApp) -> String {
    if !on_postgres() {
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(t.dir.path()).unwrap() {
            bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&t.config.database_url).await.unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut all = String::new();
    for table in tables {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT t::text FROM {table} t")))
            .fetch_all(&pool)
            .await
            .unwrap();
        all.extend(rows);
    }
    all
}
