//! The operator console over plain HTTP: the setup link, logins and their limits, sessions bound
//! to one browser, CSRF tokens, roles on every action, key rotation with an overlap, and the
//! institution switch. The same pages are walked in Chromium in `console_browser.rs`.
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE, USER_AGENT};
use serde_json::json;

use crate::support::*;

pub const PASSWORD: &str = "correct-horse-battery";
const BROWSER: &str = "Mozilla/5.0 (console test) Chromium";

/// One browser at the console: its cookies, kept by hand.
pub struct Console {
    pub base: String,
    pub http: reqwest::Client,
    pub session: String,
    pub agent: String,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

fn cookie_named(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn hidden(body: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = body.find(&needle).unwrap_or_else(|| panic!("no {name} field in:\n{body}")) + needle.len();
    body[start..start + body[start..].find('"').unwrap()].to_string()
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let answer = request.send().await.unwrap();
    let (status, headers) = (answer.status(), answer.headers().clone());
    Answer { status, headers, body: answer.text().await.unwrap() }
}

/// Opens a pre-session form (login or join): its token comes as a cookie and as a field.
async fn open_form(base: &str, page: &str, agent: &str) -> (String, String) {
    let shown = send(client().get(format!("{base}{page}")).header(USER_AGENT, agent)).await;
    assert_eq!(shown.status, StatusCode::OK, "{page}: {}", shown.body);
    (cookie_named(&shown.headers, "pb_console_form").expect("a form cookie"), hidden(&shown.body, "form_token"))
}

async fn post_form(
    base: &str,
    action: &str,
    agent: &str,
    tokens: &(String, String),
    fields: &[(&str, &str)],
) -> Answer {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("form_token", &tokens.1));
    send(
        client()
            .post(format!("{base}{action}"))
            .header(USER_AGENT, agent)
            .header("cookie", format!("pb_console_form={}", tokens.0))
            .form(&form),
    )
    .await
}

/// A login as a client behind a trusted proxy at `client` would make it.
async fn login_from(base: &str, email: &str, password: &str, client_address: &str) -> Answer {
    let tokens = open_form(base, "/console/login", BROWSER).await;
    let form = [("email", email), ("password", password), ("form_token", tokens.1.as_str())];
    send(
        client()
            .post(format!("{base}/console/login"))
            .header(USER_AGENT, BROWSER)
            .header("x-forwarded-for", client_address)
            .header("cookie", format!("pb_console_form={}", tokens.0))
            .form(&form),
    )
    .await
}

/// Fills a pre-session form (login or join).
async fn submit_form(base: &str, page: &str, action: &str, agent: &str, fields: &[(&str, &str)]) -> Answer {
    let tokens = open_form(base, page, agent).await;
    post_form(base, action, agent, &tokens, fields).await
}

impl Console {
    fn signed(base: &str, answer: &Answer, agent: &str) -> Console {
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        let session = cookie_named(&answer.headers, "pb_console").expect("a session cookie");
        Console { base: base.to_string(), http: client(), session, agent: agent.to_string() }
    }

    pub async fn join(base: &str, link: &str, email: &str) -> Console {
        let path = &link[link.find("/console/join/").unwrap()..];
        let fields = [("email", email), ("password", PASSWORD), ("confirm", PASSWORD)];
        Console::signed(base, &submit_form(base, path, path, BROWSER, &fields).await, BROWSER)
    }

    pub async fn try_login(base: &str, email: &str, password: &str) -> Answer {
        submit_form(base, "/console/login", "/console/login", BROWSER, &[("email", email), ("password", password)])
            .await
    }

    pub async fn login(base: &str, email: &str) -> Console {
        Console::signed(base, &Console::try_login(base, email, PASSWORD).await, BROWSER)
    }

    pub async fn get(&self, path: &str) -> Answer {
        send(
            self.http
                .get(format!("{}{path}", self.base))
                .header(USER_AGENT, &self.agent)
                .header("cookie", format!("pb_console={}", self.session)),
        )
        .await
    }

    /// Posts a form with this session's CSRF token (read from the overview).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = hidden(&self.get("/console").await.body, "csrf");
        let mut form = fields.to_vec();
        form.push(("csrf", &csrf));
        self.post_raw(path, &form).await
    }

    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        send(
            self.http
                .post(format!("{}{path}", self.base))
                .header(USER_AGENT, &self.agent)
                .header("cookie", format!("pb_console={}", self.session))
                .form(fields),
        )
        .await
    }
}

pub fn setup_link(t: &TestApp) -> String {
    t.server.as_ref().unwrap().console_setup_link.clone().expect("a fresh database prints a setup link")
}

/// The owner (through the setup link) and one operator of each other role (made as the CLI does).
pub async fn team(t: &TestApp) -> [Console; 4] {
    let owner = Console::join(&t.base, &setup_link(t), "owner@example.com").await;
    let passbook = &t.server.as_ref().unwrap().passbook;
    for role in ["admin", "developer", "viewer"] {
        passbook.console().create_operator(&format!("{role}@example.com"), PASSWORD, role).await.unwrap();
    }
    let [admin, developer, viewer] = [
        Console::login(&t.base, "admin@example.com").await,
        Console::login(&t.base, "developer@example.com").await,
        Console::login(&t.base, "viewer@example.com").await,
    ];
    [owner, admin, developer, viewer]
}

#[tokio::test]
async fn the_setup_link_makes_the_first_owner_once() {
    let t = TestApp::spawn().await;
    let link = setup_link(&t);
    let anonymous = send(t.http.get(format!("{}/console", t.base))).await;
    assert_eq!((anonymous.status, anonymous.location()), (StatusCode::SEE_OTHER, "/console/login"));
    let short = submit_form(
        &t.base,
        &link[link.find("/console").unwrap()..],
        &link[link.find("/console").unwrap()..],
        BROWSER,
        &[("email", "owner@example.com"), ("password", "short"), ("confirm", "short")],
    )
    .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.body.contains("password must be at least 12 characters"), "{}", short.body);
    let owner = Console::join(&t.base, &link, "owner@example.com").await;
    let overview = owner.get("/console").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("owner@example.com") && overview.body.contains(">owner<"));
    let lost = owner.get("/console/nowhere").await;
    assert_eq!(lost.status, StatusCode::NOT_FOUND);
    assert!(lost.body.contains("<h1>Not found</h1>") && lost.body.contains("No route for /console/nowhere"));
    let again = send(t.http.get(&link)).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "a setup link works once");
    assert!(again.body.contains("used already"));
    // A restart of an installation with operators prints no new link.
    let mut t = t;
    t.restart(|_| {}).await;
    assert!(t.server.as_ref().unwrap().console_setup_link.is_none());
    let audit = Console::login(&t.base, "owner@example.com").await.get("/console/audit").await;
    assert!(audit.body.contains("operator joined"), "{}", audit.body);
}

#[tokio::test]
async fn every_form_needs_its_sessions_csrf_token() {
    let t = TestApp::spawn().await;
    let [owner, ..] = team(&t).await;
    let app = format!("/console/apps/{}/rename", t.app.app.id);
    for fields in [vec![("name", "Renamed")], vec![("name", "Renamed"), ("csrf", "0000")]] {
        let refused = owner.post_raw(&app, &fields).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert!(refused.body.contains("CSRF check"));
    }
    // Another session's token is no good either.
    let other = Console::login(&t.base, "admin@example.com").await;
    let theirs = hidden(&other.get("/console").await.body, "csrf");
    assert_eq!(owner.post_raw(&app, &[("name", "Renamed"), ("csrf", &theirs)]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.server.as_ref().unwrap().passbook.console().app(&t.app.app.id).await.unwrap().name, "Test app");
    let renamed = owner.post(&app, &[("name", "Renamed")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    assert_eq!(t.server.as_ref().unwrap().passbook.console().app(&t.app.app.id).await.unwrap().name, "Renamed");
    // Names follow the API's rules: bounded, no NUL, no invisible text direction tricks.
    let long = "x".repeat(5_000);
    for (name, why) in [
        (long.as_str(), "at most 100 characters"),
        ("Lender\u{0}", "control characters"),
        ("Lender \u{202E}gnp.exe", "U+202E"),
        ("Pay\u{200B}Pal", "U+200B"),
    ] {
        let refused = owner.post(&app, &[("name", name)]).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{name:?}: {}", refused.body);
        assert!(refused.body.contains(why), "{why} in {}", refused.body);
        let created = owner.post("/console/apps", &[("name", name)]).await;
        assert_eq!(created.status, StatusCode::BAD_REQUEST, "{name:?}: {}", created.body);
    }
    assert_eq!(t.server.as_ref().unwrap().passbook.console().app(&t.app.app.id).await.unwrap().name, "Renamed");
    // The login form has its own token: a post without the cookie's twin is refused.
    let forged = send(
        t.http
            .post(format!("{}/console/login", t.base))
            .form(&[("email", "owner@example.com"), ("password", PASSWORD)]),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Logging out needs the token too, and ends the session for good.
    assert_eq!(owner.post_raw("/console/logout", &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(owner.get("/console").await.status, StatusCode::OK);
    assert_eq!(owner.post("/console/logout", &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(owner.get("/console").await.location(), "/console/login", "a logged-out cookie is dead");
    // Each refusal and the logout are audited, naming the operator.
    let audit = other.get("/console/audit").await.body;
    assert_eq!(audit.matches("action refused").count(), 4, "three forged forms and one logout: {audit}");
    assert!(audit.contains("CSRF check") && audit.contains("operator logged out"), "{audit}");
}

#[tokio::test]
async fn logins_are_limited_per_account_and_per_address() {
    // Loopback is a trusted proxy here, so that a test can log in as another client would.
    let t = TestApp::spawn_with(|c| c.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let [owner, ..] = team(&t).await;
    let wrong = Console::try_login(&t.base, "admin@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong e-mail or password"));
    let unknown = Console::try_login(&t.base, "nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED, "an unknown e-mail reads the same");
    assert!(unknown.body.contains("Wrong e-mail or password"));
    for _ in 1..5 {
        assert_eq!(
            Console::try_login(&t.base, "admin@example.com", "still wrong").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Five failures lock the account from this address, even against the right password…
    let locked = Console::try_login(&t.base, "admin@example.com", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", locked.body);
    assert!(locked.body.contains("Too many failed logins for this account from this address"));
    assert_eq!(locked.headers["retry-after"], "900");
    // …not from where the operator really is.
    let elsewhere = login_from(&t.base, "admin@example.com", PASSWORD, "203.0.113.7").await;
    assert_eq!(elsewhere.status, StatusCode::SEE_OTHER, "{}", elsewhere.body);
    // Another account is still open from this address…
    assert_eq!(Console::try_login(&t.base, "developer@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER);
    // …until the address has failed 20 times, whichever accounts it tried.
    for n in 0..14 {
        let email = format!("guess{n}@example.com");
        assert_eq!(Console::try_login(&t.base, &email, "guess").await.status, StatusCode::UNAUTHORIZED);
    }
    let blocked = Console::try_login(&t.base, "viewer@example.com", PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS, "{}", blocked.body);
    assert!(blocked.body.contains("from this address"));
    // Every login, failure and refusal is in the audit log, with where it came from.
    let audit = owner.get("/console/audit").await.body;
    for shown in ["login failed", "login refused", "operator logged in", "from 203.0.113.7", "from 127.0.0.1"] {
        assert!(audit.contains(shown), "{shown} in {audit}");
    }
    assert!(!audit.contains("nobody@example.com") && !audit.contains("guess3@"), "typed e-mails stay out of the log");
}

#[tokio::test]
async fn a_session_works_only_in_the_browser_that_opened_it() {
    let t = TestApp::spawn().await;
    let [owner, ..] = team(&t).await;
    assert_eq!(owner.get("/console/apps").await.status, StatusCode::OK);
    let thief = Console {
        agent: "Mozilla/5.0 (another machine) Firefox".into(),
        ..Console { http: client(), base: owner.base.clone(), session: owner.session.clone(), agent: String::new() }
    };
    let replayed = thief.get("/console/apps").await;
    assert_eq!((replayed.status, replayed.location()), (StatusCode::SEE_OTHER, "/console/login"));
    // Shown by another browser, the session is ended for its owner too, and the audit says so.
    assert_eq!(owner.get("/console/apps").await.location(), "/console/login");
    let cookie = Console::login(&t.base, "owner@example.com").await;
    assert!(cookie.get("/console/audit").await.body.contains("session ended other browser"));
    let headers = Console::try_login(&t.base, "owner@example.com", PASSWORD).await.headers;
    let set = headers.get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>();
    let session = set.iter().find(|c| c.starts_with("pb_console=")).unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Secure"), "plain HTTP: no Secure flag, or browsers drop the cookie");
    assert_eq!(cookie.get("/console").await.status, StatusCode::OK);
}

#[tokio::test]
async fn roles_are_checked_on_every_action() {
    let t = TestApp::spawn().await;
    let [owner, admin, developer, viewer] = team(&t).await;
    t.link("console-roles", "user_good").await;
    let account = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&account).await;
    let app = &t.app.app.id;
    let actions: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/console/apps/{app}/rename"), vec![("name", "By role")]),
        (format!("/console/apps/{app}/test-webhook"), vec![]),
        (format!("/console/accounts/{account}/refresh"), vec![]),
        ("/console/institutions/5f2d08be60b92e2888287702/status".into(), vec![("status", "degraded")]),
        ("/console/operators/invite".into(), vec![("role", "viewer")]),
    ];
    // Which of the actions above each role may take.
    let allowed = [
        (&owner, [true, true, true, true, true]),
        (&admin, [true, true, true, true, true]),
        (&developer, [true, true, false, false, false]),
        (&viewer, [false, false, false, false, false]),
    ];
    for (console, allowed) in allowed {
        for ((path, fields), allowed) in actions.iter().zip(allowed) {
            let answer = console.post(path, fields).await;
            if allowed {
                assert!(
                    answer.status == StatusCode::SEE_OTHER || answer.status == StatusCode::OK,
                    "{path}: {}",
                    answer.body
                );
            } else {
                assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
                assert!(answer.body.contains("cannot do this"), "{}", answer.body);
            }
        }
        // Every role reads every page.
        for page in [
            "/console",
            "/console/apps",
            "/console/accounts",
            "/console/links",
            "/console/webhooks",
            "/console/institutions",
            "/console/operators",
            "/console/audit",
        ] {
            assert_eq!(console.get(page).await.status, StatusCode::OK, "{page}");
        }
    }
    let viewer_page = viewer.get(&format!("/console/accounts/{account}")).await.body;
    assert!(
        !viewer_page.contains("refresh-now") && !viewer_page.contains("id=\"unlink\""),
        "a viewer is offered no actions"
    );
    let owner_page = owner.get(&format!("/console/accounts/{account}")).await.body;
    assert!(owner_page.contains("refresh-now") && owner_page.contains("id=\"unlink\""));
    let no_owner = admin.post("/console/operators/invite", &[("role", "owner")]).await;
    assert_eq!(no_owner.status, StatusCode::FORBIDDEN, "an admin cannot make owners");
    let unlinked = developer.post(&format!("/console/accounts/{account}/unlink"), &[]).await;
    assert_eq!(unlinked.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.post(&format!("/console/accounts/{account}/unlink"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(t.get(&format!("/v2/accounts/{account}")).await.0, StatusCode::NOT_FOUND);
    let audit = owner.get("/console/audit").await.body;
    for line in [
        "app renamed",
        "webhook test sent",
        "account refresh requested",
        "institution status changed",
        "operator invited",
        "account unlinked",
        "admin@example.com",
        "action refused",
        "Only an owner can invite an owner",
        "A developer cannot do this",
    ] {
        assert!(audit.contains(line), "audit lacks {line}");
    }
    // A change made through the API names the key that made it (by its hint, never the key).
    let key = t.key();
    let put = t.http.put(format!("{}/passbook/v1/webhook", t.base)).header("mono-sec-key", key);
    let answer = put.json(&json!({"url": "https://example.com/hooks"})).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let audit = owner.get("/console/audit").await.body;
    assert!(audit.contains(&format!("api:{}…", &key[..12])) && !audit.contains(key), "{audit}");
}

#[tokio::test]
async fn a_rotated_secret_key_works_beside_the_new_one_for_its_overlap() {
    let t = TestApp::spawn().await;
    let [_, _, developer, _] = team(&t).await;
    let app = &t.app.app.id;
    let old = t.app.secret_key.clone();
    let rotated = developer.post(&format!("/console/apps/{app}/secret-key"), &[("overlap_hours", "1")]).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let new = hidden_secret(&rotated.body);
    assert!(new.starts_with("test_sk_") && new != old);
    assert!(rotated.body.contains("keeps working until"));
    for key in [&old, &new] {
        assert_eq!(t.get_with_key("/v2/accounts", key).await.0, StatusCode::OK, "both keys work during the overlap");
    }
    let page = developer.get(&format!("/console/apps/{app}")).await.body;
    assert!(page.contains("key-overlap") && !page.contains(&new), "the key is never shown again");
    // A second rotation with an overlap would cut the first one's short: refused, and the old key
    // keeps its hour.
    let cut_short = developer.post(&format!("/console/apps/{app}/secret-key"), &[("overlap_hours", "72")]).await;
    assert_eq!(cut_short.status, StatusCode::CONFLICT, "{}", cut_short.body);
    assert!(cut_short.body.contains("still works until"), "{}", cut_short.body);
    assert_eq!(t.get_with_key("/v2/accounts", &old).await.0, StatusCode::OK);
    let again = developer.post(&format!("/console/apps/{app}/secret-key"), &[("overlap_hours", "0")]).await;
    let newest = hidden_secret(&again.body);
    let (refused, body) = t.get_with_key("/v2/accounts", &new).await;
    assert_eq!(refused, StatusCode::UNAUTHORIZED, "no overlap: the previous key stops at once");
    assert_eq!(body["status"], "failed");
    assert_eq!(t.get_with_key("/v2/accounts", &old).await.0, StatusCode::UNAUTHORIZED, "two rotations ago");
    assert_eq!(t.get_with_key("/v2/accounts", &newest).await.0, StatusCode::OK);
    let bad = developer.post(&format!("/console/apps/{app}/secret-key"), &[("overlap_hours", "5")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("overlap_hours must be 0, 1, 24 or 72"));
    // The audit line is written with the change, and only with it.
    let missing = developer.post("/console/apps/000000000000000000000000/secret-key", &[("overlap_hours", "1")]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let audit = developer.get("/console/audit").await.body;
    assert_eq!(audit.matches("secret key rotated").count(), 2, "{audit}");
    assert!(audit.contains("overlap 1 h") && audit.contains("overlap 0 h"));
}

fn hidden_secret(body: &str) -> String {
    let start = body.find("id=\"secret\">").expect("a secret shown once") + "id=\"secret\">".len();
    body[start..start + body[start..].find('<').unwrap()].to_string()
}

#[tokio::test]
async fn an_institution_marked_down_is_shown_down_to_users() {
    let t = TestApp::spawn().await;
    let [_, admin, ..] = team(&t).await;
    let status = |body: &serde_json::Value| body["data"][0]["status"].as_str().unwrap().to_string();
    let (_, before) = t.get("/v3/institutions?name=GTBank").await;
    assert_eq!(status(&before), "operational");
    assert_eq!(
        admin.post("/console/institutions/5f2d08be60b92e2888287702/status", &[("status", "down")]).await.status,
        StatusCode::SEE_OTHER
    );
    let (_, after) = t.get("/v3/institutions?name=GTBank").await;
    assert_eq!(status(&after), "down");
    let page = t.open(t.initiate("console-down", json!({})).await["mono_url"].as_str().unwrap()).await;
    page.post("consent", &[]).await;
    let (_, html) = page.html().await;
    assert!(
        html.contains("GTBank<span class=\"sub\">Personal banking · down"),
        "the link page shows the switch:\n{html}"
    );
    let bad = admin.post("/console/institutions/5f2d08be60b92e2888287702/status", &[("status", "broken")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        admin.post("/console/institutions/nobank/status", &[("status", "down")]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.post("/console/institutions/5f2d08be60b92e2888287702/status", &[("status", "operational")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status(&t.get("/v3/institutions?name=GTBank").await.1), "operational");
}

#[tokio::test]
async fn a_links_timeline_shows_its_steps_and_what_the_bank_said_never_what_was_typed() {
    let t = TestApp::spawn().await;
    let [_, _, _, viewer] = team(&t).await;
    let page = t.open(t.initiate("console-timeline", json!({})).await["mono_url"].as_str().unwrap()).await;
    page.choose_institution(GTBANK).await;
    page.post("auth-method", &[("auth_method", "internet_banking")]).await;
    page.login("user_good", "pin-typed-4821").await;
    page.login("user_good", "123456").await;
    connected_ids(&t.receiver, 1).await;
    let list = viewer.get("/console/links?status=linked").await.body;
    let id =
        list.split("href=\"/console/links/").nth(1).expect("the linked session is listed").split('"').next().unwrap();
    assert_eq!(list.matches("href=\"/console/links/").count(), 1);
    let timeline = viewer.get(&format!("/console/links/{id}")).await.body;
    let steps: Vec<&str> = timeline.split("<b>").skip(1).filter_map(|s| s.split("</b>").next()).collect();
    assert_eq!(
        steps[..],
        ["intro", "choose institution", "choose auth method", "login", "login", "linked"][..],
        "{timeline}"
    );
    assert!(timeline.contains("login</b> — "), "the bank's refusal is shown: {timeline}");
    assert!(!timeline.contains("pin-typed-4821") && !timeline.contains("123456"), "no credentials");
    let failed = viewer.get("/console/links?status=failed").await.body;
    assert!(failed.contains("No link sessions match."));
    // The overview's funnel counts the steps this link reached, from its session row.
    let overview = viewer.get("/console").await.body;
    for step in ["intro", "choose auth method", "login", "linked"] {
        assert!(overview.contains(&format!(">{step}</text>")), "funnel lacks {step}");
    }
    assert_eq!(overview.matches(">1 (100%)</text>").count(), 5, "{overview}");
    assert!(!overview.contains(">challenge</text>"), "a step no link reached is left out");
}

#[tokio::test]
async fn accounts_are_found_by_name_email_number_or_id() {
    let t = TestApp::spawn().await;
    let [_, _, _, viewer] = team(&t).await;
    t.link("console-search", "user_good").await;
    let account = connected_ids(&t.receiver, 1).await.remove(0);
    let details = t.wait_for_data(&account).await;
    let (number, customer) = (details.account.account_number.clone(), details.customer.id.clone());
    let found = |body: &str| body.contains(&format!("href=\"/console/accounts/{account}\""));
    for query in [
        "Samuel",
        "olamide",
        "samuel@neem.com",
        "SAMUEL@NEEM.COM",
        number.as_str(),
        account.as_str(),
        customer.as_str(),
    ] {
        let page = viewer.get(&format!("/console/accounts?q={}", url_encode(query))).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(found(&page.body), "searching {query:?} finds the account");
    }
    for query in ["Adaeze", "other@neem.com", "0000000000", "6b0d5481ccbaa18c04000000"] {
        let page = viewer.get(&format!("/console/accounts?q={}", url_encode(query))).await;
        assert!(!found(&page.body) && page.body.contains("No accounts match."), "{query:?} finds nothing");
    }
    let other_app = viewer.get(&format!("/console/accounts?app={}", t.app.app.id.replace('0', "1"))).await;
    assert!(!found(&other_app.body), "filtered to another app");
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn institution_health_counts_links_and_what_users_were_told() {
    let t = TestApp::spawn().await;
    let [_, _, _, viewer] = team(&t).await;
    let page = t.open(t.initiate("console-health", json!({})).await["mono_url"].as_str().unwrap()).await;
    page.choose_institution(GTBANK).await;
    page.post("auth-method", &[("auth_method", "internet_banking")]).await;
    page.login("user_good", "wrong-pin").await;
    page.login("user_good", "123456").await;
    let account = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&account).await;
    let body = viewer.get("/console/institutions").await.body;
    let row = body.split("id=\"institution-5f2d08be60b92e2888287702\"").nth(1).unwrap().split("</tr>").next().unwrap();
    let cells: Vec<&str> =
        row.split("<td").skip(1).map(|c| c.split('>').nth(1).unwrap().split('<').next().unwrap()).collect();
    assert_eq!(cells[1..4], ["operational", "1", "100%"], "{row}");
    assert!(cells[4].contains("×1"), "the wrong password's message is counted: {row}");
    assert!(cells[5].ends_with("(1)"), "one fetch timed: {row}");
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_tls() {
    let t = TestApp::spawn_with(|c| c.public_url = Some("https://passbook.example".into())).await;
    let base = format!("http://{}", t.server.as_ref().unwrap().addr);
    let link = setup_link(&t).replace("https://passbook.example", &base);
    let path = &link[link.find("/console/join/").unwrap()..];
    let fields = [("email", "owner@example.com"), ("password", PASSWORD), ("confirm", PASSWORD)];
    let joined = submit_form(&base, path, path, BROWSER, &fields).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER);
    let session = joined
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("pb_console="))
        .unwrap()
        .to_string();
    assert!(
        session.contains("; Secure") && session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
}

#[tokio::test]
async fn operators_are_given_other_roles_and_removed() {
    let t = TestApp::spawn().await;
    let [owner, admin, developer, viewer] = team(&t).await;
    let passbook = &t.server.as_ref().unwrap().passbook;
    let id = |email: &'static str| async move {
        passbook.console().operators().await.unwrap().into_iter().find(|o| o.email == email).unwrap().id
    };
    let rename = format!("/console/apps/{}/rename", t.app.app.id);
    assert_eq!(viewer.post(&rename, &[("name", "By a viewer")]).await.status, StatusCode::FORBIDDEN);
    let promoted = owner
        .post(&format!("/console/operators/{}/role", id("viewer@example.com").await), &[("role", "developer")])
        .await;
    assert_eq!(promoted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        viewer.post(&rename, &[("name", "By a new developer")]).await.status,
        StatusCode::SEE_OTHER,
        "the new role holds at once"
    );

    let developer_id = id("developer@example.com").await;
    assert_eq!(
        admin.post(&format!("/console/operators/{developer_id}/role"), &[("role", "viewer")]).await.status,
        StatusCode::SEE_OTHER
    );
    for (who, target, role, status) in [
        (&admin, "owner@example.com", "viewer", StatusCode::FORBIDDEN),
        (&admin, "developer@example.com", "owner", StatusCode::FORBIDDEN),
        (&developer, "viewer@example.com", "viewer", StatusCode::FORBIDDEN),
        (&owner, "owner@example.com", "viewer", StatusCode::CONFLICT),
    ] {
        let refused = who.post(&format!("/console/operators/{}/role", id(target).await), &[("role", role)]).await;
        assert_eq!(refused.status, status, "{target} → {role}: {}", refused.body);
    }

    let admin_id = id("admin@example.com").await;
    let invited = admin.post("/console/operators/invite", &[("role", "developer")]).await.body;
    let invitation = format!("/console/join/{}", between(&invited, "/console/join/", "<").expect("a link shown"));
    let confirm = owner.get(&format!("/console/operators/{admin_id}/remove")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("Remove admin@example.com?"));
    assert_eq!(owner.post(&format!("/console/operators/{admin_id}/remove"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(admin.get("/console").await.location(), "/console/login", "a removed operator's sessions end");
    assert_eq!(Console::try_login(&t.base, "admin@example.com", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    // What the removed admin invited no longer lets anyone in.
    let void = send(t.http.get(format!("{}{invitation}", t.base))).await;
    assert_eq!(void.status, StatusCode::GONE, "{}", void.body);
    assert!(void.body.contains("has been removed"), "{}", void.body);
    let audit = owner.get("/console/audit").await.body;
    assert!(audit.contains("operator role changed") && audit.contains("operator removed"));
    let page = owner.get("/console/operators").await.body;
    assert!(!page.contains("admin@example.com") && page.matches("Remove…").count() == 2, "{page}");
}

/// Pending invitations are listed for those who may invite, and can be revoked before use.
#[tokio::test]
async fn pending_invitations_are_listed_and_revoked() {
    let t = TestApp::spawn().await;
    let [owner, _, developer, _] = team(&t).await;
    let invited = owner.post("/console/operators/invite", &[("role", "viewer")]).await.body;
    let link = format!("/console/join/{}", between(&invited, "/console/join/", "<").expect("a link shown"));
    let page = owner.get("/console/operators").await.body;
    let listed = between(&page, "id=\"invitations\"", "</table>").expect("the invitations are listed");
    assert!(listed.contains("viewer") && listed.contains("owner@example.com"), "{listed}");
    assert!(
        !developer.get("/console/operators").await.body.contains("id=\"invitations\""),
        "not for those who may not invite"
    );
    let revoke = between(&listed, "action=\"", "\"").unwrap();
    assert_eq!(developer.post(&revoke, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(owner.post(&revoke, &[]).await.status, StatusCode::SEE_OTHER);
    let used = send(t.http.get(format!("{}{link}", t.base))).await;
    assert_eq!(used.status, StatusCode::NOT_FOUND, "a revoked invitation lets nobody in");
    assert!(!owner.get("/console/operators").await.body.contains("id=\"invitations\""));
    assert!(owner.get("/console/audit").await.body.contains("invitation revoked"));
}

#[tokio::test]
async fn a_replica_can_run_without_the_console() {
    let t = TestApp::spawn_with(|c| c.http.console = false).await;
    assert!(t.server.as_ref().unwrap().console_setup_link.is_none(), "no setup link for a console not served");
    let answer = send(t.http.get(format!("{}/console/login", t.base))).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/v3/institutions").await.0, StatusCode::OK);
}

#[tokio::test]
async fn developers_move_an_apps_sandbox_clock() {
    let t = TestApp::spawn().await;
    let [_, _, developer, viewer] = team(&t).await;
    t.link("console-clock", "user_good").await;
    let account = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&account).await;
    let app = format!("/console/apps/{}", t.app.app.id);
    let page = developer.get(&app).await.body;
    assert!(page.contains("id=\"days-ahead\">0<") && page.contains("advance-clock"));
    assert!(!viewer.get(&app).await.body.contains("advance-clock"), "a viewer sees the clock, not the form");
    assert_eq!(viewer.post(&format!("{app}/sandbox-clock"), &[("days", "3")]).await.status, StatusCode::FORBIDDEN);
    let bad = developer.post(&format!("{app}/sandbox-clock"), &[("days", "400")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert_eq!(developer.post(&format!("{app}/sandbox-clock"), &[("days", "3")]).await.status, StatusCode::SEE_OTHER);
    assert!(developer.get(&app).await.body.contains("id=\"days-ahead\">3<"));
    // The refreshes of the days crossed ran, as the API's clock runs them.
    let updates = t.receiver.wait_for("mono.events.account_updated", 4).await;
    assert!(updates.len() >= 4, "the first fetch and three daily refreshes");
    let audit = developer.get("/console/audit").await.body;
    assert!(audit.contains("sandbox clock advanced") && audit.contains("3 days"));
    // In production mode there is no sandbox clock to show or move.
    let production = TestApp::spawn_with(|c| c.sandbox_mode = false).await;
    let [_, _, developer, _] = team(&production).await;
    let app = format!("/console/apps/{}", production.app.app.id);
    assert!(!developer.get(&app).await.body.contains("Sandbox clock"));
    assert_eq!(developer.post(&format!("{app}/sandbox-clock"), &[("days", "3")]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn guesses_sent_in_parallel_share_the_accounts_limit() {
    let t = TestApp::spawn().await;
    let [owner, ..] = team(&t).await;
    drop(owner);
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..12 {
        let base = t.base.clone();
        guesses
            .spawn(async move { Console::try_login(&base, "admin@example.com", &format!("guess {n}")).await.status });
    }
    let mut statuses = Vec::new();
    while let Some(status) = guesses.join_next().await {
        statuses.push(status.unwrap());
    }
    let judged = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((judged, refused), (5, 7), "only five guesses reach the password check: {statuses:?}");
    let locked = Console::try_login(&t.base, "admin@example.com", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_setup_link_used_twice_at_once_makes_one_owner() {
    let t = TestApp::spawn().await;
    let link = setup_link(&t);
    let path = link[link.find("/console/join/").unwrap()..].to_string();
    // Four browsers open the link, then all send the form at once.
    let mut forms = Vec::new();
    for _ in 0..4 {
        forms.push(open_form(&t.base, &path, BROWSER).await);
    }
    let mut joins = tokio::task::JoinSet::new();
    for (n, tokens) in forms.into_iter().enumerate() {
        let (base, path) = (t.base.clone(), path.clone());
        joins.spawn(async move {
            let email = format!("owner{n}@example.com");
            let fields = [("email", email.as_str()), ("password", PASSWORD), ("confirm", PASSWORD)];
            post_form(&base, &path, BROWSER, &tokens, &fields).await.status
        });
    }
    let mut made = 0;
    while let Some(status) = joins.join_next().await {
        let status = status.unwrap();
        assert!(
            status == StatusCode::SEE_OTHER || status == StatusCode::GONE || status == StatusCode::NOT_FOUND,
            "{status}"
        );
        made += usize::from(status == StatusCode::SEE_OTHER);
    }
    assert_eq!(made, 1);
    assert_eq!(t.server.as_ref().unwrap().passbook.console().operators().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_malformed_query_or_form_gets_the_consoles_page_naming_it() {
    let t = TestApp::spawn().await;
    let [owner, ..] = team(&t).await;
    let bad_query = owner.get("/console/links?page=first").await;
    assert_eq!(bad_query.status, StatusCode::BAD_REQUEST);
    assert!(bad_query.body.contains("<h1>") && bad_query.body.contains("Invalid query string"), "{}", bad_query.body);
    assert!(bad_query.body.contains("page"), "the field is named");
    let not_a_form = send(
        owner
            .http
            .post(format!("{}/console/apps/{}/rename", t.base, t.app.app.id))
            .header(USER_AGENT, &owner.agent)
            .header("cookie", format!("pb_console={}", owner.session))
            .header("content-type", "application/json")
            .body("{\"name\": \"JSON\"}"),
    )
    .await;
    assert_eq!(not_a_form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(not_a_form.body.contains("Invalid form"), "{}", not_a_form.body);
    assert_eq!(t.server.as_ref().unwrap().passbook.console().app(&t.app.app.id).await.unwrap().name, "Test app");
}
