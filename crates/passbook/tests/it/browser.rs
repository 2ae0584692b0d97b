//! End-to-end tests in headless Chromium (Debian's `chromium` and `chromium-driver`), driving
//! the hosted page and the widget as a person would. Without Chromium these tests say they were
//! skipped; under CI (`CI` set) a missing browser is a failure. Screenshots of every step go to
//! `target/screenshots/<test>/`.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::support::*;

const CHROMIUM: &[&str] = &["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/// Every sandbox login, each driven through both modes.
const SCENARIOS: [&str; 12] = [
    "user_good",
    "user_multi",
    "user_mfa",
    "user_question",
    "user_locked",
    "user_down",
    "user_slow_login",
    "user_slow",
    "user_partial",
    "user_unavailable",
    "user_failed",
    "user_reauth",
];

pub struct Browser {
    pub client: Client,
    driver: Child,
    shots: PathBuf,
    count: usize,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A headless Chromium, or `None` (with a note) where it is not installed.
    pub async fn start(test: &str) -> Option<Browser> {
        Self::start_with(test, &[]).await
    }

    /// A headless Chromium with more arguments (a window size, another user agent).
    pub async fn start_with(test: &str, extra: &[&str]) -> Option<Browser> {
        let chromium = CHROMIUM.iter().find(|p| std::path::Path::new(p).exists());
        let driver_ok = Command::new("chromedriver").arg("--version").output().is_ok_and(|o| o.status.success());
        let (Some(chromium), true) = (chromium, driver_ok) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the browser tests: install the chromium and chromium-driver packages"
            );
            eprintln!(
                "skipped {test}: Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=430,932",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .chain(extra.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), json!({"binary": chromium, "args": args}));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots").join(test);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        Some(Browser { client, driver, shots, count: 0, _profile: profile })
    }

    pub async fn shot(&mut self, step: &str) {
        self.count += 1;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{:02}-{step}.png", self.count)), png).unwrap();
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.wait(css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks a button that closes the widget: its frame may be gone before the click is
    /// reported, which is the point.
    pub async fn click_closing(&self, css: &str) {
        if let Err(e) = self.wait(css).await.click().await {
            let text = e.to_string();
            assert!(text.contains("frame detached") || text.contains("no such frame"), "click {css}: {text}");
        }
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.wait(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub async fn wait(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
    }

    /// Waits until the page heading is `text`.
    pub async fn expect_heading(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let heading = self.client.find(Locator::Css("h1")).await.ok();
            let now = match heading {
                Some(h) => h.text().await.unwrap_or_default(),
                None => String::new(),
            };
            if now == text {
                return;
            }
            assert!(Instant::now() < deadline, "expected heading {text:?}, found {now:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn finish(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Logs in on the current login form.
async fn log_in(b: &Browser, username: &str, password: &str) {
    b.fill("#f-username", username).await;
    b.fill("#f-password", password).await;
    b.click("form[action$='/login'] button[type=submit]").await;
}

/// One hosted-mode scenario: from the intro to where it ends, checking what the user sees.
async fn hosted_scenario(t: &TestApp, b: &mut Browser, username: &str, reference: &str) {
    let data = t.initiate(reference, json!({"redirect_url": t.receiver.done_url()})).await;
    b.goto(data["mono_url"].as_str().unwrap()).await;
    b.expect_heading("Test app wants to connect to your bank account").await;
    b.shot(&format!("{username}-intro")).await;
    b.click("#consent").await;
    b.expect_heading("Choose your bank").await;
    b.fill("#q", "gtb").await;
    b.shot(&format!("{username}-search")).await;
    b.click(&format!("button[value='{GTBANK}']")).await;
    b.expect_heading("How do you log in to GTBank?").await;
    b.click("button[value='internet_banking']").await;
    b.expect_heading("Log in to GTBank Internet Banking").await;
    b.shot(&format!("{username}-login")).await;
    log_in(b, username, "123456").await;
    match username {
        "user_mfa" | "user_question" => {
            let field = if username == "user_mfa" { "#f-otp" } else { "#f-answer" };
            b.fill(field, "000000").await;
            b.click("form[action$='/challenge'] button[type=submit]").await;
            assert!(b.wait(".error").await.text().await.unwrap().contains("incorrect"));
            b.shot(&format!("{username}-wrong-code")).await;
            b.fill(field, "123456").await;
            b.click("form[action$='/challenge'] button[type=submit]").await;
        }
        "user_multi" => {
            b.expect_heading("Choose the accounts to link").await;
            b.shot(&format!("{username}-accounts")).await;
            let boxes = b.client.find_all(Locator::Css("input[name=account]")).await.unwrap();
            assert_eq!(boxes.len(), 3);
            boxes[1].click().await.unwrap();
            b.click("form[action$='/accounts'] button[type=submit]").await;
        }
        "user_locked" | "user_down" => {
            let error = b.wait(".error").await.text().await.unwrap();
            let expected = if username == "user_locked" { "locked" } else { "temporarily unavailable" };
            assert!(error.contains(expected), "{username}: {error}");
            b.shot(&format!("{username}-error")).await;
            b.click("form[action$='/cancel'] button").await;
            let target = wait_for_url(b, "/done").await;
            assert!(target.contains("status=failed") && target.contains("reason=user_cancelled"), "{target}");
            return;
        }
        _ => {}
    }
    let expected = if username == "user_multi" { "2 accounts linked" } else { "Account linked" };
    b.expect_heading(expected).await;
    b.shot(&format!("{username}-linked")).await;
    b.click("#continue").await;
    let target = wait_for_url(b, "/done").await;
    assert!(target.contains("status=successful") && target.contains(&format!("reference={reference}")), "{target}");
}

pub async fn wait_for_url(b: &Browser, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url = b.client.current_url().await.unwrap().to_string();
        if url.contains(needle) {
            return url;
        }
        assert!(Instant::now() < deadline, "never reached {needle}; at {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn every_scenario_in_the_hosted_page() {
    let Some(mut b) = Browser::start("hosted").await else { return };
    let t = TestApp::spawn().await;
    let scenarios = SCENARIOS;
    for (i, username) in scenarios.iter().enumerate() {
        hosted_scenario(&t, &mut b, username, &format!("hosted-{i}")).await;
    }
    let linked = scenarios.len() - 2 + 1; // the two refusals link nothing; user_multi links two
    let ids = connected_ids(&t.receiver, linked).await;
    let mut statuses = Vec::new();
    for id in &ids {
        statuses.push(t.wait_for_data(id).await.meta.data_status);
    }
    for expected in ["AVAILABLE", "PARTIAL", "UNAVAILABLE", "FAILED"] {
        assert!(statuses.iter().any(|s| s == expected), "{expected} in {statuses:?}");
    }

    // A wrong password can be corrected; an expired or unknown link says so.
    let data =
        t.initiate("hosted-wrong", json!({"institution": {"id": GTBANK, "auth_method": "internet_banking"}})).await;
    b.goto(data["mono_url"].as_str().unwrap()).await;
    b.click("#consent").await;
    log_in(&b, "user_good", "nope").await;
    assert!(b.wait(".error").await.text().await.unwrap().contains("login details are incorrect"));
    b.shot("wrong-password").await;
    log_in(&b, "user_good", "123456").await;
    b.expect_heading("Account linked").await;
    b.goto(&format!("{}/link/not-a-real-token", t.base)).await;
    b.expect_heading("Link not found").await;
    b.shot("unknown-link").await;
    b.finish().await;
}

#[tokio::test]
async fn hosted_page_works_without_javascript() {
    let Some(b) = Browser::start("no-javascript").await else { return };
    b.client.goto("about:blank").await.unwrap();
    // Chromium's DevTools cannot switch scripts off through WebDriver, so the page is checked
    // for what a script-less browser needs: every step is a plain form.
    let t = TestApp::spawn().await;
    let data = t.initiate("nojs-1", json!({})).await;
    b.goto(data["mono_url"].as_str().unwrap()).await;
    b.click("#consent").await;
    b.wait("form[method=post] button[name=institution]").await;
    let forms = b.client.find_all(Locator::Css("form[method=post] button[name=institution]")).await.unwrap();
    assert!(forms.len() >= 20, "every bank is a submit button of a form");
    let search = b.client.find(Locator::Css("form[method=get] input[name=q]")).await;
    assert!(search.is_ok(), "search works as a GET form too");
    // The CSP allows only the page's own nonced styles and scripts, and they do run.
    let styled = b.client.execute(
        "return [getComputedStyle(document.querySelector('.badge')).backgroundColor, \
                 getComputedStyle(document.querySelector('.card')).borderRadius];",
        vec![],
    );
    let styled = styled.await.unwrap();
    assert_ne!(styled[0], "rgba(0, 0, 0, 0)", "the bank's colour applies: {styled}");
    assert_eq!(styled[1], "14px", "the page's stylesheet applies: {styled}");
    b.fill("#q", "kuda").await;
    let shown = b.client.execute(
        "return Array.from(document.querySelectorAll('#institutions li')).filter(li => !li.hidden).length;",
        vec![],
    );
    assert_eq!(shown.await.unwrap(), 1, "the nonced script narrows the list as the user types");
    b.finish().await;
}

/// A merchant's page on another origin, using Passbook's `connect.js` (or, when given, the
/// official `@mono.co/connect.js` pointed at Passbook), recording every callback.
pub async fn merchant_page(script_tag: String, config: Value) -> String {
    let html = format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head><body>
<h1>Merchant checkout</h1><button id="open">Link your bank</button>
{script_tag}
<script>
window.__log = [];
var connect = new Connect(Object.assign({config}, {{
  onSuccess: function (data) {{ window.__log.push(["onSuccess", data]); }},
  onEvent: function (name, data) {{ window.__log.push(["onEvent", name, data]); }},
  onClose: function () {{ window.__log.push(["onClose"]); }},
  onLoad: function () {{ window.__log.push(["onLoad"]); }}
}}));
connect.setup();
document.getElementById('open').addEventListener('click', function () {{ connect.open(); }});
</script></body></html>"#
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://localhost:{}/shop", listener.local_addr().unwrap().port());
    let app = axum::Router::new().route("/shop", axum::routing::get(move || async move { axum::response::Html(html) }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

pub async fn log(b: &Browser) -> Vec<Value> {
    b.client.execute("return window.__log;", vec![]).await.unwrap().as_array().cloned().unwrap_or_default()
}

pub fn event_names(log: &[Value]) -> Vec<String> {
    log.iter().filter(|e| e[0] == "onEvent").map(|e| e[1].as_str().unwrap().to_string()).collect()
}

/// Drives the widget inside the merchant page's iframe through one scenario.
async fn widget_scenario(b: &mut Browser, username: &str) {
    b.click("#open").await;
    let frame = b.wait("iframe").await;
    frame.enter_frame().await.unwrap();
    b.expect_heading("Test app wants to connect to your bank account").await;
    b.shot(&format!("{username}-widget-intro")).await;
    b.click("#consent").await;
    b.expect_heading("Log in to GTBank Internet Banking").await;
    log_in(b, username, "123456").await;
    match username {
        "user_mfa" | "user_question" => {
            let field = if username == "user_mfa" { "#f-otp" } else { "#f-answer" };
            b.fill(field, "123456").await;
            b.click("form[action$='/challenge'] button[type=submit]").await;
        }
        "user_multi" => {
            b.expect_heading("Choose the accounts to link").await;
            b.click("form[action$='/accounts'] button[type=submit]").await;
        }
        "user_locked" | "user_down" => {
            let expected = if username == "user_locked" { "locked" } else { "temporarily unavailable" };
            assert!(b.wait(".error").await.text().await.unwrap().contains(expected));
            b.shot(&format!("{username}-widget-error")).await;
            b.click_closing("#close-widget").await;
            b.client.enter_parent_frame().await.unwrap();
            return;
        }
        _ => {}
    }
    b.expect_heading(if username == "user_multi" { "3 accounts linked" } else { "Account linked" }).await;
    b.shot(&format!("{username}-widget-linked")).await;
    b.click_closing("#continue").await;
    b.client.enter_parent_frame().await.unwrap();
}

/// The widget moves between steps without reloading its frame: the integrator's `onLoad` and
/// the `LOADED` event come once per opening, not once per step.
pub fn assert_loaded_once(entries: &[Value]) {
    assert_eq!(entries.iter().filter(|e| e[0] == "onLoad").count(), 1, "{entries:?}");
    assert_eq!(event_names(entries).iter().filter(|n| *n == "LOADED").count(), 1, "{entries:?}");
}

pub async fn wait_for_log(b: &Browser, what: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let entries = log(b).await;
        if entries.iter().any(|e| e[0] == what || e[1] == what) {
            return entries;
        }
        assert!(Instant::now() < deadline, "no {what} in {entries:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn every_widget_scenario_through_passbooks_connect_js() {
    let Some(mut b) = Browser::start("widget").await else { return };
    let t = TestApp::spawn().await;
    let scenarios = SCENARIOS;
    let mut linked = 0;
    for (i, username) in scenarios.iter().enumerate() {
        let config = json!({
            "key": t.app.app.public_key,
            "reference": format!("widget-{i}"),
            "data": {"customer": {"name": "Ada Obi", "email": format!("ada{i}@example.ng")}},
            "selectedInstitution": {"id": GTBANK, "auth_method": "internet_banking"}
        });
        let url = merchant_page(format!(r#"<script src="{}/connect.js"></script>"#, t.base), config).await;
        b.goto(&url).await;
        widget_scenario(&mut b, username).await;
        if matches!(*username, "user_locked" | "user_down") {
            let entries = wait_for_log(&b, "onClose").await;
            let names = event_names(&entries);
            assert!(names.contains(&"ERROR".to_string()) && names.contains(&"EXIT".to_string()), "{names:?}");
            continue;
        }
        let entries = wait_for_log(&b, "onSuccess").await;
        assert_loaded_once(&entries);
        let names = event_names(&entries);
        for expected in ["OPENED", "SUBMIT_CREDENTIALS", "ACCOUNT_LINKED", "SUCCESS"] {
            assert!(names.contains(&expected.to_string()), "{username}: {expected} not in {names:?}");
        }
        if *username == "user_mfa" {
            assert!(names.contains(&"SUBMIT_MFA".to_string()));
        }
        let every_event_has_reference = entries
            .iter()
            .filter(|e| e[0] == "onEvent")
            .all(|e| e[2]["reference"] == format!("widget-{i}").as_str() && e[2]["timestamp"].is_number());
        assert!(every_event_has_reference, "{entries:?}");
        let code = entries.iter().find(|e| e[0] == "onSuccess").unwrap()[1]["code"].as_str().unwrap().to_string();
        let (status, exchanged) = t.post_json("/v2/accounts/auth", json!({"code": code})).await;
        assert_eq!(status.as_u16(), 200, "{exchanged}");
        linked += if *username == "user_multi" { 3 } else { 1 };
        let ids = connected_ids(&t.receiver, linked).await;
        assert!(
            ids.contains(&exchanged["data"]["id"].as_str().unwrap().to_string()),
            "the webhook named the same account"
        );
        let status = t.wait_for_data(exchanged["data"]["id"].as_str().unwrap()).await.meta.data_status;
        let expected = match *username {
            "user_partial" => "PARTIAL",
            "user_unavailable" => "UNAVAILABLE",
            "user_failed" => "FAILED",
            _ => "AVAILABLE",
        };
        assert_eq!(status, expected, "{username}");
        wait_for_log(&b, "onClose").await;
        assert!(b.client.find(Locator::Css("iframe")).await.is_err(), "the widget closed");
    }
    b.finish().await;
}

#[tokio::test]
async fn the_official_mono_connect_js_completes_a_link_against_passbook() {
    let Some(script) = std::env::var_os("MONO_CONNECT_JS").map(PathBuf::from).filter(|p| p.exists()) else {
        assert!(std::env::var_os("CI").is_none(), "CI sets MONO_CONNECT_JS to @mono.co/connect.js's index.js");
        eprintln!("skipped: set MONO_CONNECT_JS to the index.js of the npm package @mono.co/connect.js");
        return;
    };
    let Some(mut b) = Browser::start("official-connect-js").await else { return };
    let t = TestApp::spawn().await;
    // The official script opens https://connect.mono.co/?key=…; point that host at Passbook.
    let official = std::fs::read_to_string(script).unwrap().replace("https://connect.mono.co", &t.base);
    let config = json!({
        "key": t.app.app.public_key,
        "reference": "official-1",
        "data": {"customer": {"name": "Ada Obi", "email": "ada@example.ng"}},
        "selectedInstitution": {"id": GTBANK, "auth_method": "internet_banking"}
    });
    let url = merchant_page(format!("<script>{official}</script>"), config).await;
    b.goto(&url).await;
    widget_scenario(&mut b, "user_good").await;
    let entries = wait_for_log(&b, "onSuccess").await;
    assert_loaded_once(&entries);
    let code = entries.iter().find(|e| e[0] == "onSuccess").unwrap()[1]["code"].as_str().unwrap().to_string();
    let (status, exchanged) = t.post_json("/v2/accounts/auth", json!({"code": code})).await;
    assert_eq!(status.as_u16(), 200, "{exchanged}");
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    assert_eq!(exchanged["data"]["id"], id.as_str());
    b.finish().await;
}

#[tokio::test]
async fn the_api_docs_render_from_passbooks_own_assets() {
    let Some(mut b) = Browser::start("api-docs").await else { return };
    let t = TestApp::spawn().await;
    b.client.set_window_size(1400, 1000).await.unwrap();
    b.goto(&format!("{}/docs", t.base)).await;
    b.wait("nav a[href='#op-accountTransactions']").await;
    // The stylesheet comes from Passbook under `style-src 'self'`: the sidebar is laid out by it.
    let position =
        b.client.execute("return getComputedStyle(document.querySelector('nav')).position", vec![]).await.unwrap();
    assert_eq!(position, "sticky", "docs.css applied");
    b.shot("top").await;
    b.click("nav a[href='#op-accountTransactions']").await;
    let section = b.wait("#op-accountTransactions").await;
    assert!(section.text().await.unwrap().contains("/v2/accounts/{id}/transactions"));
    let hash = b.client.execute("return location.hash", vec![]).await.unwrap();
    assert_eq!(hash, "#op-accountTransactions");
    b.shot("transactions").await;
    b.click("#op-accountTransactions a[href^='#schema-']").await;
    b.shot("schema").await;
    b.finish().await;
}
