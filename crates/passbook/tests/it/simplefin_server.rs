//! Passbook serving SimpleFIN: an app makes a setup token for a customer, and a SimpleFIN client
//! reads that customer's accounts, a bank's and a statement's alike. The client here is another
//! Passbook's SimpleFIN connector (linking through its page), and plain protocol requests.
use axum::http::StatusCode;
use passbook_client::types::accounts::TransactionsQuery;
use serde_json::{Value, json};

use crate::simplefin::{freshness, paste, token_step, with_simplefin};
use crate::support::*;

/// A linked sandbox account and a statement-imported one, for one customer of `t`'s app; the
/// customer's id.
async fn customer_with_two_accounts(t: &TestApp) -> String {
    t.link("sfs-bank", "user_good").await;
    let bank = connected_ids(&t.receiver, 1).await.remove(0);
    let customer = t.wait_for_data(&bank).await.customer.id;
    let statement = sample_statement("camt053/viafintech__valid_example_v4.xml");
    let request = t.http.post(format!("{}/passbook/v1/statements", t.base)).header("mono-sec-key", t.key());
    let imported = post_statement(request, "statement.xml", &statement, &[("customer_id", customer.as_str())]).await;
    assert_eq!(imported.status(), 200, "{}", imported.text().await.unwrap());
    let from_file = connected_ids(&t.receiver, 2).await.remove(1);
    t.wait_for_data(&from_file).await;
    customer
}

async fn setup_token(t: &TestApp, customer: &str) -> String {
    let (status, body) = t.post_json(&format!("/passbook/v1/customers/{customer}/simplefin"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["setup_token"].as_str().unwrap().to_string()
}

/// Every transaction of an account, as (narration, signed amount) pairs, sorted.
async fn rows(t: &TestApp, id: &str) -> Vec<(String, i64, String)> {
    let query = TransactionsQuery { paginate: Some("false".into()), ..Default::default() };
    let page = t.api().transactions(id, &query).await.unwrap();
    let mut rows: Vec<_> = page
        .data
        .into_iter()
        .map(|t| (t.narration, if t.kind == "debit" { -t.amount } else { t.amount }, t.date))
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn a_customer_s_accounts_flow_into_another_passbook_through_simplefin() {
    let a = TestApp::spawn().await;
    let customer = customer_with_two_accounts(&a).await;
    let token = setup_token(&a, &customer).await;

    let (b, clock) = with_simplefin(|_| {}).await;
    let page = token_step(&b, "from-a", json!({})).await;
    paste(&page, &token).await;
    let choices = page.account_choices().await;
    assert_eq!(choices.len(), 2, "the bank account and the statement account");
    page.post("accounts", &choices.iter().map(|c| ("account", c.as_str())).collect::<Vec<_>>()).await;
    let in_b = connected_ids(&b.receiver, 2).await;

    let a_accounts = a.api().accounts(1).await.unwrap().data;
    for id in &in_b {
        let mirrored = b.wait_for_data(id).await;
        assert_eq!(mirrored.meta.data_status, "AVAILABLE");
        let source_id = mirrored.account.account_number.clone();
        let source = a_accounts.iter().find(|x| x.id == source_id).expect("B names the account by A's id");
        let original = a.api().account(&source.id).await.unwrap();
        assert_eq!(mirrored.account.balance, original.account.balance);
        assert_eq!(mirrored.account.currency, original.account.currency);
        assert_eq!(mirrored.account.name, original.account.name);
        // B's first fetch asks for 90 days: it holds exactly A's rows of that window.
        let window_start = passbook_domain::Timestamp(b.config.clock.now().0 - 90 * 86_400_000).to_iso();
        let expected: Vec<_> = rows(&a, &source.id)
            .await
            .into_iter()
            .filter(|r| r.2 >= window_start)
            .map(|(n, amount, _)| (n, amount))
            .collect();
        let got: Vec<_> = rows(&b, id).await.into_iter().map(|(n, amount, _)| (n, amount)).collect();
        let (mut expected, mut got) = (expected, got);
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "account {source_id}");
    }

    // The token was claimed: it cannot be claimed again.
    let again = token_step(&b, "from-a-again", json!({})).await;
    assert!(paste(&again, &token).await.contains("already used"));

    // The app ends the customer's access: B's next refresh needs the user again.
    let (status, body) = a
        .send_json(reqwest::Method::DELETE, &format!("/passbook/v1/customers/{customer}/simplefin"), a.key(), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["revoked"], 1);
    clock.advance(6 * 60_000);
    assert_eq!(realtime_refresh(&b, &in_b[0]).await, "failed");
    assert_eq!(freshness(&b, &in_b[0]).await.last_failure.as_deref(), Some("reauthorisation_required"));
}

#[tokio::test]
async fn the_simplefin_endpoints_speak_the_protocol() {
    let t = TestApp::spawn().await;
    let customer = customer_with_two_accounts(&t).await;
    let http = client();
    let info: Value = http.get(format!("{}/simplefin/info", t.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(info, json!({"versions": ["1.0"]}));

    use base64::Engine;
    let token = setup_token(&t, &customer).await;
    let claim_url = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(&token).unwrap()).unwrap();
    assert!(claim_url.starts_with(&format!("{}/simplefin/claim/", t.base)), "{claim_url}");
    let unknown = http.post(format!("{}/simplefin/claim/nope", t.base)).send().await.unwrap();
    assert_eq!(unknown.status(), 403);
    let claimed = http.post(&claim_url).send().await.unwrap();
    assert_eq!(claimed.status(), 200);
    let access = url::Url::parse(&claimed.text().await.unwrap()).unwrap();
    assert_eq!(http.post(&claim_url).send().await.unwrap().status(), 403, "a token is claimed once");

    let accounts_url = format!("{}/simplefin/accounts", t.base);
    let (user, password) = (access.username().to_string(), access.password().unwrap().to_string());
    assert_eq!(http.get(&accounts_url).send().await.unwrap().status(), 403, "no credentials");
    let wrong = http.get(&accounts_url).basic_auth(&user, Some("wrong")).send().await.unwrap();
    assert_eq!(wrong.status(), 403);
    let bad = http
        .get(format!("{accounts_url}?start-date=yesterday"))
        .basic_auth(&user, Some(&password))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("start-date"));

    let set: Value =
        http.get(&accounts_url).basic_auth(&user, Some(&password)).send().await.unwrap().json().await.unwrap();
    assert_eq!(set["errors"], json!([]));
    let accounts = set["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{set}");
    for account in accounts {
        let id = account["id"].as_str().unwrap();
        let details = t.api().account(id).await.unwrap();
        assert_eq!(account["currency"], details.account.currency.as_str());
        let digits = if details.account.currency == "JPY" { 0 } else { 2 };
        let balance: f64 = account["balance"].as_str().unwrap().parse().unwrap();
        assert_eq!((balance * 10f64.powi(digits)).round() as i64, details.account.balance.unwrap());
        assert!(account["org"]["sfin-url"].as_str().unwrap().ends_with("/simplefin"));
        // With no window, every stored row is there, signed.
        let stored = rows(&t, id).await;
        let served = account["transactions"].as_array().unwrap();
        assert_eq!(served.len(), stored.len(), "{id}");
        let sum_served: f64 = served.iter().map(|r| r["amount"].as_str().unwrap().parse::<f64>().unwrap()).sum();
        let sum_stored: i64 = stored.iter().map(|r| r.1).sum();
        assert_eq!((sum_served * 100.0).round() as i64, sum_stored, "{id}");
    }

    let one = accounts[0]["id"].as_str().unwrap();
    let only: Value = http
        .get(format!("{accounts_url}?account={one}&balances-only=1"))
        .basic_auth(&user, Some(&password))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(only["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(only["accounts"][0]["transactions"], json!([]));

    // Another app cannot make tokens for this customer.
    let other = t.server.as_ref().unwrap().passbook.create_app("Other app", None).await.unwrap();
    let (status, _) = t
        .send_json(
            reqwest::Method::POST,
            &format!("/passbook/v1/customers/{customer}/simplefin"),
            &other.secret_key,
            json!({}),
        )
        .await;
    assert!(status.is_client_error(), "{status}");
}
