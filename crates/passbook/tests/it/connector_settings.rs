//! Connectors configured without flags: an owner saves Mono's keys in the console (tried
//! against "Mono", a second Passbook, before they are kept), every process follows, the keys
//! stay sealed, and switching it off brings the sandbox banks back; the CLI does the same.
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;

use crate::console::team;
use crate::support::*;

const MONO_FORM: &str = "/console/connectors/mono";

/// GTBank's status as `base`'s `/v3/institutions` lists it.
async fn gtbank_status(http: &reqwest::Client, base: &str) -> String {
    let listed: Value =
        http.get(format!("{base}/v3/institutions?name=GTBank")).send().await.unwrap().json().await.unwrap();
    listed["data"][0]["status"].as_str().unwrap_or_default().to_string()
}

/// Waits (without a time limit being the assertion: the deadline only ends a hung test) until
/// `base` lists GTBank with `status`.
async fn until_gtbank_is(http: &reqwest::Client, base: &str, status: &str, why: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while gtbank_status(http, base).await != status {
        assert!(Instant::now() < deadline, "{why}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_owner_switches_mono_on_in_the_console_and_every_process_follows() {
    // "Mono" marks GTBank degraded, so its list is told apart from the sandbox's.
    let mono = TestApp::spawn().await;
    let [mono_owner, ..] = team(&mono).await;
    let marked = mono_owner.post(&format!("/console/institutions/{GTBANK}/status"), &[("status", "degraded")]).await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER);

    let passbook = TestApp::spawn().await;
    // On a blocking thread: this runtime serves `passbook` meanwhile (blocked, a write it holds
    // would keep the other process from starting).
    let (db, key) = (passbook.config.database_url.clone(), passbook.config.master_key.clone().unwrap());
    let replica = tokio::task::spawn_blocking(move || serve(&db, &key, &["--no-migrate"])).await.unwrap();
    let [owner, admin, ..] = team(&passbook).await;
    let (secret_key, webhook_secret) = (mono.key(), mono.app.app.webhook_secret.as_str());
    let form = |key| [("secret_key", key), ("webhook_secret", webhook_secret), ("base_url", mono.base.as_str())];

    let page = owner.get("/console/connectors").await;
    assert!(page.body.contains("id=\"save-mono\"") && page.body.contains("type=\"password\" name=\"secret_key\""));
    let refused = admin.post(MONO_FORM, &form(secret_key)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "only owners configure connectors");
    assert!(!admin.get("/console/connectors").await.body.contains("id=\"save-mono\""), "admins see no form");

    let wrong = owner.post(MONO_FORM, &form("test_sk_wrong")).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert!(wrong.body.contains("Mono did not start with these settings"), "{}", wrong.body);
    assert!(owner.get("/console/connectors").await.body.contains("Mono · <span class=\"connector-state\">off"));
    assert_eq!(gtbank_status(&passbook.http, &passbook.base).await, "operational", "a refused key changes nothing");

    let saved = owner.post(MONO_FORM, &form(secret_key)).await;
    assert_eq!((saved.status, saved.location()), (StatusCode::SEE_OTHER, "/console/connectors?notice=connector_saved"));
    assert_eq!(gtbank_status(&passbook.http, &passbook.base).await, "degraded", "the saving process at once");
    until_gtbank_is(&passbook.http, &replica.base, "degraded", "the other process never followed").await;
    let page = owner.get("/console/connectors").await;
    assert!(page.body.contains("Mono · <span class=\"connector-state\">on"), "{}", page.body);
    assert!(!page.body.contains(secret_key) && !page.body.contains(webhook_secret), "a secret is never shown back");

    // Saved again with the secrets left empty: they are kept.
    let kept = owner
        .post(
            MONO_FORM,
            &[("secret_key", ""), ("webhook_secret", ""), ("base_url", &mono.base), ("realtime_per_day", "5")],
        )
        .await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER, "{}", kept.body);
    assert_eq!(gtbank_status(&passbook.http, &passbook.base).await, "degraded");

    let stored = crate::security::database_contents(&passbook).await;
    assert!(!stored.contains(secret_key) && !stored.contains(webhook_secret), "the keys are sealed at rest");
    let audit = owner.get("/console/audit").await.body;
    assert!(audit.contains("connector configured") && audit.contains("changed: realtime_per_day"), "{audit}");

    let confirm = owner.get("/console/connectors/mono/remove").await;
    assert!(confirm.body.contains("Switch off Mono?"), "{}", confirm.body);
    let removed = owner.post("/console/connectors/mono/remove", &[]).await;
    assert_eq!(removed.location(), "/console/connectors?notice=connector_removed");
    assert_eq!(gtbank_status(&passbook.http, &passbook.base).await, "operational", "the sandbox banks are back");
    until_gtbank_is(&passbook.http, &replica.base, "operational", "the other process never switched Mono off").await;
}

/// Accounts linked through a saved connector are fetched with it, like a flag-set one.
#[tokio::test]
async fn an_account_links_through_a_connector_saved_from_the_cli() {
    let mono = TestApp::spawn().await;
    let passbook = TestApp::spawn_with(|c| c.connector_settings_poll = Duration::from_millis(100)).await;
    let hook = format!("{}/passbook/v1/connectors/mono/notifications", passbook.base);
    let (status, body) = mono
        .send_json(reqwest::Method::PUT, "/passbook/v1/webhook", mono.key(), serde_json::json!({"url": hook}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let key_file = passbook.dir.path().join("mono.key");
    std::fs::write(&key_file, format!("{}\n", mono.key())).unwrap();
    let key_arg = format!("secret_key=@{}", key_file.display());

    let incomplete = passbook_cli(&passbook, &["connectors", "set", "mono", &key_arg]).await;
    assert!(!incomplete.status.success());
    assert!(String::from_utf8_lossy(&incomplete.stderr).contains("Mono needs Webhook secret"), "{incomplete:?}");
    let unknown = passbook_cli(&passbook, &["connectors", "set", "plaid", "key=x"]).await;
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("No connector named 'plaid'"), "{unknown:?}");

    let webhook = format!("webhook_secret={}", mono.app.app.webhook_secret);
    let base = format!("base_url={}", mono.base);
    let set = passbook_cli(&passbook, &["connectors", "set", "mono", &key_arg, &webhook, &base]).await;
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    let listed = passbook_cli(&passbook, &["connectors", "list", "--json"]).await;
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let mono_listed = listed.as_array().unwrap().iter().find(|c| c["name"] == "mono").unwrap();
    assert_eq!(mono_listed["configured"], "saved");
    assert_eq!(mono_listed["secrets_set"], serde_json::json!(["secret_key", "webhook_secret"]));
    assert!(!listed.to_string().contains(mono.key()), "the CLI never prints a secret");

    // The running server follows the CLI's save, and links through Mono's page.
    let deadline = Instant::now() + Duration::from_secs(60);
    while passbook.server.as_ref().unwrap().passbook.institutions().named("mono").is_none() {
        assert!(Instant::now() < deadline, "the server never followed the CLI's settings");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = crate::mono_upstream::link_through_mono(&mono, &passbook, "cli-saved", "user_good").await;
    let details = passbook.wait_for_data(&id).await;
    assert_eq!(details.meta.data_status, "AVAILABLE");

    let removed = passbook_cli(&passbook, &["connectors", "remove", "mono"]).await;
    assert!(removed.status.success(), "{}", String::from_utf8_lossy(&removed.stderr));
    let again = passbook_cli(&passbook, &["connectors", "remove", "mono"]).await;
    assert!(String::from_utf8_lossy(&again.stderr).contains("No settings are saved for the connector 'mono'"));
}

/// What the flags set is shown, not offered for change, and wins over saved settings.
#[tokio::test]
async fn a_connector_the_flags_set_is_shown_not_changed() {
    let passbook = TestApp::spawn_with(|c| c.simplefin = Some(Default::default())).await;
    let [owner, ..] = team(&passbook).await;
    let page = owner.get("/console/connectors").await.body;
    assert!(page.contains("SimpleFIN · <span class=\"connector-state\">set by flags"), "{page}");
    assert!(!page.contains("id=\"save-simplefin\"") && page.contains("id=\"save-mono\""), "{page}");
}
