//! Telling a genuine statement from an edited one, through the server: a statement PDF this
//! Passbook issued checks as intact at the verification endpoint and imports as `original`; the
//! same file with one figure changed, or with its signature cut off, is known to be edited; and
//! the published key checks the signature without Passbook.
use axum::http::StatusCode;
use serde_json::Value;

use crate::support::*;

async fn linked_statement(t: &TestApp) -> Vec<u8> {
    t.link("integrity-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    built_statement_pdf(t, &id).await
}

async fn verify(t: &TestApp, file: &[u8]) -> Value {
    let request = t.http.post(format!("{}/passbook/v1/statements/verify", t.base)).header("mono-sec-key", t.key());
    let res = post_statement(request, "statement.pdf", file, &[]).await;
    assert_eq!(res.status().as_u16(), 200);
    res.json::<Value>().await.unwrap()["data"].clone()
}

/// The import's integrity, as the API answers it and as the account shows it; the account id.
async fn import_with_id(t: &TestApp, file: &[u8], email: &str) -> (Value, String) {
    let customer = [("customer_name", "Integrity Tester"), ("customer_email", email)];
    let (status, body) = t.import_statement("statement.pdf", file, &customer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["data"]["accounts"][0]["id"].as_str().unwrap().to_string();
    let (_, account) = t.get(&format!("/v2/accounts/{id}")).await;
    assert_eq!(account["data"]["passbook"]["source"]["integrity"], body["data"]["integrity"], "{account}");
    (body["data"]["integrity"].clone(), id)
}

async fn import(t: &TestApp, file: &[u8], email: &str) -> Value {
    import_with_id(t, file, email).await.0
}

fn codes(integrity: &Value) -> Vec<String> {
    integrity["signals"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_statement_passbook_issued_is_known_intact_and_any_edit_is_known() {
    let t = TestApp::spawn().await;
    let pdf = linked_statement(&t).await;

    let checked = verify(&t, &pdf).await;
    assert_eq!((checked["signature"].as_str(), checked["intact"].as_bool()), (Some("intact"), Some(true)), "{checked}");
    assert_eq!(checked["integrity"]["verdict"], "original");
    let account_number = checked["statement"]["account_number"].as_str().unwrap().to_string();
    assert!(String::from_utf8_lossy(&pdf).contains(&account_number));

    // The published key checks it without Passbook.
    let key: Value = t
        .http
        .get(format!("{}/passbook/v1/statements/signing-key", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &key["data"];
    assert_eq!(key["key_id"], checked["statement"]["key_id"]);
    use base64::Engine;
    let public = base64::engine::general_purpose::STANDARD.decode(key["public_key"].as_str().unwrap()).unwrap();
    let public = ed25519_dalek::VerifyingKey::from_bytes(&public.try_into().unwrap()).unwrap();
    let check = passbook_domain::statement_signature::check_with(&public, key["key_id"].as_str().unwrap(), &pdf);
    assert!(matches!(check, passbook_domain::statement_signature::SignatureCheck::Intact(_)));

    // One figure of the closing balance raised, the length kept.
    let text = String::from_utf8_lossy(&pdf).into_owned();
    let at = text.find("Closing balance: NGN ").unwrap() + "Closing balance: NGN ".len();
    let mut raised = pdf.clone();
    raised[at] = if raised[at] == b'9' { b'8' } else { b'9' };
    let checked = verify(&t, &raised).await;
    assert_eq!(
        (checked["signature"].as_str(), checked["intact"].as_bool()),
        (Some("edited"), Some(false)),
        "{checked}"
    );
    assert_eq!(checked["integrity"]["verdict"], "altered");

    // Imported: the genuine file is `original`, the edited one `altered`, and one whose
    // signature was cut off `altered` too (it says Passbook made it).
    assert_eq!(import(&t, &pdf, "genuine@example.ng").await["verdict"], "original");
    let (altered, raised_id) = import_with_id(&t, &raised, "raised@example.ng").await;
    assert_eq!(altered["verdict"], "altered");
    // The console explains it to a loan officer.
    let [owner, ..] = crate::console::team(&t).await;
    let page = owner.get(&format!("/console/accounts/{raised_id}")).await.body;
    for shown in ["File integrity", "altered", "passbook_signature_broken", "content was changed after signing"] {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    // (The account is linked for other customers already: the bank link and the genuine import.)
    assert_eq!(codes(&altered), ["passbook_signature_broken", "account_number_other_customers"], "{altered}");
    let cut = &pdf[..text.find("%PassbookSignature").unwrap()];
    let unsigned = import(&t, cut, "cut@example.ng").await;
    assert_eq!(unsigned["verdict"], "altered", "{unsigned}");
    assert!(codes(&unsigned).contains(&"passbook_signature_missing".to_string()));

    // Checking needs a key; the signing key is public.
    let res = t.http.post(format!("{}/passbook/v1/statements/verify", t.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn a_signed_json_statement_checks_reads_back_and_any_edit_is_known() {
    let t = TestApp::spawn().await;
    t.link("integrity-json", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    let path = format!("{}/passbook/v1/accounts/{id}/statement?period=last12months", t.base);
    let res = t.http.get(&path).header("mono-sec-key", t.key()).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let file = res.bytes().await.unwrap().to_vec();
    let document: Value = serde_json::from_slice(&file).unwrap();
    let statement = &document["passbook_statement"];
    // The same rows as Mono's JSON statement of the period, oldest first.
    let (_, mono) = t.get(&format!("/v2/accounts/{id}/statement?period=last12months")).await;
    let ids = |rows: &Value| -> Vec<String> {
        rows.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
    };
    let mut newest_first = ids(&statement["transactions"]);
    newest_first.reverse();
    assert!(!newest_first.is_empty());
    assert_eq!(newest_first, ids(&mono["data"]["statement"]));
    assert_eq!(document["signature"]["transactions"], mono["data"]["count"]);

    let checked = verify(&t, &file).await;
    assert_eq!(
        (checked["signature"].as_str(), checked["integrity"]["verdict"].as_str()),
        (Some("intact"), Some("original"))
    );
    assert_eq!(checked["statement"]["account"], id.as_str());

    // Read back by an import: every row, and `original`.
    let customer = [("customer_name", "Json Tester"), ("customer_email", "json@example.ng")];
    let (status, body) = t.import_statement("statement.json", &file, &customer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["integrity"]["verdict"], "original", "{body}");
    let preview = &body["data"]["statement"][0];
    assert_eq!((preview["format"].as_str(), &preview["transactions"]), (Some("json"), &mono["data"]["count"]));
    assert_eq!(preview["reconciliation"], "balanced", "{body}");
    assert_eq!(preview["closing_balance"], statement["closing_balance"]);

    // An amount raised, written back by any JSON library: known to be edited.
    let mut raised = document.clone();
    let amount = raised["passbook_statement"]["transactions"][0]["amount"].as_i64().unwrap();
    raised["passbook_statement"]["transactions"][0]["amount"] = (amount + 6_000_000).into();
    let checked = verify(&t, raised.to_string().as_bytes()).await;
    assert_eq!(
        (checked["signature"].as_str(), checked["integrity"]["verdict"].as_str()),
        (Some("edited"), Some("altered"))
    );
    let customer = [("customer_name", "Json Forger"), ("customer_email", "forger@example.ng")];
    let (_, body) = t.import_statement("statement.json", raised.to_string().as_bytes(), &customer).await;
    assert_eq!(body["data"]["integrity"]["verdict"], "altered", "{body}");

    // A period outside 1–12 months is refused; another app cannot have the account's statement.
    let (status, body) = t.get(&format!("/passbook/v1/accounts/{id}/statement?period=last13months")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let other = t.server.as_ref().unwrap().passbook.create_app("Other", None).await.unwrap();
    let res = t.http.get(&path).header("mono-sec-key", &other.secret_key).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
}

/// An OFX statement of account 0123456789 for January 2025, without the rows whose index is in
/// `without`, its closing balance made to match (as a forger would).
fn ofx(without: &[usize]) -> Vec<u8> {
    let rows: Vec<(u32, i64)> =
        (0..12).map(|i| (2 + i * 2, if i % 3 == 0 { 250_000 } else { -(4_000 + i as i64 * 350) })).collect();
    let mut closing = 1_000_000;
    let mut body = String::new();
    for (i, (day, amount)) in rows.iter().enumerate() {
        if without.contains(&i) {
            continue;
        }
        closing += amount;
        let kind = if *amount > 0 { "CREDIT" } else { "DEBIT" };
        body.push_str(&format!(
            "<STMTTRN><TRNTYPE>{kind}</TRNTYPE><DTPOSTED>202501{day:02}</DTPOSTED><TRNAMT>{}.{:02}</TRNAMT><FITID>{i}</FITID><NAME>ROW {i}</NAME></STMTTRN>",
            amount / 100,
            (amount % 100).abs()
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?><OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STMTRS><CURDEF>NGN</CURDEF><BANKACCTFROM><BANKID>058</BANKID><ACCTID>0123456789</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM><BANKTRANLIST><DTSTART>20250101</DTSTART><DTEND>20250131</DTEND>{body}</BANKTRANLIST><LEDGERBAL><BALAMT>{}.{:02}</BALAMT><DTASOF>20250131</DTASOF></LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"#,
        closing / 100,
        closing % 100
    )
    .into_bytes()
}

#[tokio::test]
async fn uploads_are_compared_with_the_apps_earlier_ones() {
    let t = TestApp::spawn().await;
    let genuine = ofx(&[]);
    let first = import(&t, &genuine, "ada@example.ng").await;
    assert_eq!(first["verdict"], "unknown", "{first}");

    // The same customer again, the statement remade with a debit gone and the balance fixed.
    let remade = import(&t, &ofx(&[4]), "ada@example.ng").await;
    assert_eq!(remade["verdict"], "altered", "{remade}");
    let disagreement = &remade["signals"].as_array().unwrap()[0];
    assert_eq!(disagreement["code"], "disagrees_with_earlier_upload", "{remade}");
    assert!(disagreement["explanation"].as_str().unwrap().contains("it has 1 row(s) this one lacks"), "{remade}");

    // The app is told, after the account's data.
    let flagged = t.receiver.wait_for("passbook.events.statement_flagged", 1).await.remove(0).json();
    assert_eq!(flagged["data"]["verdict"], "altered", "{flagged}");
    assert_eq!(flagged["data"]["signals"], remade["signals"]);

    // Another customer with the very same file: reused, and an account already someone else's.
    let reused = import(&t, &genuine, "bola@example.ng").await;
    assert_eq!(reused["verdict"], "altered", "{reused}");
    let codes = codes(&reused);
    for code in ["same_file_other_customer", "account_number_other_customers"] {
        assert!(codes.contains(&code.to_string()), "{code} in {reused}");
    }
    // Nothing of it names the other customer.
    assert!(!reused.to_string().contains("ada@example.ng") && !reused.to_string().contains("Integrity Tester"));

    // Another app sees none of it.
    let other = t.server.as_ref().unwrap().passbook.create_app("Other lender", None).await.unwrap();
    let request = t.http.post(format!("{}/passbook/v1/statements", t.base)).header("mono-sec-key", &other.secret_key);
    let customer = [("customer_name", "Chidi"), ("customer_email", "chidi@example.ng")];
    let res = post_statement(request, "statement.ofx", &genuine, &customer).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["integrity"]["verdict"], "unknown", "{body}");
}
