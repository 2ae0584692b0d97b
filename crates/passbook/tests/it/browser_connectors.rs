//! The live connectors' pages in headless Chromium, as a user sees them: pasting a SimpleFIN
//! setup token, linking through Mono's own page (a second Passbook playing Mono) and back, and
//! approving at an Enable Banking bank (screenshots in `target/screenshots/<test>/`).
use serde_json::json;

use crate::browser::Browser;
use crate::simplefin::with_simplefin;
use crate::simplefin_bridge::{Bridge, account, transaction};
use crate::support::*;

const SIMPLEFIN: &str = passbook_institutions::simplefin::SIMPLEFIN_ID;

/// Opens a new hosted link of `t` and chooses `institution` (found by `search` when given).
async fn choose(b: &mut Browser, t: &TestApp, reference: &str, search: Option<&str>, institution: &str) {
    let data = t.initiate(reference, json!({"redirect_url": t.receiver.done_url()})).await;
    b.goto(data["mono_url"].as_str().unwrap()).await;
    b.click("#consent").await;
    if let Some(search) = search {
        b.fill("#q", search).await;
    }
    b.click(&format!("button[value='{institution}']")).await;
}

/// On the account selection: links every account offered (`count`), and each fetches.
async fn link_every_account(b: &mut Browser, t: &TestApp, count: usize) {
    b.expect_heading("Choose the accounts to link").await;
    b.shot("accounts").await;
    b.click("form[action$='/accounts'] button[type=submit]").await;
    b.expect_heading(&format!("{count} accounts linked")).await;
    b.shot("linked").await;
    for id in connected_ids(&t.receiver, count).await {
        assert_eq!(t.wait_for_data(&id).await.meta.data_status, "AVAILABLE");
    }
}

#[tokio::test]
async fn a_simplefin_setup_token_pasted_in_the_hosted_page() {
    let Some(mut b) = Browser::start("simplefin-hosted").await else { return };
    let (t, _) = with_simplefin(|_| {}).await;
    let now = passbook_domain::Clock::now(&passbook_domain::SystemClock).0 / 1000;
    let bridge = Bridge::start(vec![
        account("ACT-1", "Everyday Checking", "100.00", vec![transaction("T-1", now, 2, "-4.25", "COFFEE", false)]),
        account("ACT-2", "Savings", "900.00", vec![]),
    ])
    .await;
    choose(&mut b, &t, "sfin-browser", Some("simplefin"), SIMPLEFIN).await;
    b.expect_heading("Connect with a SimpleFIN setup token").await;
    b.fill("#f-setup_token", &bridge.setup_token()).await;
    b.shot("token").await;
    b.click("form[action$='/login'] button[type=submit]").await;
    link_every_account(&mut b, &t, 2).await;
    b.finish().await;
}

#[tokio::test]
async fn linking_through_mono_s_page_and_back() {
    let Some(mut b) = Browser::start("mono-hosted").await else { return };
    let (mono, passbook) = crate::mono_upstream::mono_and_passbook().await;
    choose(&mut b, &passbook, "mono-browser", None, GTBANK).await;
    b.expect_heading("Connect GTBank with open banking").await;
    b.shot("passbook-consent").await;
    b.click("form[action$='/consent-start'] button[type=submit]").await;
    // Mono's own page, opened on GTBank's login.
    b.click("#consent").await;
    b.fill("#f-username", "user_good").await;
    b.fill("#f-password", "123456").await;
    b.shot("mono-login").await;
    b.click("form[action$='/login'] button[type=submit]").await;
    b.expect_heading("Account linked").await;
    b.click("#continue").await;
    // Back at Passbook, which links the account Mono announced.
    b.expect_heading("Account linked").await;
    b.shot("passbook-linked").await;
    let id = connected_ids(&passbook.receiver, 1).await.remove(0);
    assert_eq!(passbook.wait_for_data(&id).await.meta.data_status, "AVAILABLE");
    assert_eq!(mono.api().accounts(1).await.unwrap().data.len(), 1);
    b.finish().await;
}

#[tokio::test]
async fn approving_at_an_enable_banking_bank_and_back() {
    let Some(mut b) = Browser::start("enable-banking-hosted").await else { return };
    let key = crate::enable_banking_keys::APPLICATION_KEY;
    let bank = crate::enable_banking_fake::FakeBank::start("app-1234", key, crate::enable_banking::accounts()).await;
    let eb = crate::enable_banking::options(&bank, key);
    let t = TestApp::spawn_with(move |c| c.enable_banking = Some(eb)).await;
    let nordea = crate::enable_banking::nordea(&t).await;
    choose(&mut b, &t, "eb-browser", Some("Nordea"), &nordea).await;
    b.expect_heading("Connect Nordea with open banking").await;
    b.shot("passbook-consent").await;
    b.click("form[action$='/consent-start'] button[type=submit]").await;
    // The bank's own page, then back to Passbook's one registered redirect URI.
    b.expect_heading("Nordea").await;
    b.shot("bank").await;
    b.click("#approve").await;
    link_every_account(&mut b, &t, 2).await;
    b.finish().await;
}
