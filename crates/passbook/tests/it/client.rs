//! `passbook-client` against the real server: every part of the API it covers, its errors, and
//! its webhook verification on real deliveries.
use passbook_client::types::accounts::TransactionsQuery;
use passbook_client::types::customers::{CustomerChanges, CustomerIn};
use passbook_client::types::linking::{CustomerIn as LinkCustomer, InitiateRequest, RefMeta};
use passbook_client::types::partners::{SessionAnswer, SessionRequest};
use passbook_client::{Client, Error, webhooks};
use serde_json::json;

use crate::support::*;

fn client(t: &TestApp) -> Client {
    Client::new(&t.base, t.key())
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn reads_a_linked_account_and_pages_through_its_transactions() {
    let t = TestApp::spawn().await;
    let c = client(&t);
    let initiated = c
        .initiate(&InitiateRequest {
            customer: Some(LinkCustomer {
                name: Some("Ada Obi".into()),
                email: Some("ada@client.ng".into()),
                id: None,
            }),
            meta: Some(RefMeta { reference: Some("client-1".into()) }),
            scope: Some("auth".into()),
            redirect_url: Some("https://app.example/done".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(initiated.mono_url.starts_with(&t.base), "{}", initiated.mono_url);
    t.link("client-2", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;

    let listed = c.accounts(1).await.unwrap();
    assert_eq!((listed.meta.total, listed.data.len()), (1, 1));
    let details = c.account(&id).await.unwrap();
    assert_eq!(details.account.id, id);
    assert_eq!(details.meta.data_status, "AVAILABLE");
    assert_eq!(c.balance(&id).await.unwrap().balance, details.account.balance.unwrap_or_default());
    assert!(!c.identity(&id).await.unwrap().full_name.is_empty());

    let query = TransactionsQuery { limit: Some("100".into()), ..Default::default() };
    let mut page = c.transactions(&id, &query).await.unwrap();
    let total = page.meta.total;
    let mut seen = page.data.len() as u64;
    while let Some(next) = page.meta.next.clone() {
        page = c.transactions_at(&next).await.unwrap();
        seen += page.data.len() as u64;
    }
    assert_eq!(seen, total, "following meta.next reads every transaction once");

    match c.account("0123456789abcdef01234567").await {
        Err(Error::Api { status: 404, message, .. }) => assert!(message.contains("No account"), "{message}"),
        other => panic!("a missing account is a 404 in the failed envelope: {other:?}"),
    }
    let stranger = Client::new(&t.base, "test_sk_not_a_key");
    assert!(matches!(stranger.accounts(1).await, Err(Error::Api { status: 401, .. })));
    c.unlink(&id).await.unwrap();
    assert!(matches!(c.account(&id).await, Err(Error::Api { status: 404, .. })));
}

#[tokio::test]
async fn manages_customers_and_links_through_the_partners_api() {
    let t = TestApp::spawn().await;
    let c = client(&t);
    let created = c
        .create_customer(&CustomerIn {
            email: Some("tolu@client.ng".into()),
            first_name: Some("Tolu".into()),
            last_name: Some("Ade".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    c.update_customer(&created.id, &CustomerChanges { phone: Some("08012345678".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(c.customer(&created.id).await.unwrap().phone.as_deref(), Some("08012345678"));
    assert_eq!(c.customers(1).await.unwrap().meta.total, 1);
    match c.create_customer(&CustomerIn::default()).await {
        Err(Error::Api { status: 400, message, fields }) => {
            assert!(message.contains("email") || fields.iter().any(|f| f.field == "email"), "{message} {fields:?}")
        }
        other => panic!("{other:?}"),
    }

    let session = c
        .partner_session(&SessionRequest {
            institution: Some(GTBANK.into()),
            auth_method: Some("internet_banking".into()),
            scope: Some("financial_data".into()),
            customer: Some(LinkCustomer { id: Some(created.id.clone()), name: None, email: None }),
            meta: None,
        })
        .await
        .unwrap();
    let SessionAnswer::Created(session) = session else { panic!("a new session, not a renewal") };
    assert_eq!(session.ui.form[0].name, "username");
    let session_id = session.session.id;
    let wrong = c.partner_login(&session_id, &json!({"username": "user_good", "password": "x"})).await.unwrap();
    assert_eq!(wrong.response_code, 400);
    let done = c.partner_login(&session_id, &json!({"username": "user_good", "password": "123456"})).await.unwrap();
    assert_eq!(done.response_code, 99, "{:?}", done.data);
    let exchanged = c.exchange_code(done.data["code"].as_str().unwrap()).await.unwrap();
    assert_eq!(connected_ids(&t.receiver, 1).await[0], exchanged.id);
    assert!(matches!(c.delete_customer(&created.id).await, Err(Error::Api { status: 400 | 409, .. })));
}

#[tokio::test]
async fn webhooks_verify_with_the_client_helpers_before_and_after_a_rotation() {
    let t = TestApp::spawn().await;
    let c = client(&t);
    let endpoint = c.webhook().await.unwrap();
    assert_eq!(endpoint.url.as_deref(), Some(t.receiver.url.as_str()));
    let sent = c.send_test_webhook().await.unwrap();
    let first = t.receiver.wait_for("mono.events.webhook_test", 1).await.remove(0);
    let header = |r: &Received| {
        let r = r.clone();
        move |name: &str| Some(r.header(name).to_string()).filter(|v| !v.is_empty())
    };
    let secret = t.app.app.webhook_secret.clone();
    assert_eq!(webhooks::verify(header(&first), first.body.as_bytes(), &secret, now_secs()), Ok(()));
    assert_eq!(webhooks::verify_mono_secret(header(&first), &secret), Ok(()));
    let tampered = first.body.replace("webhook_test", "webhook_tast");
    assert_eq!(
        webhooks::verify(header(&first), tampered.as_bytes(), &secret, now_secs()),
        Err(webhooks::Refused::Mismatch)
    );

    let rotated = c.rotate_webhook_secret().await.unwrap();
    c.send_test_webhook().await.unwrap();
    let second = t.receiver.wait_for("mono.events.webhook_test", 2).await.remove(1);
    for key in [&rotated.secret, &secret] {
        assert_eq!(
            webhooks::verify(header(&second), second.body.as_bytes(), key, now_secs()),
            Ok(()),
            "during the overlap both sign"
        );
    }

    let events = c.events(&Default::default()).await.unwrap();
    assert!(events.data.iter().any(|e| e.id == sent.event_id));
    assert_eq!(c.event(&sent.event_id).await.unwrap().id, sent.event_id);
    assert_eq!(c.replay_event(&sent.event_id).await.unwrap().replayed, 1);
    assert_eq!(c.set_webhook(None).await.unwrap().url, None);
}

#[tokio::test]
async fn imports_statements_and_reads_insights_and_settings() {
    use passbook_client::types::accounts::{CreditworthinessRequest, StatementAnswer, StatementQuery};
    use passbook_client::types::institutions::InstitutionsQuery;
    let t = TestApp::spawn().await;
    let c = client(&t);
    let banks = c.institutions(&InstitutionsQuery { name: Some("GTBank".into()), ..Default::default() }).await;
    assert_eq!(banks.unwrap()[0].id, GTBANK);

    let file = sample_statement("camt053/viafintech__valid_example_v4.xml");
    let fields = [("customer_name", "Robert Schneider"), ("customer_email", "robert@client.ch")];
    let imported = c.import_statement("statement.xml", file, &fields).await.unwrap();
    assert_eq!(imported.statement[0].reconciliation, "balanced", "{imported:?}");
    let id = imported.accounts[0].id.clone();
    t.wait_for_data(&id).await;
    let statement = c.statement(&id, &StatementQuery { period: Some("last12months".into()), output: None }).await;
    // The sample's bookings are years old: none falls in the last twelve months.
    let StatementAnswer::Rows(rows) = statement.unwrap() else { panic!("JSON rows, not a PDF job") };
    assert_eq!(rows.count, 0);
    c.income(&id).await.unwrap();
    t.receiver.wait_for("mono.events.account_income", 1).await;
    let records = c.income_records(&id, 1).await.unwrap();
    assert_eq!((records.meta.total, records.data[0].account_id.as_str()), (1, id.as_str()));
    let loan = CreditworthinessRequest {
        bvn: Some("22300000965".into()),
        principal: Some(3_000_000),
        interest_rate: Some(5.0),
        term: Some(12),
        run_credit_check: Some(false),
        existing_loans: None,
    };
    c.creditworthiness(&id, &loan).await.unwrap();

    assert_eq!(c.settings().await.unwrap().refresh_interval_hours, 24);
    assert_eq!(c.set_refresh_interval(6).await.unwrap().refresh_interval_hours, 6);
    assert!(matches!(c.set_refresh_interval(5).await, Err(Error::Api { status: 400, .. })));
}
