//! The Partners API: every sandbox scenario without pages.
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

async fn call(t: &TestApp, path: &str, session: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = t.http.post(format!("{}{path}", t.base)).header("mono-sec-key", t.key()).json(&body);
    if let Some(id) = session {
        req = req.header("x-session-id", id);
    }
    let res = req.send().await.unwrap();
    (StatusCode::from_u16(res.status().as_u16()).unwrap(), res.json().await.unwrap())
}

async fn session(t: &TestApp, email: &str) -> String {
    let (status, body) = call(
        t,
        "/v2/connect/session",
        None,
        json!({
        "institution": GTBANK, "auth_method": "internet_banking", "scope": "financial_data",
        "customer": {"name": "Ada Obi", "email": email}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["ui"]["form"][0]["name"], "username");
    assert_eq!(body["data"]["session"]["institution"]["name"], "GTBank");
    assert!(body["data"]["session"]["expiresAt"].is_i64());
    body["data"]["session"]["id"].as_str().unwrap().to_string()
}

async fn exchange(t: &TestApp, answer: &Value) -> String {
    let code = answer["data"]["code"].as_str().unwrap();
    let (_, exchanged) = t.post_json("/v2/accounts/auth", json!({"code": code})).await;
    exchanged["data"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn headless_linking_follows_the_response_codes() {
    let t = TestApp::spawn().await;
    let good = session(&t, "a@example.ng").await;
    let (status, wrong) =
        call(&t, "/v2/connect/login", Some(&good), json!({"username": "user_good", "password": "x"})).await;
    assert_eq!((status, wrong["responseCode"].as_u64()), (StatusCode::BAD_REQUEST, Some(400)), "{wrong}");
    let (_, done) =
        call(&t, "/v2/connect/login", Some(&good), json!({"username": "user_good", "password": "123456"})).await;
    assert_eq!(done["responseCode"], 99, "{done}");
    let id = exchange(&t, &done).await;
    assert_eq!(connected_ids(&t.receiver, 1).await[0], id);

    let mfa = session(&t, "b@example.ng").await;
    let (_, asked) =
        call(&t, "/v2/connect/login", Some(&mfa), json!({"username": "user_mfa", "password": "123456"})).await;
    assert_eq!(asked["responseCode"], 102);
    assert_eq!(asked["message"], "OTP required");
    assert_eq!(asked["data"]["userInput"]["form"][0]["name"], "otp");
    let (status, bad) = call(&t, "/v2/connect/commit", Some(&mfa), json!({"otp": "000000"})).await;
    assert_eq!((status, bad["responseCode"].as_u64()), (StatusCode::BAD_REQUEST, Some(400)));
    let (_, done) = call(&t, "/v2/connect/commit", Some(&mfa), json!({"otp": "123456"})).await;
    assert_eq!(done["responseCode"], 99, "{done}");

    let multi = session(&t, "c@example.ng").await;
    let (_, choose) =
        call(&t, "/v2/connect/login", Some(&multi), json!({"username": "user_multi", "password": "123456"})).await;
    assert_eq!(choose["responseCode"], 101);
    let accounts = choose["data"]["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 3);
    let number = accounts[2]["accountNumber"].as_str().unwrap();
    let (status, _) = call(&t, "/v2/connect/commit", Some(&multi), json!({"accountNumber": "0000000000"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, done) = call(&t, "/v2/connect/commit", Some(&multi), json!({"accountNumber": number})).await;
    let id = exchange(&t, &done).await;
    let (_, details) = t.get(&format!("/v2/accounts/{id}")).await;
    assert_eq!(details["data"]["account"]["account_number"], number);

    let locked = session(&t, "d@example.ng").await;
    let (_, refused) =
        call(&t, "/v2/connect/login", Some(&locked), json!({"username": "user_locked", "password": "123456"})).await;
    assert_eq!(refused["responseCode"], 400);
    assert!(refused["message"].as_str().unwrap().contains("locked"));

    let (status, missing) = call(&t, "/v2/connect/login", None, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(missing["message"].as_str().unwrap().contains("x-session-id"));
    let (status, _) = call(&t, "/v2/connect/login", Some("nope"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, no_inst) =
        call(&t, "/v2/connect/session", None, json!({"customer": {"name": "A", "email": "e@x.ng"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(no_inst["message"].as_str().unwrap().contains("institution is required"));
}

#[tokio::test]
async fn headless_reauthorisation() {
    let t = TestApp::spawn().await;
    t.link("pr-1", "user_reauth").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    let (status, body) = call(&t, "/v2/connect/reauth/session", None, json!({"account": id})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session = body["data"]["session"]["id"].as_str().unwrap().to_string();
    let (_, done) =
        call(&t, "/v2/connect/reauth/login", Some(&session), json!({"username": "user_reauth", "password": "123456"}))
            .await;
    assert_eq!(done["responseCode"], 99, "{done}");
    assert_eq!(exchange(&t, &done).await, id);
    t.receiver.wait_for("mono.events.account_reauthorized", 1).await;
}

/// Where the bank can renew access by itself, Mono answers the re-authorisation at once with
/// `data.responseCode` 99 and a code; the app hears `account_reauthorized`, then fresh data.
#[tokio::test]
async fn reauthorisation_without_the_user_answers_at_once() {
    let t = TestApp::spawn().await;
    t.link("pr-2", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.receiver.wait_for("mono.events.account_updated", 1).await;
    let (status, body) = call(&t, "/v2/connect/reauth/session", None, json!({"account": id})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["responseCode"], 99, "{body}");
    let code = body["data"]["code"].as_str().expect("a code at once");
    let (_, exchanged) = t.post_json("/v2/accounts/auth", json!({"code": code})).await;
    assert_eq!(exchanged["data"]["id"], id.as_str());
    t.receiver.wait_for("mono.events.account_reauthorized", 1).await;
    t.receiver.wait_for("mono.events.account_updated", 2).await;
}

/// The Partners API names its own fields when it refuses a session.
#[tokio::test]
async fn partner_refusals_name_the_partner_fields() {
    let t = TestApp::spawn().await;
    let customer = json!({"name": "Ada Obi", "email": "ada@example.ng"});
    for (body, message) in [
        (
            json!({"institution": "000000000000000000000000", "customer": customer}),
            "institution '000000000000000000000000' is not a known institution",
        ),
        (
            json!({"institution": GTBANK, "auth_method": "ussd", "customer": customer}),
            "auth_method 'ussd' is not valid",
        ),
        (
            json!({"institution": GTBANK, "scope": "payments", "customer": customer}),
            "scope 'payments' is not supported",
        ),
    ] {
        let (status, refused) = call(&t, "/v2/connect/session", None, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let text = refused["message"].as_str().unwrap();
        assert!(text.starts_with(message) && !text.contains("institution."), "{text}");
    }
}
