//! The consent redirect way in (open banking), through the sandbox open bank whose consent page
//! Passbook serves: approve, deny, a forged answer, and a consent that expires.
use std::sync::Arc;

use axum::http::StatusCode;
use passbook_domain::Clock;
use passbook_domain::clock::ManualClock;
use serde_json::json;

use crate::support::*;

const OPEN_BANK: &str = "5f2d08c1a0b0c0d0e0f00002";

/// A hosted link at the open bank, on its consent step.
async fn consent_step(t: &TestApp, reference: &str) -> LinkPage {
    let data = t.initiate(reference, json!({})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.choose_institution(OPEN_BANK).await;
    assert_eq!(page.heading().await, "Connect Passbook Open Bank (sandbox) with open banking");
    page
}

/// Goes to the bank, answers there (`decision` approve or deny), and follows the bank back to
/// the link; returns where the link sends the browser next.
async fn at_the_bank(t: &TestApp, page: &LinkPage, decision: &str, days: &str) -> String {
    let (status, bank_url) = page.post("consent-start", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let bank_url = if bank_url.starts_with("http") { bank_url } else { format!("{}{bank_url}", t.base) };
    assert!(bank_url.contains("/sandbox/open-bank/authorize?"), "{bank_url}");
    let bank = t.http.get(&bank_url).send().await.unwrap();
    let html = bank.text().await.unwrap();
    assert!(html.contains("Share your accounts?"));
    let hidden = |name: &str| between(&html, &format!("name=\"{name}\" value=\""), "\"").unwrap().replace("&amp;", "&");
    let form = [
        ("consent", hidden("consent")),
        ("state", hidden("state")),
        ("redirect_uri", hidden("redirect_uri")),
        ("account", "0".into()),
        ("days", days.into()),
        ("decision", decision.into()),
    ];
    let back = t.http.post(format!("{}/sandbox/open-bank/authorize", t.base)).form(&form).send().await.unwrap();
    assert_eq!(back.status().as_u16(), 303);
    let back_url = back.headers()["location"].to_str().unwrap().to_string();
    assert!(back_url.contains("/consent-return?"), "{back_url}");
    let returned = t.http.get(&back_url).send().await.unwrap();
    assert_eq!(returned.status().as_u16(), 303);
    returned.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn approving_at_the_bank_links_the_account_until_the_consent_expires() {
    let clock = Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let shared = clock.clone();
    let t = TestApp::spawn_with(move |c| c.clock = shared).await;
    let page = consent_step(&t, "ob-1").await;
    at_the_bank(&t, &page, "approve", "1").await;
    assert_eq!(page.heading().await, "Account linked");
    let connected = t.receiver.wait_for("mono.events.account_connected", 1).await;
    let body = connected[0].json();
    assert_eq!(body["data"]["meta"]["auth_method"], "open_banking");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let details = t.wait_for_data(&id).await;
    assert_eq!(details.meta.data_status, "AVAILABLE", "{details:?}");
    t.receiver.wait_for("mono.events.account_updated", 1).await;

    clock.advance(25 * 3_600_000);
    // Delivery is at least once: the clock's jump can expire a delivery in flight, which then
    // comes again; the refresh's event is the one that carries a sync status.
    let mut seen = 2;
    loop {
        let updated = t.receiver.wait_for("mono.events.account_updated", seen).await;
        if let Some(refreshed) = updated.iter().map(|r| r.json()).find(|b| !b["data"]["meta"]["sync_status"].is_null())
        {
            assert_eq!(
                refreshed["data"]["meta"]["sync_status"], "REAUTHORISATION_REQUIRED",
                "the one-day consent ran out"
            );
            break;
        }
        assert!(seen < 5, "no refresh reported: {updated:?}");
        seen += 1;
    }
}

#[tokio::test]
async fn denying_at_the_bank_comes_back_with_the_reason_and_a_forged_answer_is_refused() {
    let t = TestApp::spawn().await;
    let page = consent_step(&t, "ob-deny").await;
    at_the_bank(&t, &page, "deny", "90").await;
    let (_, html) = page.html().await;
    assert!(html.contains("You did not approve access at Passbook Open Bank (sandbox)."), "{html}");

    let (_, bank_url) = page.post("consent-start", &[]).await;
    assert!(bank_url.contains("state="));
    let forged =
        t.http.get(format!("{}/consent-return?state=not-the-nonce&code=x.0.90", page.url)).send().await.unwrap();
    assert_eq!(forged.status().as_u16(), 303, "refused: the page shows the step the link is still on");
    // At the one redirect URI banks register, the state names the link; a forged one is refused.
    let token = page.url.rsplit('/').next().unwrap();
    for state in ["no-link-named".to_string(), format!("{token}.not-the-nonce"), "nolink.at-all".into()] {
        let url = format!("{}/link/consent-return?state={state}&code=x.0.90", t.base);
        let refused = t.http.get(url).send().await.unwrap();
        assert!(refused.status().is_client_error(), "{state}: {}", refused.status());
    }
    let (_, html) = page.html().await;
    assert!(
        html.contains("Continue to Passbook Open Bank (sandbox)") && html.contains("id=\"to-bank\""),
        "still waiting for the bank"
    );
    let (_, accounts) = t.get("/v2/accounts").await;
    assert_eq!(accounts["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_sandbox_bank_sends_users_back_only_to_this_server() {
    let t = TestApp::spawn().await;
    // Another host, and this host's own pages outside `/link/` reached through dot segments.
    let escapes = [
        "https://evil.example/steal".to_string(),
        format!("{}/link/../console/login", t.base),
        format!("{}/link/%2e%2e/console", t.base),
        format!("{}/link/", t.base.replace("127.0.0.1", "127.0.0.1.evil.example")),
    ];
    for escape in &escapes {
        let res = t
            .http
            .get(format!("{}/sandbox/open-bank/authorize", t.base))
            .query(&[("consent", "c1"), ("state", "s1"), ("redirect_uri", escape.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400, "{escape}");
        assert!(res.text().await.unwrap().contains("only to this server"), "{escape}");
    }
    let res = t
        .http
        .post(format!("{}/sandbox/open-bank/authorize", t.base))
        .form(&[
            ("consent", "c1"),
            ("state", "s1"),
            ("redirect_uri", "https://evil.example/steal"),
            ("decision", "approve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
}
