//! The operator's CLI, run as a separate process on the database of a running server.
use std::process::Command;

use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn apps_are_created_and_listed_while_the_server_runs() {
    let t = TestApp::spawn().await;
    let out =
        passbook_cli(&t, &["apps", "create", "--name", "Lendy", "--webhook-url", "http://127.0.0.1:9/hooks", "--json"])
            .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = created["secret_key"].as_str().unwrap();
    assert!(key.starts_with("test_sk_"));
    assert!(created["public_key"].as_str().unwrap().starts_with("test_pk_"));
    assert!(created["webhook_secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["webhook_url"], "http://127.0.0.1:9/hooks");

    // The running server accepts the new key at once.
    let (status, body) = t.get_with_key("/v2/accounts", key).await;
    assert_eq!(status.as_u16(), 200, "{body}");

    let out = passbook_cli(&t, &["apps", "list", "--json"]).await;
    assert!(out.status.success());
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<_> = list.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Lendy") && names.contains(&"Test app"), "{names:?}");
    assert!(list.as_array().unwrap().iter().all(|a| a.get("secret_key").is_none()));

    let id = created["id"].as_str().unwrap();
    let out = passbook_cli(&t, &["apps", "set-webhook", id, "https://hooks.example.com/mono"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = passbook_cli(&t, &["apps", "create", "--name", "Bad", "--webhook-url", "ftp://x"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("webhook_url must be an absolute http(s) URL"));
}

#[tokio::test]
async fn serve_creates_the_sandbox_app_once_and_prints_its_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let run = |port: u16| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_passbook"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("PASSBOOK_DATABASE_URL", &db)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = run(0);
    assert!(first.contains("secret key:     test_sk_"), "{first}");
    assert!(first.contains("public key:     test_pk_"));
    assert!(first.contains("webhook secret: whsec_"));
    assert!(first.contains("Passbook is listening on http://127.0.0.1:"));
    assert!(
        first.contains("Open this link once to make the first owner") && first.contains("/console/join/"),
        "{first}"
    );
    assert!(dir.path().join("p.db.key").exists(), "the master key file is created beside the database");
    let second = run(0);
    assert!(!second.contains("secret key"), "{second}");
    assert!(second.contains("Passbook is listening on"));
}

#[tokio::test]
async fn the_sandbox_clock_moves_from_the_command_line() {
    let t = TestApp::spawn().await;
    t.link("cli-clock", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    let out = passbook_cli(&t, &["sandbox", "advance", "--days", "3", "--app", &t.app.app.id]).await;
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed} {}", String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("(3 days ahead); 3 refreshes run, 0 failed"), "{printed}");
    assert_eq!(t.api().sandbox_clock().await.unwrap().days_ahead, 3, "the server sees the same clock");
    // The CLI wrote the refreshes' events; the running server delivers them.
    t.receiver.wait_for("passbook.events.sync_updates_available", 1).await;
    let out = passbook_cli(&t, &["sandbox", "advance", "--days", "0", "--app", &t.app.app.id]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 to 366 days"));
}

#[tokio::test]
async fn operators_are_made_from_the_command_line_and_log_in() {
    let t = TestApp::spawn().await;
    let (db, key) = (t.config.database_url.clone(), t.config.master_key.clone().unwrap());
    let created = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_passbook"))
            .args(["operators", "create", "--email", "Ops@Example.com", "--role", "admin", "--password-stdin"])
            .env("PASSBOOK_DATABASE_URL", &db)
            .env("PASSBOOK_MASTER_KEY", &key)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{}\n", crate::console::PASSWORD).as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stdout).contains("created admin operator ops@example.com"));
    let made = passbook_cli(&t, &["operators", "create", "--email", "viewer@example.com", "--role", "viewer"]).await;
    let said = String::from_utf8_lossy(&made.stdout).into_owned();
    let password = said.split("password (shown only now): ").nth(1).expect("a made password is shown once").trim();
    let again = passbook_cli(&t, &["operators", "create", "--email", "ops@example.com", "--role", "owner"]).await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("An operator with e-mail ops@example.com exists already"));
    let bad = passbook_cli(&t, &["operators", "create", "--email", "x@example.com", "--role", "superuser"]).await;
    assert!(String::from_utf8_lossy(&bad.stderr).contains("role must be owner, admin, developer or viewer"));
    let listed = String::from_utf8_lossy(&passbook_cli(&t, &["operators", "list"]).await.stdout).into_owned();
    assert!(
        listed.contains("admin") && listed.contains("ops@example.com") && listed.contains("viewer@example.com"),
        "{listed}"
    );
    let admin = crate::console::Console::login(&t.base, "ops@example.com").await;
    assert!(admin.get("/console").await.body.contains(">admin<"));
    let viewer = crate::console::Console::try_login(&t.base, "viewer@example.com", password).await;
    assert_eq!(viewer.status.as_u16(), 303, "the shown password logs in");
}
