//! The guide's three stages, through the hosted link page.
use axum::http::StatusCode;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn guide_end_to_end_with_user_good() {
    let t = TestApp::spawn().await;
    let data = t.initiate("99008877TEST", json!({})).await;
    let mono_url = data["mono_url"].as_str().unwrap();
    assert!(mono_url.starts_with(&format!("{}/link/", t.base)), "{mono_url}");
    assert_eq!(data["meta"]["ref"], "99008877TEST");
    assert_eq!(data["scope"], "auth");
    assert_eq!(data["redirect_url"], "https://app.example.com/linked");
    assert_eq!(data["customer"].as_str().unwrap().len(), 24);
    assert!(data["created_at"].as_str().unwrap().ends_with('Z'));

    let page = t.page(mono_url);
    assert_eq!(page.heading().await, "Test app wants to connect to your bank account");
    let (_, intro) = page.html().await;
    assert!(intro.contains("your transaction history") && intro.contains("It cannot move money"));
    page.post("consent", &[]).await;
    assert_eq!(page.heading().await, "Choose your bank");
    page.choose_institution(GTBANK).await;
    assert_eq!(page.heading().await, "How do you log in to GTBank?");
    page.post("auth-method", &[("auth_method", "internet_banking")]).await;
    assert_eq!(page.heading().await, "Log in to GTBank Internet Banking");
    page.login("user_good", "123456").await;
    assert_eq!(page.heading().await, "Account linked");
    assert_eq!(page.continue_to_app().await, "https://app.example.com/linked?status=successful&reference=99008877TEST");

    // Stage 2: the account id arrives by webhook, then the data status.
    let connected = t.receiver.wait_for("mono.events.account_connected", 1).await;
    let body = connected[0].json();
    let account_id = body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["customer"], data["customer"]);
    assert_eq!(
        body["data"]["meta"],
        json!({"data_status": "PROCESSING", "auth_method": "internet_banking", "ref": "99008877TEST"})
    );
    assert_eq!(connected[0].header("mono-webhook-secret"), t.app.app.webhook_secret);
    let updated = t.receiver.wait_for("mono.events.account_updated", 1).await;
    let update = updated[0].json();
    assert_eq!(update["data"]["account"]["_id"], account_id.as_str());
    assert_eq!(update["data"]["meta"]["data_status"], "AVAILABLE");
    assert_eq!(update["data"]["meta"]["retrieved_data"], json!(["identity", "balance", "transactions"]));
    assert_eq!(update["data"]["account"]["institution"]["bankCode"], "058");
    assert!(update["data"]["account"]["accountNumber"].as_str().unwrap().len() == 10);
    let order: Vec<_> = t.receiver.all().iter().map(|r| r.event()).collect();
    assert_eq!(order, ["mono.events.account_connected", "mono.events.account_updated"]);

    // Stage 3: data status and data.
    let (status, details) = t.get(&format!("/v2/accounts/{account_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(details["data"]["meta"]["data_status"], "AVAILABLE");
    assert_eq!(details["data"]["meta"]["auth_method"], "internet_banking");
    assert_eq!(details["data"]["account"]["institution"]["name"], "GTBank");
    assert_eq!(details["data"]["account"]["bvn"].as_str().unwrap().len(), 4);
    let (_, txs) = t.get(&format!("/v2/accounts/{account_id}/transactions")).await;
    assert_eq!(txs["message"], "Transaction retrieved successfully");
    assert!(txs["meta"]["total"].as_u64().unwrap() > 200);
    assert_eq!(txs["data"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn several_accounts_are_chosen_and_each_is_announced() {
    let t = TestApp::spawn().await;
    let page = t.link("multi-1", "user_multi").await;
    assert_eq!(page.heading().await, "Choose the accounts to link");
    let choices = page.account_choices().await;
    assert_eq!(choices.len(), 3);
    let (status, _) = page.post("accounts", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(page.html().await.1.contains("Choose at least one account"));
    page.post("accounts", &[("account", &choices[0]), ("account", &choices[2])]).await;
    assert_eq!(page.heading().await, "2 accounts linked");
    let ids = connected_ids(&t.receiver, 2).await;
    assert_ne!(ids[0], ids[1]);
    let updated = t.receiver.wait_for("mono.events.account_updated", 2).await;
    assert_eq!(updated.len(), 2);
    let (_, list) = t.get("/v2/accounts").await;
    assert_eq!(list["meta"]["total"], 2);
}

#[tokio::test]
async fn one_time_code_is_asked_and_checked() {
    let t = TestApp::spawn().await;
    let page = t.link("mfa-1", "user_mfa").await;
    assert_eq!(page.heading().await, "Enter the one-time code the bank sent to your phone");
    page.post("challenge", &[("otp", "000000")]).await;
    assert!(page.html().await.1.contains("The code or answer is incorrect"));
    page.post("challenge", &[("otp", "123456")]).await;
    assert_eq!(page.heading().await, "Account linked");
    connected_ids(&t.receiver, 1).await;
}

#[tokio::test]
async fn wrong_password_can_be_retried_then_limits_attempts() {
    let t = TestApp::spawn().await;
    let page = t.link("wrong-1", "user_good").await;
    assert_eq!(page.heading().await, "Account linked");

    let data = t.initiate("wrong-2", json!({"institution": {"id": GTBANK, "auth_method": "internet_banking"}})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.login("user_good", "nope").await;
    let (_, html) = page.html().await;
    assert!(html.contains("The login details are incorrect"), "{html}");
    page.login("user_good", "123456").await;
    assert_eq!(page.heading().await, "Account linked");

    let data = t.initiate("wrong-3", json!({"institution": {"id": GTBANK, "auth_method": "internet_banking"}})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    for _ in 0..5 {
        page.login("user_good", "nope").await;
    }
    assert_eq!(page.heading().await, "Linking stopped");
    let target = page.continue_to_app().await;
    assert_eq!(target, "https://app.example.com/linked?status=failed&reason=too_many_attempts&reference=wrong-3");
}

#[tokio::test]
async fn institution_redirection_opens_on_the_login_form() {
    let t = TestApp::spawn().await;
    let data = t.initiate("redir-1", json!({"institution": {"id": GTBANK, "auth_method": "mobile_banking"}})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    assert_eq!(page.heading().await, "Log in to the GTBank app");
    // Kuda offers one method only, so the page needs no choice of method.
    let data = t.initiate("redir-2", json!({"institution": {"id": KUDA}})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    assert_eq!(page.heading().await, "Log in to the Kuda Bank app");
    page.login("user_good", "123456").await;
    assert_eq!(page.heading().await, "Account linked");
    let connected = t.receiver.wait_for("mono.events.account_connected", 1).await;
    assert_eq!(connected[0].json()["data"]["meta"]["auth_method"], "mobile_banking");
}

#[tokio::test]
async fn giving_up_redirects_with_failed_status() {
    let t = TestApp::spawn().await;
    let data = t.initiate("cancel-1", json!({})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.choose_institution(GTBANK).await;
    let (status, location) = page.post("cancel", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "https://app.example.com/linked?status=failed&reason=user_cancelled&reference=cancel-1");
    // The link is finished: its forms no longer change anything.
    page.choose_institution(GTBANK).await;
    assert_eq!(page.heading().await, "Linking stopped");
}

#[tokio::test]
async fn going_back_changes_bank_and_search_filters() {
    let t = TestApp::spawn().await;
    let data = t.initiate("back-1", json!({})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.choose_institution(GTBANK).await;
    page.post("back", &[]).await;
    assert_eq!(page.heading().await, "Choose your bank");
    let res = page.http.get(format!("{}?q=kuda", page.url)).send().await.unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("Kuda Bank") && !html.contains("Zenith Bank"));
}

#[tokio::test]
async fn a_linked_session_cannot_link_again_and_keeps_its_accounts() {
    let t = TestApp::spawn().await;
    let page = t.link("twice-1", "user_good").await;
    let ids = connected_ids(&t.receiver, 1).await;
    page.login("user_good", "123456").await;
    page.post("back", &[]).await;
    page.post("cancel", &[]).await;
    assert_eq!(page.heading().await, "Account linked");
    let (status, _) = t.get(&format!("/v2/accounts/{}", ids[0])).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(t.receiver.all().iter().filter(|r| r.event() == "mono.events.account_connected").count(), 1);
}

#[tokio::test]
async fn relinking_keeps_the_account_id_and_matches_the_customer_by_email() {
    let t = TestApp::spawn().await;
    let first = t.initiate("same-1", json!({})).await;
    let second = t.initiate("same-2", json!({"customer": {"name": "Samuel O.", "email": "SAMUEL@neem.com"}})).await;
    assert_eq!(first["customer"], second["customer"]);
    t.link("same-3", "user_good").await;
    t.link("same-4", "user_good").await;
    let ids = connected_ids(&t.receiver, 2).await;
    assert_eq!(ids[0], ids[1]);
}

#[tokio::test]
async fn slow_data_stays_processing_with_empty_payloads_then_becomes_available() {
    let t = TestApp::spawn().await;
    t.link("slow-1", "user_slow").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    let (_, details) = t.get(&format!("/v2/accounts/{id}")).await;
    assert_eq!(details["data"]["meta"]["data_status"], "PROCESSING");
    let (status, txs) = t.get(&format!("/v2/accounts/{id}/transactions")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(txs["data"], json!([]));
    assert_eq!(txs["meta"]["total"], 0);
    let (_, balance) = t.get(&format!("/v2/accounts/{id}/balance")).await;
    assert_eq!(balance["data"], serde_json::Value::Null);
    let (_, identity) = t.get(&format!("/v2/accounts/{id}/identity")).await;
    assert_eq!(identity["data"], serde_json::Value::Null);
    let details = t.wait_for_data(&id).await;
    assert_eq!(details.meta.data_status, "AVAILABLE");
    let (_, balance) = t.get(&format!("/v2/accounts/{id}/balance")).await;
    assert!(balance["data"]["balance"].as_i64().unwrap() >= 0);
}

#[tokio::test]
async fn data_status_follows_what_the_bank_returned() {
    let t = TestApp::spawn().await;
    for (i, (username, expected)) in
        [("user_partial", "PARTIAL"), ("user_unavailable", "UNAVAILABLE"), ("user_failed", "FAILED")].iter().enumerate()
    {
        t.link(&format!("status-{i}"), username).await;
        let id = connected_ids(&t.receiver, i + 1).await.remove(i);
        let details = t.wait_for_data(&id).await;
        assert_eq!(details.meta.data_status, *expected, "{username}");
        let freshness = details.passbook.expect("Passbook's additions").freshness;
        match *username {
            "user_failed" => {
                assert!(freshness.last_failure.is_some() && freshness.last_failed_at.is_some(), "{freshness:?}");
                assert_eq!(freshness.last_refreshed_at, None, "nothing was ever fetched");
            }
            "user_partial" => assert!(freshness.last_refreshed_at.is_some(), "{freshness:?}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn bank_errors_are_shown_on_the_login_form() {
    let t = TestApp::spawn().await;
    let data = t.initiate("err-1", json!({"institution": {"id": GTBANK, "auth_method": "internet_banking"}})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.login("user_locked", "123456").await;
    assert!(page.html().await.1.contains("Your account is locked"));
    page.login("user_down", "123456").await;
    assert!(page.html().await.1.contains("temporarily unavailable"));
    page.login("user_good", "").await;
    assert!(page.html().await.1.contains("Enter your password"));
}

#[tokio::test]
async fn expired_and_unknown_links_say_so() {
    let t = TestApp::spawn_with(|c| c.link_ttl = std::time::Duration::from_millis(300)).await;
    let data = t.initiate("exp-1", json!({})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    assert_eq!(page.html().await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let (status, html) = page.html().await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("Link expired"));
    let unknown = t.page(&format!("{}/link/doesnotexist", t.base));
    assert_eq!(unknown.html().await.0, StatusCode::NOT_FOUND);
}

/// A link at the challenge step when the server was upgraded: the session was stored in the
/// earlier shape (a step column beside a bag of optional fields). The user answers the bank's
/// question on the new version and the link completes.
#[tokio::test]
async fn a_link_in_progress_during_an_upgrade_completes() {
    use sqlx::Row;
    let t = TestApp::spawn().await;
    let data = t.initiate("upgrade-1", json!({})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.choose_institution(GTBANK).await;
    page.post("auth-method", &[("auth_method", "internet_banking")]).await;
    page.login("user_mfa", "123456").await;
    let question = page.heading().await;
    assert!(question.contains("one-time code"), "{question}");

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&t.config.database_url).await.unwrap();
    let row = sqlx::query("SELECT id, flow_sealed FROM link_sessions").fetch_one(&pool).await.unwrap();
    let (id, sealed): (String, Vec<u8>) = (row.get(0), row.get(1));
    let vault = passbook_domain::Vault::from_base64(t.config.master_key.as_ref().unwrap()).unwrap();
    let context = format!("link_sessions.flow:{id}");
    let current: serde_json::Value = serde_json::from_slice(&vault.open(&sealed, &context).unwrap()).unwrap();
    let state = &current["state"];
    assert_eq!(state["step"], "challenge");
    let legacy = json!({
        "institution_id": state["institution_id"], "auth_method": "internet_banking",
        "institution_preselected": false, "connector_state": state["connector_state"],
        "challenge": state["challenge"], "discovered": [], "error": null, "failure_reason": null,
        "linked_account_ids": [], "consented": true, "widget_events": [], "widget_origin": null,
        "auth_code": null, "reauth_account_id": null
    });
    let resealed = vault.seal(&serde_json::to_vec(&legacy).unwrap(), &context);
    sqlx::query("UPDATE link_sessions SET flow_sealed = $1 WHERE id = $2")
        .bind(resealed)
        .bind(&id)
        .execute(&pool)
        .await
        .unwrap();

    assert_eq!(page.heading().await, question, "the old shape reads as the same step");
    page.post("challenge", &[("otp", "123456")]).await;
    assert_eq!(page.heading().await, "Account linked");
    connected_ids(&t.receiver, 1).await;
}
