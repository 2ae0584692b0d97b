//! The statement upload and the consent redirect in headless Chromium, in hosted and widget
//! mode, with screenshots of each step (`target/screenshots/<test>/`).
use serde_json::json;

use crate::browser::{Browser, assert_loaded_once, event_names, merchant_page, wait_for_log, wait_for_url};
use crate::support::*;

const OPEN_BANK: &str = "5f2d08c1a0b0c0d0e0f00002";

fn sample_path(path: &str) -> String {
    let root = std::env::var("PASSBOOK_STATEMENT_SAMPLES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/statements"));
    root.join(path).canonicalize().unwrap().display().to_string()
}

/// On the upload step: chooses the file and reads it, then confirms what was read.
async fn upload_and_confirm(b: &mut Browser, prefix: &str) {
    b.expect_heading("Upload your GTBank statement").await;
    b.shot(&format!("{prefix}-upload")).await;
    b.wait("#f-statement").await.send_keys(&sample_path("mt940/oca__test-ing.940")).await.unwrap();
    b.click("form[action$='/statement'] button[type=submit]").await;
    b.expect_heading("Is this your statement?").await;
    let shown = b.wait(".check").await.text().await.unwrap();
    assert!(shown.contains("NL77INGB0574908765") && shown.contains("8 transactions"), "{shown}");
    b.shot(&format!("{prefix}-review")).await;
    b.click("form[action$='/confirm'] button[type=submit]").await;
}

/// On the consent step: goes to the sandbox bank, approves the first account, and comes back.
async fn approve_at_the_bank(b: &mut Browser, prefix: &str) {
    b.expect_heading("Connect Passbook Open Bank (sandbox) with open banking").await;
    b.shot(&format!("{prefix}-consent")).await;
    b.click("form[action$='/consent-start'] button[type=submit]").await;
    b.expect_heading("Share your accounts?").await;
    b.shot(&format!("{prefix}-open-bank")).await;
    b.click("input[name=account][value='1']").await;
    b.click("button[value=approve]").await;
}

#[tokio::test]
async fn upload_and_consent_in_the_hosted_page() {
    let Some(mut b) = Browser::start("hosted-ways").await else { return };
    let t = TestApp::spawn().await;
    let data = t.initiate("ways-upload", json!({"redirect_url": t.receiver.done_url()})).await;
    b.goto(data["mono_url"].as_str().unwrap()).await;
    b.click("#consent").await;
    b.click(&format!("button[value='{GTBANK}']")).await;
    b.expect_heading("How do you log in to GTBank?").await;
    b.shot("choose-way").await;
    b.click("button[value='statement_upload']").await;
    upload_and_confirm(&mut b, "hosted").await;
    b.expect_heading("Account linked").await;
    b.shot("hosted-statement-linked").await;

    let data = t.initiate("ways-consent", json!({"redirect_url": t.receiver.done_url()})).await;
    b.goto(data["mono_url"].as_str().unwrap()).await;
    b.click("#consent").await;
    b.fill("#q", "open bank").await;
    b.click(&format!("button[value='{OPEN_BANK}']")).await;
    approve_at_the_bank(&mut b, "hosted").await;
    b.expect_heading("Account linked").await;
    b.shot("hosted-consent-linked").await;
    b.click("#continue").await;
    let target = wait_for_url(&b, "/done").await;
    assert!(target.contains("status=successful") && target.contains("reference=ways-consent"), "{target}");
    let ids = connected_ids(&t.receiver, 2).await;
    for id in &ids {
        assert_eq!(t.wait_for_data(id).await.meta.data_status, "AVAILABLE");
    }
    b.finish().await;
}

#[tokio::test]
async fn upload_and_consent_in_the_widget() {
    let Some(mut b) = Browser::start("widget-ways").await else { return };
    let t = TestApp::spawn().await;
    for (i, (institution, method)) in
        [(GTBANK, "statement_upload"), (OPEN_BANK, "open_banking")].into_iter().enumerate()
    {
        let config = json!({
            "key": t.app.app.public_key,
            "reference": format!("widget-way-{i}"),
            "data": {"customer": {"name": "Ada Obi", "email": format!("way{i}@example.ng")}},
            "selectedInstitution": {"id": institution, "auth_method": method}
        });
        let url = merchant_page(format!(r#"<script src="{}/connect.js"></script>"#, t.base), config).await;
        b.goto(&url).await;
        b.click("#open").await;
        b.wait("iframe").await.enter_frame().await.unwrap();
        b.click("#consent").await;
        if method == "statement_upload" {
            upload_and_confirm(&mut b, "widget").await;
        } else {
            approve_at_the_bank(&mut b, "widget").await;
        }
        b.expect_heading("Account linked").await;
        b.shot(&format!("widget-{method}-linked")).await;
        b.click_closing("#continue").await;
        b.client.enter_parent_frame().await.unwrap();
        let entries = wait_for_log(&b, "onSuccess").await;
        assert_loaded_once(&entries);
        let names = event_names(&entries);
        for expected in ["OPENED", "ACCOUNT_LINKED", "SUCCESS"] {
            assert!(names.contains(&expected.to_string()), "{method}: {expected} not in {names:?}");
        }
        let code = entries.iter().find(|e| e[0] == "onSuccess").unwrap()[1]["code"].as_str().unwrap().to_string();
        let (status, exchanged) = t.post_json("/v2/accounts/auth", json!({"code": code})).await;
        assert_eq!(status.as_u16(), 200, "{exchanged}");
    }
    b.finish().await;
}
