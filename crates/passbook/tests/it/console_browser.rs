//! The operator console in headless Chromium: the owner sets up Passbook through the setup link
//! and walks every page and action; an admin, a developer and a viewer join by invitation and
//! see what their role allows; a session copied into another browser is refused. Screenshots of
//! each page go to `target/screenshots/console-*/` (the guides' screenshots in `docs/screenshots/` come from there).
use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;

use crate::browser::Browser;
use crate::console::{PASSWORD, setup_link};
use crate::support::*;

const WIDE: &str = "--window-size=1280,900";
const PAGES: [(&str, &str); 9] = [
    ("/console", "Overview"),
    ("/console/apps", "Apps"),
    ("/console/accounts", "Customers & accounts"),
    ("/console/links", "Link sessions"),
    ("/console/webhooks", "Webhooks"),
    ("/console/institutions", "Institutions"),
    ("/console/connectors", "Connectors"),
    ("/console/operators", "Operators"),
    ("/console/audit", "Audit log"),
];

/// The text of the element, read again if the page was replaced while it was read.
async fn text(b: &Browser, css: &str) -> String {
    for _ in 0..20 {
        if let Ok(text) = b.wait(css).await.text().await {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} kept going stale");
}

/// Clicks something that loads a new page, and waits until the new page has loaded.
async fn submit(b: &Browser, css: &str) {
    b.client.execute("window.passbookOldPage = true", vec![]).await.unwrap();
    b.click(css).await;
    for _ in 0..300 {
        let loaded = b
            .client
            .execute("return window.passbookOldPage === undefined && document.readyState === 'complete'", vec![])
            .await;
        if loaded.is_ok_and(|v| v == true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("clicking {css} loaded no page");
}

async fn present(b: &Browser, css: &str) -> bool {
    b.client.find(Locator::Css(css)).await.is_ok()
}

async fn join(b: &mut Browser, link: &str, email: &str) {
    b.goto(link).await;
    b.fill("input[name=email]", email).await;
    b.fill("input[name=password]", PASSWORD).await;
    b.fill("input[name=confirm]", PASSWORD).await;
    submit(b, "#join").await;
    b.expect_heading("Overview").await;
}

/// Picks `value` in the `<select>` found by `css`.
async fn choose(b: &Browser, css: &str, value: &str) {
    b.wait(css).await.select_by_value(value).await.unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
}

/// A form post from the page's own script, with the page's CSRF token: what a viewer's browser
/// gets if it tries an action the page does not offer.
async fn post_from_page(b: &Browser, path: &str, fields: serde_json::Value) -> u64 {
    let script = "const [path, fields, done] = arguments;
        const body = new URLSearchParams(fields);
        body.set('csrf', document.querySelector('input[name=csrf]').value);
        fetch(path, { method: 'POST', body, redirect: 'manual' }).then((r) => done(r.status));";
    b.client.execute_async(script, vec![json!(path), fields]).await.unwrap().as_u64().unwrap()
}

#[tokio::test]
async fn operators_run_passbook_from_the_console_in_chromium() {
    let Some(mut b) = Browser::start_with("console-owner", &[WIDE]).await else { return };
    let t = TestApp::spawn().await;
    let base = t.base.clone();
    // Something to look at: a linked account with data, and a link the user cancelled.
    t.link("console-linked", "user_good").await;
    let account = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&account).await;
    let cancelled = t.open(t.initiate("console-cancelled", json!({})).await["mono_url"].as_str().unwrap()).await;
    cancelled.post("consent", &[]).await;
    cancelled.post("cancel", &[]).await;
    t.receiver.wait_for("mono.events.account_updated", 1).await;

    // The owner comes in through the setup link printed at the first start.
    join(&mut b, &setup_link(&t), "owner@example.com").await;
    assert_eq!(text(&b, "#role").await, "owner");
    assert_eq!(text(&b, "#links-started").await, "2");
    assert!(present(&b, "svg.chart rect.linked").await, "the links chart is drawn");
    b.shot("overview").await;
    // Live updates: a link started elsewhere shows on the open overview within its 15-second
    // refresh, without a reload.
    b.client.execute("window.passbookSamePage = true", vec![]).await.unwrap();
    t.initiate("console-live", json!({})).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(25);
    while text(&b, "#links-started").await != "3" {
        assert!(std::time::Instant::now() < deadline, "the overview did not refresh itself");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let same = b.client.execute("return window.passbookSamePage === true", vec![]).await.unwrap();
    assert_eq!(same, true, "the figures changed in place; the page was not reloaded");

    // Invitations for the other roles, each link shown once.
    b.goto(&format!("{base}/console/operators")).await;
    let mut invites = Vec::new();
    for role in ["admin", "developer", "viewer"] {
        choose(&b, "#invite-role", role).await;
        submit(&b, "#invite").await;
        invites.push((role, text(&b, "#invite-link").await));
    }
    b.shot("operators").await;

    // Each role joins in a browser of its own and reads every page; the actions it is offered
    // are those its role allows, and a viewer's own post of a form is refused.
    for (role, link) in &invites {
        let Some(mut rb) = Browser::start_with(&format!("console-{role}"), &[WIDE]).await else { return };
        let email = format!("{role}@example.com");
        join(&mut rb, link, &email).await;
        // Out, and in again through the login form.
        submit(&rb, "#logout").await;
        rb.expect_heading("Passbook console").await;
        rb.fill("input[name=email]", &email).await;
        rb.fill("input[name=password]", PASSWORD).await;
        submit(&rb, "#log-in").await;
        rb.expect_heading("Overview").await;
        assert_eq!(text(&rb, "#role").await, *role);
        for (path, heading) in PAGES {
            rb.goto(&format!("{base}{path}")).await;
            rb.expect_heading(heading).await;
        }
        rb.goto(&format!("{base}/console/apps/{}", t.app.app.id)).await;
        assert_eq!(present(&rb, "#rotate-key").await, *role != "viewer", "{role}: key rotation");
        rb.goto(&format!("{base}/console/accounts/{account}")).await;
        assert_eq!(present(&rb, "#refresh-now").await, *role == "admin", "{role}: refresh");
        assert_eq!(present(&rb, "#unlink").await, *role == "admin", "{role}: unlink");
        if *role == "viewer" {
            rb.shot("viewer-account").await;
            let status =
                post_from_page(&rb, &format!("/console/apps/{}/rename", t.app.app.id), json!({"name": "Viewer"})).await;
            assert_eq!(status, 403, "a viewer cannot act, even by posting the form itself");
        }
        rb.finish().await;
    }

    // Apps: create one (its key shown once), rename, rotate keys, settings, a test webhook.
    b.goto(&format!("{base}/console/apps")).await;
    b.fill("input[name=name]", "Console app").await;
    submit(&b, "#create-app").await;
    assert!(text(&b, "#secret").await.starts_with("test_sk_"));
    b.shot("new-app-key").await;
    b.goto(&format!("{base}/console/apps/{}", t.app.app.id)).await;
    b.fill("form[action$='/rename'] input[name=name]", "Renamed app").await;
    submit(&b, "#rename").await;
    b.expect_heading("Renamed app").await;
    choose(&b, "select[name=hours]", "6").await;
    submit(&b, "#save-refresh").await;
    assert_eq!(text(&b, "#refresh-interval").await, "every 6 hours");
    submit(&b, "#test-webhook").await;
    b.wait(".notice").await;
    t.receiver.wait_for("mono.events.webhook_test", 1).await;
    b.shot("app").await;
    choose(&b, "select[name=overlap_hours]", "24").await;
    submit(&b, "#rotate-key").await;
    let key = text(&b, "#secret").await;
    assert_eq!(t.get_with_key("/v2/accounts", &key).await.0.as_u16(), 200);
    assert_eq!(t.get_with_key("/v2/accounts", &t.app.secret_key).await.0.as_u16(), 200, "the old key overlaps");
    b.shot("rotated-key").await;
    submit(&b, "#back-to-app").await;
    submit(&b, "#rotate-webhook-secret").await;
    assert!(text(&b, "#secret").await.starts_with("whsec_"));

    // Link sessions: the cancelled one, and its timeline.
    b.goto(&format!("{base}/console/links")).await;
    choose(&b, "#status-filter", "failed").await;
    submit(&b, "#filter-links").await;
    submit(&b, "table.list tbody a").await;
    let timeline = text(&b, "#timeline").await;
    for step in ["intro", "choose institution", "failed — user_cancelled"] {
        assert!(timeline.contains(step), "{timeline}");
    }
    b.shot("link-timeline").await;

    // Webhooks: the log, one event's attempts, a replay of it and of a range.
    b.goto(&format!("{base}/console/webhooks?app={}&event=mono.events.account_connected", t.app.app.id)).await;
    b.shot("webhooks").await;
    submit(&b, "table.list tbody a").await;
    assert_eq!(text(&b, "#event-state").await, "delivered");
    let attempts = text(&b, "#attempts").await;
    assert!(attempts.contains("200") && attempts.contains("receiver answered 200"), "{attempts}");
    submit(&b, "#replay-event").await;
    b.wait(".notice").await;
    t.receiver.wait_for("mono.events.account_connected", 2).await;
    b.shot("event").await;
    b.goto(&format!("{base}/console/webhooks?app={}", t.app.app.id)).await;
    choose(&b, "form[action$='/replay'] select[name=status]", "delivered").await;
    b.fill("form[action$='/replay'] input[name=event]", "mono.events.webhook_test").await;
    submit(&b, "#replay-range").await;
    assert!(text(&b, "#replayed").await.starts_with("1 events"));

    // Institutions: GTBank marked degraded is what /v3/institutions says.
    b.goto(&format!("{base}/console/institutions")).await;
    let gtbank = "#institution-5f2d08be60b92e2888287702";
    choose(&b, &format!("{gtbank} select"), "degraded").await;
    submit(&b, &format!("{gtbank} button")).await;
    b.wait(".notice").await;
    assert_eq!(text(&b, &format!("{gtbank} td:nth-child(2)")).await, "degraded");
    assert_eq!(t.get("/v3/institutions?name=GTBank").await.1["data"][0]["status"], "degraded");
    b.shot("institutions").await;

    // Connectors: SimpleFIN switched on from its form is offered at once.
    b.goto(&format!("{base}/console/connectors")).await;
    b.fill("#connector-simplefin input[name=daily_requests]", "12").await;
    submit(&b, "#save-simplefin").await;
    b.wait(".notice").await;
    assert_eq!(text(&b, "#connector-simplefin .connector-state").await, "on");
    assert_eq!(t.get("/v3/institutions?name=SimpleFIN").await.1["data"].as_array().map(Vec::len), Some(1));
    b.shot("connectors").await;

    // Customers and accounts: found by name, refreshed, unlinked after a confirmation.
    b.goto(&format!("{base}/console/accounts")).await;
    b.fill("#search", "samuel").await;
    submit(&b, "#search-button").await;
    b.shot("accounts").await;
    submit(&b, "table.list tbody a").await;
    assert_eq!(text(&b, "#data-status").await, "AVAILABLE");
    b.shot("account").await;
    submit(&b, "#refresh-now").await;
    b.wait(".notice").await;
    submit(&b, "#unlink").await;
    b.shot("confirm-unlink").await;
    submit(&b, "#confirm-unlink").await;
    b.wait(".notice").await;
    t.receiver.wait_for("mono.events.account_unlinked", 1).await;

    // The audit log has what happened, and who did it.
    b.goto(&format!("{base}/console/audit")).await;
    let audit = text(&b, "#audit").await;
    for line in [
        "secret key rotated",
        "webhook secret rotated",
        "operator invited",
        "event replayed",
        "account unlinked",
        "owner@example.com",
    ] {
        assert!(audit.contains(line), "audit lacks {line}: {audit}");
    }
    b.shot("audit").await;

    // The owner's cookie, copied into another browser, opens nothing, and ends the session.
    let cookie = b.client.get_named_cookie("pb_console").await.unwrap();
    let Some(thief) = Browser::start_with("console-replay", &[WIDE, "--user-agent=Mozilla/5.0 (elsewhere)"]).await
    else {
        return;
    };
    thief.goto(&format!("{base}/console/login")).await;
    thief.client.add_cookie(cookie.into_owned()).await.unwrap();
    thief.goto(&format!("{base}/console/apps")).await;
    thief.expect_heading("Passbook console").await;
    assert!(thief.client.current_url().await.unwrap().path().ends_with("/console/login"));
    thief.finish().await;
    b.goto(&format!("{base}/console/apps")).await;
    b.expect_heading("Passbook console").await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    b.finish().await;
}
