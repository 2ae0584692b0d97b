//! Requests of one link fired in parallel: attempt caps hold, and no request undoes another's
//! work.
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::*;
use crate::widget::open_widget;

const PARALLEL: usize = 40;

/// Fires `PARALLEL` copies of one form post at once.
async fn storm(page: &LinkPage, action: &str, fields: &[(&str, &str)]) {
    let mut posts = tokio::task::JoinSet::new();
    for _ in 0..PARALLEL {
        let (http, url) = (page.http.clone(), format!("{}/{action}", page.url));
        let fields: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        posts.spawn(async move { http.post(url).form(&fields).send().await.unwrap().status().as_u16() });
    }
    for status in posts.join_all().await {
        assert!([303, 409].contains(&status), "a refused race is a redirect or a conflict, got {status}");
    }
}

async fn at_login(t: &TestApp, reference: &str) -> LinkPage {
    let data = t.initiate(reference, json!({})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.choose_institution(GTBANK).await;
    page.post("auth-method", &[("auth_method", "internet_banking")]).await;
    page
}

#[tokio::test]
async fn parallel_wrong_passwords_use_up_the_five_attempts() {
    let t = TestApp::spawn().await;
    let page = at_login(&t, "race-login").await;
    storm(&page, "login", &[("username", "user_good"), ("password", "guess")]).await;
    assert_eq!(page.heading().await, "Linking stopped", "forty guesses are more than five");
    let (status, _) = page.post("login", &[("username", "user_good"), ("password", "123456")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(page.heading().await, "Linking stopped", "the right password after the cap links nothing");
    assert!(page.continue_to_app().await.contains("reason=too_many_attempts"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(t.receiver.all().is_empty(), "no account_connected");
}

#[tokio::test]
async fn partners_api_counts_parallel_guesses_too() {
    let t = TestApp::spawn().await;
    let (_, body) = t
        .post_json(
            "/v2/connect/session",
            json!({"institution": GTBANK, "auth_method": "internet_banking", "scope": "financial_data",
                   "customer": {"name": "Ada Obi", "email": "ada@example.ng"}}),
        )
        .await;
    let session = body["data"]["session"]["id"].as_str().unwrap().to_string();
    let login = |password: &'static str| {
        let (http, url, key, session) =
            (t.http.clone(), format!("{}/v2/connect/login", t.base), t.key().to_string(), session.clone());
        async move {
            let res = http
                .post(url)
                .header("mono-sec-key", key)
                .header("x-session-id", session)
                .json(&json!({"username": "user_good", "password": password}))
                .send()
                .await
                .unwrap();
            res.json::<Value>().await.unwrap()
        }
    };
    let guesses: Vec<Value> = futures_join((0..PARALLEL).map(|_| login("guess"))).await;
    assert!(guesses.iter().all(|g| g["responseCode"] != 99), "no guess links");
    let right = login("123456").await;
    assert_ne!(right["responseCode"], 99, "the cap holds after parallel guesses: {right}");
}

async fn futures_join<F: Future<Output = Value> + Send + 'static>(futures: impl Iterator<Item = F>) -> Vec<Value> {
    let mut set = tokio::task::JoinSet::new();
    futures.for_each(|f| {
        set.spawn(f);
    });
    set.join_all().await
}

#[tokio::test]
async fn one_time_codes_are_capped_like_passwords() {
    let t = TestApp::spawn().await;
    let page = at_login(&t, "race-otp").await;
    page.login("user_mfa", "123456").await;
    assert!(page.html().await.1.contains("name=\"otp\""), "the bank asks for a code");
    storm(&page, "challenge", &[("otp", "000000")]).await;
    page.post("challenge", &[("otp", "123456")]).await;
    assert_eq!(page.heading().await, "Linking stopped", "the right code after the cap links nothing");

    let sequential = at_login(&t, "otp-one-by-one").await;
    sequential.login("user_mfa", "123456").await;
    for _ in 0..4 {
        sequential.post("challenge", &[("otp", "000000")]).await;
        assert!(sequential.html().await.1.contains("name=\"otp\""), "four wrong codes leave one try");
    }
    sequential.post("challenge", &[("otp", "000000")]).await;
    assert_eq!(sequential.heading().await, "Linking stopped");
}

#[tokio::test]
async fn widget_page_loads_during_completion_keep_the_code() {
    let t = TestApp::spawn().await;
    for round in 0..3 {
        let customer = json!({"customer": {"name": "Ada Obi", "email": format!("race{round}@example.ng")}});
        let page =
            open_widget(&t, &[("reference", format!("race-widget-{round}")), ("data", customer.to_string())]).await;
        page.post("consent", &[]).await;
        page.choose_institution(GTBANK).await;
        page.post("auth-method", &[("auth_method", "internet_banking")]).await;
        // The login takes the sandbox's 300 ms (user_slow_login); the page is loaded again and again meanwhile,
        // as the widget's iframe does after each step.
        let login = {
            let (http, url) = (page.http.clone(), format!("{}/login", page.url));
            tokio::spawn(async move {
                http.post(url).form(&[("username", "user_slow_login"), ("password", "123456")]).send().await.unwrap()
            })
        };
        let mut loads = tokio::task::JoinSet::new();
        for i in 0..PARALLEL {
            let (http, url) = (page.http.clone(), page.url.clone());
            loads.spawn(async move {
                tokio::time::sleep(Duration::from_millis(10 * i as u64)).await;
                http.get(url).send().await.unwrap().status().as_u16()
            });
        }
        let answer = login.await.unwrap();
        assert_eq!(answer.status().as_u16(), 200, "a widget's login is answered with its next step");
        assert!(answer.text().await.unwrap().contains("mono.connect.account_linked"), "with its messages");
        assert!(loads.join_all().await.iter().all(|s| *s == 200));
        let (_, html) = page.html().await;
        assert!(html.contains("Account linked"), "round {round}: the completion survived the page loads");
        let code = between(&html, "data-code=\"", "\"").expect("the success page still holds the code");
        let (status, exchanged) = t.post_json("/v2/accounts/auth", json!({"code": code})).await;
        assert_eq!(status, StatusCode::OK, "{exchanged}");
    }
}
