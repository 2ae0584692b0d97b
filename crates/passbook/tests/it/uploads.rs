//! Linking with the user's own bank statement: the hosted page, the widget, the Partners API,
//! the import API and the CLI, with real sample files from `../shared/statements/`.
use std::collections::HashSet;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::*;
use crate::widget::open_widget;

const ING_MT940: &str = "mt940/oca__test-ing.940";

/// Opens a hosted link and goes to GTBank's upload step.
async fn upload_step(t: &TestApp, reference: &str) -> LinkPage {
    let data = t.initiate(reference, json!({})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.choose_institution(GTBANK).await;
    let (_, html) = page.html().await;
    assert!(html.contains(r#"value="statement_upload""#), "every bank offers an upload: {html}");
    page.post("auth-method", &[("auth_method", "statement_upload")]).await;
    assert_eq!(page.heading().await, "Upload your GTBank statement");
    page
}

async fn transactions(t: &TestApp, id: &str) -> Vec<Value> {
    let (status, body) = t.get(&format!("/v2/accounts/{id}/transactions?paginate=false")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_statement_links_an_account_through_the_hosted_page() {
    let t = TestApp::spawn().await;
    let page = upload_step(&t, "upload-1").await;
    let (status, _) = page.upload("statement.940", &sample_statement(ING_MT940), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, review) = page.html().await;
    assert!(review.contains("Is this your statement?"), "{review}");
    for shown in
        ["NL77INGB0574908765", "8 transactions", "EUR 662.23", "EUR 564.35", "The balances and transactions add up."]
    {
        assert!(review.contains(shown), "{shown} in {review}");
    }
    page.post("confirm", &[]).await;
    assert_eq!(page.heading().await, "Account linked");

    let connected = t.receiver.wait_for("mono.events.account_connected", 1).await;
    let body = connected[0].json();
    assert_eq!(body["data"]["meta"]["auth_method"], "statement_upload");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let details = t.wait_for_data(&id).await;
    assert_eq!(details.meta.data_status, "AVAILABLE", "{details:?}");
    assert_eq!(details.account.balance, Some(56435));
    assert_eq!(details.account.account_number, "NL77INGB0574908765");
    let source = details.passbook.and_then(|p| p.source).expect("where the data came from");
    assert_eq!(source.kind, "statement_upload");
    assert_eq!(source.format, "mt940");
    assert_eq!(source.reconciliation.status, "balanced");
    assert_eq!(source.reconciliation.opening_balance, Some(66223));
    assert_eq!(source.reconciliation.difference, Some(0));
    let rows = transactions(&t, &id).await;
    assert_eq!(rows.len(), 8);
    let updated = t.receiver.wait_for("mono.events.account_updated", 1).await;
    assert_eq!(updated[0].json()["data"]["meta"]["data_status"], "AVAILABLE");
}

#[tokio::test]
async fn a_file_with_several_accounts_goes_through_the_account_choice() {
    let t = TestApp::spawn().await;
    let page = upload_step(&t, "upload-multi").await;
    page.upload("sepa.sta", &sample_statement("mt940/wolph-betterplace__sepa_mt9401.sta"), None).await;
    assert!(page.html().await.1.contains("0194774600888"));
    page.post("confirm", &[]).await;
    assert_eq!(page.heading().await, "Choose the accounts to link");
    let choices = page.account_choices().await;
    assert_eq!(choices.len(), 20, "the file holds twenty accounts");
    page.post("accounts", &[("account", &choices[0]), ("account", &choices[3])]).await;
    assert_eq!(page.heading().await, "2 accounts linked");
    let ids = connected_ids(&t.receiver, 2).await;
    for id in &ids {
        t.wait_for_data(id).await;
    }
    let numbers: HashSet<String> = {
        let mut out = HashSet::new();
        for id in &ids {
            let (_, body) = t.get(&format!("/v2/accounts/{id}")).await;
            out.insert(body["data"]["account"]["account_number"].as_str().unwrap().to_string());
        }
        out
    };
    assert_eq!(numbers, HashSet::from(["0194774600888".to_string(), "0194779500888".to_string()]));
}

#[tokio::test]
async fn unreadable_files_and_passwords_are_explained_and_leave_nothing_behind() {
    let t = TestApp::spawn_with(|c| c.http.max_upload_bytes = 1024 * 1024).await;
    let page = upload_step(&t, "upload-bad").await;
    let protected = sample_statement("pdf/monopoly__protected.pdf");
    page.upload("protected.pdf", &protected, None).await;
    let (_, html) = page.html().await;
    assert!(html.contains("This file is protected by a password. Enter the password to open it."), "{html}");
    assert!(html.contains(r#"name="password" type="password" required"#), "the password is now asked for");
    page.upload("protected.pdf", &protected, Some("wrong")).await;
    assert!(page.html().await.1.contains("The password is not correct for this file."));
    page.upload("protected.pdf", &protected, Some("foobar123")).await;
    assert!(page.html().await.1.contains("This PDF has no text layer"), "opened, but a blank page holds no text");
    for (name, bytes, needle) in [
        (
            "photo.jpg",
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 2, 0, 0, 1, 0, 1, 0, 0],
            "is not a statement format Passbook reads",
        ),
        ("empty.csv", b"  \n".to_vec(), "The file is empty."),
        (
            "cut.xml",
            b"<?xml version=\"1.0\"?><Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy=\"EUR\">1".to_vec(),
            "could not be read",
        ),
        ("big.csv", vec![b'a'; 2 * 1024 * 1024], "over the 1 MB limit"),
    ] {
        page.upload(name, &bytes, None).await;
        let (_, html) = page.html().await;
        assert!(html.contains(needle), "{name}: {needle} in {html}");
        assert_eq!(page.heading().await, "Upload your GTBank statement", "{name}: the user can try another file");
    }
    // The limit is the file's: one of exactly 1 MiB fits, with its form around it; one byte more does not.
    page.upload("exact.csv", &vec![b'a'; 1024 * 1024], None).await;
    assert!(!page.html().await.1.contains("over the 1 MB limit"), "a file of exactly the limit is taken");
    page.upload("over.csv", &vec![b'a'; 1024 * 1024 + 1], None).await;
    assert!(page.html().await.1.contains("over the 1 MB limit"));
    let (_, accounts) = t.get("/v2/accounts").await;
    assert_eq!(accounts["data"].as_array().unwrap().len(), 0, "nothing was linked");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&t.config.database_url).await.unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM statement_imports").fetch_one(&pool).await.unwrap();
    assert_eq!(kept, 0, "files that were not read are not kept");
}

#[tokio::test]
async fn a_statement_that_does_not_add_up_is_partial_and_names_the_difference() {
    let t = TestApp::spawn().await;
    let page = upload_step(&t, "upload-unbalanced").await;
    page.upload("camt.xml", &sample_statement("camt053/genkgo__camt053.v2.five.decimals.xml"), None).await;
    assert!(page.html().await.1.contains("The balances in this file do not add up to its transactions."));
    page.post("confirm", &[]).await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    let details = t.wait_for_data(&id).await;
    assert_eq!(details.meta.data_status, "PARTIAL");
    let reconciliation = details.passbook.and_then(|p| p.source).expect("where the data came from").reconciliation;
    assert_eq!(reconciliation.status, "unbalanced");
    assert_eq!(reconciliation.difference, Some(5), "the file's closing balance is 0.05 above its rows");
}

/// A CSV export of `days` days from `first`, one credit a day, with running balances.
fn csv_statement(first: u32, days: u32) -> Vec<u8> {
    let mut out = String::from("Date,Description,Amount,Balance\n");
    for day in first..first + days {
        let balance = 1000 + day * 100;
        out.push_str(&format!("2024-01-{day:02},TRANSFER FROM ADA {day},100.00,{balance}.00\n"));
    }
    out.into_bytes()
}

#[tokio::test]
async fn a_newer_statement_adds_only_the_new_transactions() {
    let t = TestApp::spawn().await;
    let customer = [("customer_name", "Ada Obi"), ("customer_email", "ada@example.ng")];
    let (status, first) = t.import_statement("jan-a.csv", &csv_statement(1, 20), &customer).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let id = first["data"]["accounts"][0]["id"].as_str().unwrap().to_string();
    t.wait_for_data(&id).await;
    assert_eq!(transactions(&t, &id).await.len(), 20);

    let (status, renewed) = t.import_statement("jan-b.csv", &csv_statement(11, 21), &[("account", &id)]).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_eq!(renewed["data"]["accounts"][0]["id"], id.as_str(), "the same account");
    t.receiver.wait_for("mono.events.account_reauthorized", 1).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = transactions(&t, &id).await;
        if rows.len() == 31 {
            let dates: HashSet<&str> = rows.iter().map(|r| r["date"].as_str().unwrap()).collect();
            assert_eq!(dates.len(), 31, "each day once: overlapping days were not added twice");
            break;
        }
        assert!(Instant::now() < deadline, "{} transactions", rows.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_passbook_statement_pdf_uploads_back_to_the_same_transactions() {
    let t = TestApp::spawn().await;
    t.link("pdf-round", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    let (_, job) = t.get(&format!("/v2/accounts/{id}/statement?period=last1months&output=pdf")).await;
    let job_id = job["data"]["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    let path = loop {
        let (_, state) = t.get(&format!("/v2/accounts/{id}/statement/jobs/{job_id}")).await;
        if state["data"]["status"] == "BUILT" {
            break state["data"]["path"].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let pdf = t.http.get(&path).header("mono-sec-key", t.key()).send().await.unwrap().bytes().await.unwrap();
    let (status, imported) = t
        .import_statement("statement.pdf", &pdf, &[("customer_name", "Ada Obi"), ("customer_email", "pdf@example.ng")])
        .await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(imported["data"]["statement"][0]["reconciliation"], "balanced", "{imported}");
    assert_eq!(imported["data"]["statement"][0]["format"], "pdf");
    let copy = imported["data"]["accounts"][0]["id"].as_str().unwrap().to_string();
    t.wait_for_data(&copy).await;
    let key = |r: &Value| {
        (r["date"].as_str().unwrap()[..10].to_string(), r["amount"].as_i64(), r["type"].clone(), r["balance"].as_i64())
    };
    // The statement's period starts at a time of day, so its first day holds only part of that
    // day's rows: the comparison starts the day after.
    let all_uploaded: Vec<_> = transactions(&t, &copy).await.iter().map(key).collect();
    let first = all_uploaded.iter().map(|r| r.0.clone()).min().unwrap();
    let mut uploaded: Vec<_> = all_uploaded.into_iter().filter(|r| r.0 > first).collect();
    let mut original: Vec<_> = transactions(&t, &id).await.iter().map(key).filter(|r| r.0 > first).collect();
    assert!(uploaded.len() > 10, "{} rows", uploaded.len());
    // The PDF shows days, not times, so rows of one day may come back in another order.
    uploaded.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    original.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(uploaded, original, "the same dates, amounts, directions and balances");
}

#[tokio::test]
async fn the_widget_links_a_statement_and_posts_its_messages() {
    let t = TestApp::spawn().await;
    let page = open_widget(&t, &[]).await;
    page.post("consent", &[]).await;
    page.choose_institution(KUDA).await;
    let (_, html) = page.html().await;
    assert!(html.contains("Upload a statement instead"), "a bank with one login offers the upload beside it");
    page.post("auth-method", &[("auth_method", "statement_upload")]).await;
    let (status, review) = page.upload("ing.940", &sample_statement(ING_MT940), None).await;
    assert_eq!(status, StatusCode::OK, "a widget's upload is answered with its next step");
    assert!(review.contains("Is this your statement?"));
    let res = page.http.post(format!("{}/confirm", page.url)).send().await.unwrap();
    let linked = res.text().await.unwrap();
    assert!(linked.contains("mono.connect.account_linked") && linked.contains("data-code=\"code_"), "{linked}");
}

#[tokio::test]
async fn the_partners_api_takes_a_statement_in_base64() {
    use base64::Engine;
    let t = TestApp::spawn().await;
    let (status, created) = t
        .post_json(
            "/v2/connect/session",
            json!({"customer": {"name": "Ada Obi", "email": "partner-upload@example.ng"}, "institution": GTBANK,
                   "auth_method": "statement_upload", "scope": "financial_data"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let session = created["data"]["session"]["id"].as_str().unwrap().to_string();
    assert_eq!(created["data"]["ui"]["form"][0]["contentType"], "file");
    let send = |path: &'static str, body: Value| {
        let (http, base, key, session) = (t.http.clone(), t.base.clone(), t.key().to_string(), session.clone());
        async move {
            let res = http
                .post(format!("{base}{path}"))
                .header("mono-sec-key", key)
                .header("x-session-id", session)
                .json(&body)
                .send()
                .await
                .unwrap();
            res.json::<Value>().await.unwrap()
        }
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(sample_statement(ING_MT940));
    let review = send("/v2/connect/login", json!({"statement": encoded})).await;
    assert_eq!(review["responseCode"], 102, "{review}");
    assert_eq!(review["data"]["statement"][0]["accountNumber"], "NL77INGB0574908765");
    assert_eq!(review["data"]["statement"][0]["reconciliation"], "balanced");
    let done = send("/v2/connect/commit", json!({})).await;
    assert_eq!(done["responseCode"], 99, "{done}");
    let code = done["data"]["code"].as_str().unwrap();
    let (status, exchanged) = t.post_json("/v2/accounts/auth", json!({"code": code})).await;
    assert_eq!(status, StatusCode::OK, "{exchanged}");
}

#[tokio::test]
async fn the_cli_imports_a_statement_for_a_customer() {
    let t = TestApp::spawn().await;
    let statement = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/statements/camt053/viafintech__valid_example_v4.xml");
    let app = t.app.app.id.clone();
    let args = ["statements", "import", statement.to_str().unwrap(), "--customer-name", "Robert Schneider"];
    let out = passbook_cli(&t, &[&args[..], &["--customer-email", "robert@example.ch", "--app", &app]].concat()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("CH0309000000250090342 CHF  13 transactions  balanced  (camt053)"), "{stdout}");
    assert!(stdout.contains("13 transactions read; 0 lines passed over"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("reading [##############################] 100%"));
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    let details = t.wait_for_data(&id).await;
    assert_eq!(details.meta.data_status, "AVAILABLE");
    assert_eq!(transactions(&t, &id).await.len(), 13);
}

/// Every sample statement through the import API: each account it reports holds, once its data
/// is fetched, exactly the transactions the import said it read (rows sharing a bank reference
/// and a date, as in Danske Bank's MT940, are all kept), and importing the same file again for
/// the same customer adds none. No sample gets a 5xx.
#[tokio::test]
async fn every_sample_keeps_every_row_it_reports_and_a_reimport_adds_none() {
    let t = TestApp::spawn().await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/statements");
    let mut files = Vec::new();
    for dir in ["ofx", "camt053", "mt940", "csv", "xlsx", "pdf"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            files.push(format!("{dir}/{}", entry.unwrap().file_name().to_string_lossy()));
        }
    }
    files.sort();
    let mut imported = 0;
    for (i, file) in files.iter().enumerate() {
        let bytes = sample_statement(file);
        let email = format!("sample-{i}@example.ng");
        let fields = [("customer_name", "Sample Holder"), ("customer_email", email.as_str())];
        let (status, body) = t.import_statement(file, &bytes, &fields).await;
        assert!(status.as_u16() < 500, "{file}: {status} {body}");
        if status != StatusCode::OK {
            assert_eq!(body["status"], "failed", "{file}: {body}");
            continue;
        }
        imported += 1;
        let reported = body["data"]["statement"].as_array().unwrap().clone();
        let accounts = body["data"]["accounts"].as_array().unwrap().clone();
        assert_eq!(accounts.len(), reported.len(), "{file}: {body}");
        for (account, preview) in accounts.iter().zip(&reported) {
            let id = account["id"].as_str().unwrap();
            t.wait_for_data(id).await;
            let stored = transactions(&t, id).await.len();
            assert_eq!(stored as u64, preview["transactions"].as_u64().unwrap(), "{file}: rows read = rows served");
        }
        let (status, again) = t.import_statement(file, &bytes, &fields).await;
        assert_eq!(status, StatusCode::OK, "{file}: {again}");
        for (account, preview) in again["data"]["accounts"].as_array().unwrap().iter().zip(&reported) {
            let id = account["id"].as_str().unwrap();
            t.wait_for_data(id).await;
            let stored = transactions(&t, id).await.len();
            assert_eq!(stored as u64, preview["transactions"].as_u64().unwrap(), "{file}: a re-import adds none");
        }
    }
    assert!(imported >= 62, "{imported} of {} samples imported", files.len());
}

/// A CSV with a footer line among its rows and no currency anywhere.
const UNSTATED_CURRENCY_CSV: &str = "Date,Description,Amount,Balance\n\
    2025-01-02,Salary,5000.00,5000.00\n\
    2025-01-03,Airtime,-100.00,4900.00\n\
    Printed by the bank on request,,,\n";

/// The import report: rows read and every line passed over with why, in the API answer, on the
/// review step, on the account's source and the console's account page. A file that states no
/// currency keeps it unknown unless the uploader names one, or the chosen bank's country does.
#[tokio::test]
async fn the_import_report_lists_lines_passed_over_and_no_currency_is_invented() {
    let t = TestApp::spawn().await;
    let bytes = UNSTATED_CURRENCY_CSV.as_bytes();
    let customer = [("customer_name", "Ada Obi"), ("customer_email", "ada@example.ng")];
    let (status, body) = t.import_statement("statement.csv", bytes, &customer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report = &body["data"]["report"];
    assert_eq!(report["rows_read"], 2, "{body}");
    assert_eq!(report["lines_skipped"], 1, "{body}");
    assert_eq!(report["skipped"][0]["at"], "4", "{body}");
    assert_eq!(report["skipped"][0]["text"], "Printed by the bank on request", "{body}");
    assert_eq!(report["skipped"][0]["reason"], "no date in the date column", "{body}");
    assert_eq!(body["data"]["statement"][0]["currency"], "", "not stated, not invented: {body}");
    assert_eq!(body["data"]["accounts"][0]["currency"], "", "{body}");
    let id = body["data"]["accounts"][0]["id"].as_str().unwrap().to_string();
    let details = t.wait_for_data(&id).await;
    let source = details.passbook.and_then(|p| p.source).expect("a source");
    assert_eq!((source.rows_read, source.lines_skipped), (2, 1));
    assert_eq!(transactions(&t, &id).await.len(), 2);
    let [owner, ..] = crate::console::team(&t).await;
    let console_page = owner.get(&format!("/console/accounts/{id}")).await.body;
    for shown in ["2 transactions read", "1 lines passed over", "Printed by the bank on request"] {
        assert!(console_page.contains(shown), "{shown} in {console_page}");
    }

    let named = [("customer_name", "Ada Obi"), ("customer_email", "ada2@example.ng"), ("currency", "ngn")];
    let (status, body) = t.import_statement("statement.csv", bytes, &named).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["accounts"][0]["currency"], "NGN", "{body}");
    let bad = [("customer_name", "Ada Obi"), ("customer_email", "ada3@example.ng"), ("currency", "naira!")];
    let (status, body) = t.import_statement("statement.csv", bytes, &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("ISO 4217"), "{body}");

    // On the link page the user chose GTBank, a Nigerian bank: its accounts are in naira.
    let page = upload_step(&t, "report-1").await;
    page.upload("statement.csv", bytes, None).await;
    let (_, review) = page.html().await;
    for shown in
        ["NGN", "2 transactions read from the file", "1 line was passed over", "Printed by the bank on request"]
    {
        assert!(review.contains(shown), "{shown} in {review}");
    }
}
