//! Statements as JSON and as a PDF built in the background.

use axum::http::StatusCode;
use passbook_client::types::accounts::TransactionsQuery;

use crate::support::*;

async fn linked(t: &TestApp) -> String {
    t.link("st-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    id
}

#[tokio::test]
async fn json_statement_covers_the_period() {
    let t = TestApp::spawn().await;
    let id = linked(&t).await;
    let (status, body) = t.get(&format!("/v2/accounts/{id}/statement?period=last3months")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "Successfully fetched statement");
    let data = &body["data"];
    assert_eq!(data["requested_length"], 90);
    let rows = data["statement"].as_array().unwrap();
    assert_eq!(data["count"].as_u64().unwrap() as usize, rows.len());
    let everything = TransactionsQuery { paginate: Some("false".into()), ..Default::default() };
    let all = t.api().transactions(&id, &everything).await.unwrap().data;
    assert!(rows.len() < all.len(), "three months are part of the year");
    assert!(rows.len() > 30);
    let (_, year) = t.get(&format!("/v2/accounts/{id}/statement?period=last12months&output=json")).await;
    // The sandbox keeps a year of history, so all 360 days are covered even when the period's
    // first days saw no transactions (an empty account declines debits until payday).
    assert_eq!(year["data"]["available_length"], 360, "{}", year["data"]["requested_length"]);
    for (query, needle) in [
        ("", "period must be last1months to last12months"),
        ("period=last13months", "got 'last13months'"),
        ("period=last6months&output=csv", "output must be json or pdf"),
    ] {
        let (status, body) = t.get(&format!("/v2/accounts/{id}/statement?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["message"].as_str().unwrap().contains(needle), "{body}");
    }
}

#[tokio::test]
async fn pdf_statement_is_built_and_served_to_its_app_only() {
    let t = TestApp::spawn().await;
    let id = linked(&t).await;
    let path = built_statement_path(&t, &id).await;
    let api = t.api();
    let res = t.http.get(&path).header("mono-sec-key", t.key()).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-1.4"));
    let text = String::from_utf8_lossy(&pdf);
    let holder = api.account(&id).await.unwrap().account.name.expect("the holder's name");
    let holder = holder.as_str();
    for needle in [holder, "Opening balance: NGN", "Closing balance: NGN", "GTBank - Account statement", "SALARY FOR"] {
        assert!(text.contains(needle), "{needle} missing from the PDF");
    }
    if let Ok(out) = std::process::Command::new("pdftotext")
        .args(["-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        let mut child = out;
        child.stdin.take().unwrap().write_all(&pdf).unwrap();
        let extracted = String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned();
        assert!(extracted.contains(holder), "pdftotext reads the statement: {extracted}");
    }
    let other = t.server.as_ref().unwrap().passbook.create_app("Other", None).await.unwrap();
    let res = t.http.get(&path).header("mono-sec-key", &other.secret_key).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404, "another app cannot read the file");
    let res = t.http.get(&path).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

/// Built PDFs are kept for the retention (72 hours by default) and then forgotten by the
/// workers: the job says `EXPIRED`, the file answers 410, and the database no longer holds it.
#[tokio::test]
async fn built_pdfs_are_forgotten_after_the_retention() {
    use passbook_domain::clock::{Clock, ManualClock};
    let clock = std::sync::Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let shared = clock.clone();
    let t = TestApp::spawn_with(move |c| c.clock = shared).await;
    let id = linked(&t).await;
    let path = built_statement_path(&t, &id).await;
    let job_path = path.trim_end_matches("/pdf").to_string();
    clock.advance(71 * 3_600_000);
    let res = t.http.get(&path).header("mono-sec-key", t.key()).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "kept within the retention");

    clock.advance(2 * 3_600_000);
    let expired = async {
        loop {
            let (_, job) = t.get(&job_path).await;
            if job["data"]["status"] == "EXPIRED" {
                return job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    let job = tokio::time::timeout(std::time::Duration::from_secs(30), expired).await.expect("expired by the workers");
    assert_eq!(job["data"]["path"], serde_json::Value::Null, "{job}");
    let (status, body) = t.get(&path).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert!(body["message"].as_str().unwrap().contains("no longer kept"), "{body}");
    let store = t.server.as_ref().unwrap().passbook.store();
    let job_id = job_path.rsplit('/').next().unwrap();
    assert_eq!(store.statement_pdf(&job_id.into()).await.unwrap(), None, "the file is gone from the database");
}

#[tokio::test]
async fn income_is_analysed_and_sent_by_webhook() {
    let t = TestApp::spawn().await;
    let id = linked(&t).await;
    let (status, body) = t.get(&format!("/v2/accounts/{id}/income")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["message"].as_str().unwrap().contains("is currently being  processed"));
    assert_eq!(body["data"], serde_json::Value::Null);
    let event = t.receiver.wait_for("mono.events.account_income", 1).await.remove(0).json();
    let data = &event["data"];
    assert_eq!(data["account"], id.as_str());
    let salary = data["income_streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["income_type"] == "SALARY")
        .expect("a salary stream");
    assert_eq!(salary["frequency"], "MONTHLY");
    assert_eq!(salary["stability"], 1.0);
    assert!(salary["periods_with_income"].as_u64().unwrap() >= 11);
    assert!(!data["income_summary"]["employer"].as_str().unwrap().is_empty());
    assert_eq!(data["annual_income"].as_i64().unwrap(), data["monthly_income"].as_i64().unwrap() * 12);
    let (_, records) = t.get(&format!("/v2/accounts/{id}/income-records")).await;
    assert_eq!(records["meta"]["total"], 1);
    assert_eq!(
        records["data"][0]["report"]["income_summary"]["number_of_income_streams"],
        data["income_streams"].as_array().unwrap().len()
    );
    let (status, bad) = t.get(&format!("/v2/accounts/{id}/income?period=soon")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
}

#[tokio::test]
async fn creditworthiness_weighs_the_repayment_against_income() {
    let t = TestApp::spawn().await;
    let id = linked(&t).await;
    let (status, bad) =
        t.post_json(&format!("/v2/accounts/{id}/creditworthiness"), serde_json::json!({"bvn": "123"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["message"].as_str().unwrap().contains("bvn must be"));
    let body = serde_json::json!({"bvn": "22300000965", "principal": 1_000_000, "interest_rate": 5, "term": 12, "run_credit_check": true,
        "existing_loans": [{"tenor": 10, "institution": "PROVIDUS BANK PLC", "currency": "NGN", "repayment_amount": 100_000, "opening_balance": 1_200_000}]});
    let (status, answer) = t.post_json(&format!("/v2/accounts/{id}/creditworthiness"), body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("is currently being processed"));
    let event = t.receiver.wait_for("mono.events.account_credit_worthiness", 1).await.remove(0).json();
    assert_eq!(event["data"]["summary"]["can_afford"], true, "a small loan against a salary: {event}");
    assert_eq!(event["data"]["summary"]["monthly_payment"], 85_607);
    assert_eq!(event["data"]["debt"]["debt_by_institution"][0]["institution"], "PROVIDUS BANK PLC");
    let huge =
        serde_json::json!({"bvn": "22300000965", "principal": 90_000_000_000_i64, "interest_rate": 30, "term": 6});
    t.post_json(&format!("/v2/accounts/{id}/creditworthiness"), huge).await;
    let second = t.receiver.wait_for("mono.events.account_credit_worthiness", 2).await.remove(1).json();
    assert_eq!(second["data"]["summary"]["can_afford"], false);
}

#[tokio::test]
async fn investment_platforms_have_earnings_and_assets() {
    let t = TestApp::spawn().await;
    let risevest = "5f2d08d460b92e288828771a";
    let data = t.initiate("inv-1", serde_json::json!({"institution": {"id": risevest}})).await;
    t.open(data["mono_url"].as_str().unwrap()).await.login("user_good", "123456").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    let (status, assets) = t.get(&format!("/v2/accounts/{id}/assets")).await;
    assert_eq!(status, StatusCode::OK, "{assets}");
    assert!(assets["data"]["balances"]["_u_s_d"].is_i64());
    let first = &assets["data"]["assets"][0];
    assert_eq!(first["currency"], "USD");
    assert_eq!(
        first["return"].as_i64().unwrap(),
        first["details"]["current_balance"].as_i64().unwrap() - first["cost"].as_i64().unwrap()
    );
    let (_, earnings) = t.get(&format!("/v2/accounts/{id}/earnings")).await;
    let list = earnings["data"].as_array().unwrap();
    assert!(!list.is_empty());
    assert!(list[0]["asset"]["name"].is_string());
    let (_, again) = t.get(&format!("/v2/accounts/{id}/earnings")).await;
    assert_eq!(again["data"], earnings["data"], "the same holdings every time");

    t.link("inv-2", "user_good").await;
    let bank = connected_ids(&t.receiver, 2).await.remove(1);
    let (status, refused) = t.get(&format!("/v2/accounts/{bank}/assets")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused["message"].as_str().unwrap().contains("investment platforms"));
}
