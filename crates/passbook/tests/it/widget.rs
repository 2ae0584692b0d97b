//! Widget mode over plain HTTP: opening, the parent-window messages, and the code exchange.
use std::sync::Arc;

use axum::http::StatusCode;
use passbook_domain::Timestamp;
use passbook_domain::clock::{Clock, ManualClock};
use serde_json::{Value, json};

use crate::support::*;

/// Opens the widget like `@mono.co/connect.js` does; returns the session's page.
pub(crate) async fn open_widget(t: &TestApp, extra: &[(&str, String)]) -> LinkPage {
    let mut query: Vec<(&str, String)> = vec![
        ("key", t.app.app.public_key.clone()),
        ("scope", "auth".into()),
        ("version", "2023-12-14".into()),
        ("referrer", "https://shop.example.com/checkout".into()),
        ("data", json!({"customer": {"name": "Ada Obi", "email": "ada@example.ng"}}).to_string()),
        ("reference", "widget-ref-1".into()),
    ];
    query.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    query.extend(extra.iter().cloned());
    let res = t.http.get(format!("{}/connect", t.base)).query(&query).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303, "{}", res.text().await.unwrap());
    let location = res.headers()["location"].to_str().unwrap().to_string();
    LinkPage { http: t.http.clone(), url: format!("{}{location}", t.base) }
}

/// The messages the page would post to its parent.
async fn messages(page: &LinkPage) -> Vec<Value> {
    messages_in(&page.html().await.1)
}

/// Posts an action as the widget does and returns the messages its answer carries.
async fn act(page: &LinkPage, action: &str, fields: &[(&str, &str)]) -> Vec<Value> {
    let res = page.http.post(format!("{}/{action}", page.url)).form(fields).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "a widget's action is answered with its next step");
    messages_in(&res.text().await.unwrap())
}

fn messages_in(html: &str) -> Vec<Value> {
    let json =
        between(html, r#"<script id="widget-events" type="application/json">"#, "</script>").expect("a widget page");
    serde_json::from_str::<Vec<Value>>(&json).unwrap()
}

fn types(messages: &[Value]) -> Vec<String> {
    messages.iter().map(|m| m["type"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn widget_flow_posts_its_messages_and_ends_with_a_code() {
    let t = TestApp::spawn().await;
    let page = open_widget(&t, &[]).await;
    let res = t.http.get(&page.url).send().await.unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors *"), "the widget may be framed: {csp}");
    assert!(!csp.contains("unsafe-inline"), "only nonced scripts and styles: {csp}");
    let nonce = between(&csp, "script-src 'nonce-", "'").expect("a script nonce");
    assert!(res.headers().get("x-frame-options").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!(r#"<script nonce="{nonce}">"#)), "the page's scripts carry this answer's nonce");
    assert!(html.contains(r#"var origin = "https://shop.example.com""#), "messages go to the parent's origin only");
    assert!(html.contains(r#"reference = "widget-ref-1""#));

    assert!(html.contains("post('mono.connect.widget_opened'"), "the frame announces itself once, as it loads");
    assert_eq!(types(&messages(&page).await), Vec::<String>::new(), "showing a page has no messages to post");
    act(&page, "consent", &[]).await;
    let shown = act(&page, "institution", &[("institution", GTBANK)]).await;
    assert_eq!(types(&shown), Vec::<String>::new(), "GTBank has two ways in: none chosen yet");
    let shown = act(&page, "auth-method", &[("auth_method", "internet_banking")]).await;
    assert_eq!(types(&shown), ["mono.connect.institution_selected"]);
    assert_eq!(shown[0]["data"]["institution"]["name"], "GTBank");
    assert_eq!(shown[0]["data"]["authMethod"], "internet_banking", "the first choice of a way in is announced");
    let shown = act(&page, "auth-method", &[("auth_method", "mobile_banking")]).await;
    assert_eq!(types(&shown), ["mono.connect.auth_method_switched"]);
    assert_eq!(shown[0]["data"], json!({"prevAuthMethod": "internet_banking", "authMethod": "mobile_banking"}));
    let shown = act(&page, "login", &[("username", "user_good"), ("password", "wrong")]).await;
    assert_eq!(types(&shown), ["mono.connect.login_attempt", "mono.connect.error_occured"]);
    assert_eq!(shown[1]["data"]["errorType"], "INVALID_CREDENTIALS");
    assert_eq!(shown[1]["data"]["pageName"], "LOGIN", "the step the user was at");
    assert!(messages(&page).await.is_empty(), "messages come with their action's answer only, never again");
    page.login("user_mfa", "123456").await;
    page.post("challenge", &[("otp", "123456")]).await;
    let (_, html) = page.html().await;
    assert!(html.contains("Account linked"));
    let code = between(&html, "data-code=\"", "\"").expect("the success page holds the code");
    assert!(code.starts_with("code_"));

    let (status, exchanged) = t.post_json("/v2/accounts/auth", json!({"code": code})).await;
    assert_eq!(status, StatusCode::OK, "{exchanged}");
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    assert_eq!(exchanged["data"]["id"], id.as_str());
    assert_eq!(exchanged["id"], id.as_str());
    let (status, again) = t.post_json("/v2/accounts/auth", json!({"code": code})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(again["message"], "This authorization code has already been exchanged");
    let connected = t.receiver.wait_for("mono.events.account_connected", 1).await;
    assert_eq!(connected[0].json()["data"]["meta"]["ref"], "widget-ref-1");
}

#[tokio::test]
async fn widget_messages_cover_the_whole_flow_in_order() {
    let t = TestApp::spawn().await;
    let page = open_widget(
        &t,
        &[("selectedInstitution", json!({"id": GTBANK, "auth_method": "internet_banking"}).to_string())],
    )
    .await;
    assert!(messages(&page).await.is_empty());
    act(&page, "consent", &[]).await;
    let shown = act(&page, "login", &[("username", "user_multi"), ("password", "123456")]).await;
    assert_eq!(types(&shown), ["mono.connect.login_attempt"]);
    let choices = page.account_choices().await;
    let shown = act(&page, "accounts", &[("account", &choices[1])]).await;
    assert_eq!(types(&shown), ["mono.connect.account_selected", "mono.connect.account_linked"]);
    assert_eq!(shown[0]["data"]["selectedAccountsCount"], 1);
}

#[tokio::test]
async fn closing_the_widget_reports_the_exit() {
    let t = TestApp::spawn().await;
    let page = open_widget(&t, &[]).await;
    act(&page, "consent", &[]).await;
    act(&page, "institution", &[("institution", GTBANK)]).await;
    let shown = act(&page, "cancel", &[]).await;
    assert_eq!(types(&shown), ["mono.connect.on_exit"]);
    assert_eq!(shown[0]["data"]["pageName"], "AUTH_METHODS");
    let again = act(&page, "cancel", &[]).await;
    assert!(again.is_empty(), "a link that has ended exits once");
}

#[tokio::test]
async fn a_bad_widget_setup_says_what_is_wrong() {
    let t = TestApp::spawn().await;
    for (query, status, needle) in [
        (vec![("key", "test_pk_unknown")], 401, "This public key does not belong to any app"),
        (vec![], 400, "public key (key=test_pk_"),
        (vec![("key", t.app.app.public_key.as_str()), ("data", "{not json")], 400, "data is not valid JSON"),
        (
            vec![("key", t.app.app.public_key.as_str()), ("data", r#"{"customer":{"name":"A"}}"#)],
            400,
            "customer.email is required",
        ),
    ] {
        let res = t.http.get(format!("{}/connect", t.base)).query(&query).send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{query:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains(needle), "{needle} not in {html}");
    }
}

#[tokio::test]
async fn codes_expire_after_ten_minutes_and_belong_to_one_app() {
    let clock = Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let shared = clock.clone();
    let t = TestApp::spawn_with(move |c| c.clock = shared).await;
    let page = open_widget(&t, &[("selectedInstitution", json!({"id": KUDA}).to_string())]).await;
    page.login("user_good", "123456").await;
    let (_, html) = page.html().await;
    let code = between(&html, "data-code=\"", "\"").unwrap();
    let other = t.server.as_ref().unwrap().passbook.create_app("Other", None).await.unwrap();
    let (status, body) =
        t.send_json(reqwest::Method::POST, "/v2/accounts/auth", &other.secret_key, json!({"code": code})).await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::BAD_REQUEST, Some("Invalid authorization code")));
    clock.advance(10 * 60 * 1000 + 1);
    let (status, body) = t.post_json("/v2/accounts/auth", json!({"code": code})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("expired"));
    let (status, body) = t.post_json("/v2/accounts/auth", json!({})).await;
    assert_eq!((status, body["message"].as_str()), (StatusCode::BAD_REQUEST, Some("code is required")));
    let _ = Timestamp(0);
}

#[tokio::test]
async fn hosted_pages_refuse_to_be_framed_and_the_sandbox_lists_its_logins() {
    let t = TestApp::spawn().await;
    let data = t.initiate("frame-1", json!({})).await;
    let res = t.http.get(data["mono_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let (status, sandbox) = t.get("/v2/connect/sandbox").await;
    assert_eq!(status, StatusCode::OK);
    let credentials = sandbox["data"]["credentials"].as_array().unwrap();
    assert!(credentials.len() >= 12);
    let multi = credentials.iter().find(|c| c["values"]["username"] == "user_multi").unwrap();
    assert_eq!(multi["hasMultipleAccounts"], true);
    assert_eq!(multi["values"]["password"], "123456");
    let script = t.http.get(format!("{}/connect.js", t.base)).send().await.unwrap();
    assert!(script.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(script.text().await.unwrap().contains("Connect.prototype.reauthorise"));
}

#[tokio::test]
async fn the_widget_reauthorises_an_account_given_in_data() {
    let t = TestApp::spawn().await;
    t.link("wr-1", "user_reauth").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    let page = open_widget(&t, &[("data", json!({"account": id}).to_string()), ("reference", "wr-2".into())]).await;
    page.post("consent", &[]).await;
    assert_eq!(page.heading().await, "Log in to GTBank Internet Banking");
    page.login("user_reauth", "123456").await;
    let (_, html) = page.html().await;
    let code = between(&html, "data-code=\"", "\"").unwrap();
    let (_, exchanged) = t.post_json("/v2/accounts/auth", json!({"code": code})).await;
    assert_eq!(exchanged["data"]["id"], id.as_str(), "the same account id");
    t.receiver.wait_for("mono.events.account_reauthorized", 1).await;
}

/// Showing a page reads only: the session's row is byte for byte the same after any number of
/// loads, at every step of a widget link.
#[tokio::test]
async fn showing_a_page_never_writes() {
    let t = TestApp::spawn().await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&t.config.database_url).await.unwrap();
    let row = || async {
        let row: (i64, Vec<u8>, String) =
            sqlx::query_as("SELECT version, flow_sealed, step FROM link_sessions").fetch_one(&pool).await.unwrap();
        row
    };
    let page = open_widget(&t, &[]).await;
    for action in [("consent", vec![]), ("institution", vec![("institution", GTBANK)])] {
        let before = row().await;
        for _ in 0..3 {
            assert_eq!(page.html().await.0, StatusCode::OK);
        }
        assert_eq!(row().await, before, "at step {}", before.2);
        act(&page, action.0, &action.1).await;
    }
}
