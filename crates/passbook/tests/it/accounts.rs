//! Reading accounts and paging through transactions.
use std::collections::HashSet;

use axum::http::StatusCode;
use serde_json::Value;

use crate::support::*;

async fn linked_account(t: &TestApp) -> String {
    t.link("acc-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    id
}

#[tokio::test]
async fn paging_through_every_transaction_with_next_urls() {
    let t = TestApp::spawn().await;
    let id = linked_account(&t).await;
    let (_, all) = t.get(&format!("/v2/accounts/{id}/transactions?paginate=false")).await;
    let total = all["meta"]["total"].as_u64().unwrap();
    assert_eq!(all["data"].as_array().unwrap().len() as u64, total);
    assert_eq!(all["meta"]["next"], Value::Null);

    let mut seen = Vec::new();
    let mut url = format!("/v2/accounts/{id}/transactions?limit=100");
    let mut pages = 0;
    loop {
        let (status, page) = t.get(&url).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["meta"]["total"].as_u64(), Some(total));
        pages += 1;
        if pages > 1 {
            assert!(page["meta"]["previous"].as_str().unwrap().contains(&format!("page={}", pages - 1)));
        } else {
            assert_eq!(page["meta"]["previous"], Value::Null);
        }
        seen.extend(page["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()));
        match page["meta"]["next"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(pages as u64, total.div_ceil(100));
    assert_eq!(seen.len() as u64, total);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len() as u64, total, "no transaction twice");
    let all_ids: Vec<_> =
        all["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(seen, all_ids, "pages follow the same newest-first order");

    // Newest first, and the running balances add up from one record to the next.
    let data = all["data"].as_array().unwrap();
    for pair in data.windows(2) {
        let (newer, older) = (&pair[0], &pair[1]);
        assert!(newer["date"].as_str() >= older["date"].as_str());
        let signed = if newer["type"] == "credit" { 1 } else { -1 } * newer["amount"].as_i64().unwrap();
        assert_eq!(older["balance"].as_i64().unwrap() + signed, newer["balance"].as_i64().unwrap());
    }
    let (_, balance) = t.get(&format!("/v2/accounts/{id}/balance")).await;
    assert_eq!(balance["data"]["balance"], data[0]["balance"]);
}

#[tokio::test]
async fn filters_by_date_narration_and_type() {
    let t = TestApp::spawn().await;
    let id = linked_account(&t).await;
    let (_, all) = t.get(&format!("/v2/accounts/{id}/transactions?paginate=false")).await;
    let data = all["data"].as_array().unwrap().clone();
    let some_day = data[data.len() / 2]["date"].as_str().unwrap()[..10].to_string();
    let (y, m, d) = (&some_day[..4], &some_day[5..7], &some_day[8..10]);

    let on_day: Vec<_> = data.iter().filter(|t| t["date"].as_str().unwrap().starts_with(&some_day)).collect();
    for query in [format!("start={d}-{m}-{y}&end={d}-{m}-{y}"), format!("start={some_day}&end={some_day}")] {
        let (_, page) = t.get(&format!("/v2/accounts/{id}/transactions?{query}&paginate=false")).await;
        assert_eq!(page["data"].as_array().unwrap().len(), on_day.len(), "{query}");
        assert_eq!(page["meta"]["total"].as_u64().unwrap() as usize, on_day.len());
    }

    let (_, credits) = t.get(&format!("/v2/accounts/{id}/transactions?type=credit&paginate=false")).await;
    let expected = data.iter().filter(|t| t["type"] == "credit").count();
    assert_eq!(credits["meta"]["total"].as_u64().unwrap() as usize, expected);
    assert!(credits["data"].as_array().unwrap().iter().all(|t| t["type"] == "credit"));

    let (_, salary) = t.get(&format!("/v2/accounts/{id}/transactions?narration=SaLaRy&limit=5")).await;
    let expected = data.iter().filter(|t| t["narration"].as_str().unwrap().to_lowercase().contains("salary")).count();
    assert_eq!(salary["meta"]["total"].as_u64().unwrap() as usize, expected);
    assert!(expected >= 11, "a year of monthly salaries");
    assert!(salary["meta"]["next"].as_str().unwrap().contains("narration=SaLaRy"));
    assert!(salary["data"].as_array().unwrap().iter().all(|t| t["category"] == "income"));

    let (_, past_end) = t.get(&format!("/v2/accounts/{id}/transactions?narration=salary&page=99")).await;
    assert_eq!(past_end["data"], serde_json::json!([]));
    assert_eq!(past_end["meta"]["total"].as_u64().unwrap() as usize, expected);
}

#[tokio::test]
async fn identity_balance_and_list_have_the_contract_shapes() {
    let t = TestApp::spawn().await;
    let id = linked_account(&t).await;
    let (_, identity) = t.get(&format!("/v2/accounts/{id}/identity")).await;
    let data = &identity["data"];
    assert_eq!(data["bvn"].as_str().unwrap().len(), 11);
    for key in ["full_name", "email", "phone", "gender", "dob", "address_line1", "created_at", "updated_at"] {
        assert!(data[key].is_string(), "{key}: {data}");
    }
    let (_, details) = t.get(&format!("/v2/accounts/{id}")).await;
    assert_eq!(details["data"]["account"]["name"], data["full_name"]);
    assert!(data["bvn"].as_str().unwrap().ends_with(details["data"]["account"]["bvn"].as_str().unwrap()));

    let (_, list) = t.get("/v2/accounts").await;
    let item = &list["data"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["status"], "AVAILABLE");
    assert_eq!(item["customer"]["email"], "samuel@neem.com");
    assert_eq!(item["institution"]["bank_code"], "058");
    assert_eq!(list["meta"]["pages"], 1);
}

#[tokio::test]
async fn institutions_list_and_filters() {
    let t = TestApp::spawn().await;
    let (_, all) = t.get("/v3/institutions").await;
    let items = all["data"].as_array().unwrap();
    assert!(items.len() >= 20);
    let gtb = items.iter().find(|i| i["id"] == GTBANK).unwrap();
    assert_eq!(gtb["_id"], GTBANK);
    assert_eq!(gtb["bank_code"], "058");
    assert_eq!(gtb["auth_methods"][0]["ui"]["form"][1]["contentType"], "password");
    let (_, by_code) = t.get("/v3/institutions?bank_code=058").await;
    assert!(by_code["data"].as_array().unwrap().iter().all(|i| i["bank_code"] == "058"));
    assert_eq!(by_code["data"].as_array().unwrap().len(), 2, "GTBank personal and business");
    let (_, mobile) = t.get("/v3/institutions?auth_method=internet_banking").await;
    assert!(
        mobile["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| { i["auth_methods"].as_array().unwrap().iter().any(|m| m["type"] == "internet_banking") })
    );
    assert!(!mobile["data"].as_array().unwrap().iter().any(|i| i["id"] == KUDA));
}

/// Account data changes only when a fetch lands: answers carry a weak ETag, a client that sends
/// it back gets 304 without the data, and the tag changes once a refresh brings new data.
#[tokio::test]
async fn unchanged_account_data_is_answered_304_until_a_refresh_changes_it() {
    use std::sync::Arc;
    let clock =
        Arc::new(passbook_domain::clock::ManualClock::new(passbook_domain::Clock::now(&passbook_domain::SystemClock)));
    let shared = clock.clone();
    let t = TestApp::spawn_with(move |c| c.clock = shared).await;
    t.link("etag-1", "user_good").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    t.wait_for_data(&id).await;
    let get = |path: String, tag: Option<String>| {
        let request = t.http.get(format!("{}{path}", t.base)).header("mono-sec-key", t.key());
        let request = match tag {
            Some(tag) => request.header("if-none-match", tag),
            None => request,
        };
        async move { request.send().await.unwrap() }
    };
    for path in [
        format!("/v2/accounts/{id}"),
        format!("/v2/accounts/{id}/balance"),
        format!("/v2/accounts/{id}/identity"),
        format!("/v2/accounts/{id}/transactions?limit=10"),
    ] {
        let first = get(path.clone(), None).await;
        assert_eq!(first.status().as_u16(), 200, "{path}");
        assert_eq!(first.headers()["cache-control"], "private, no-cache");
        let tag = first.headers()["etag"].to_str().unwrap().to_string();
        assert!(tag.starts_with("W/\""), "{tag}");
        let again = get(path.clone(), Some(tag.clone())).await;
        assert_eq!(again.status().as_u16(), 304, "{path}");
        assert_eq!(again.headers()["etag"], tag.as_str());
        assert!(again.bytes().await.unwrap().is_empty());
        assert_eq!(
            get(path.clone(), Some("W/\"other\", *".into())).await.status().as_u16(),
            304,
            "any of several, or *"
        );
    }
    let body = |response: reqwest::Response| async move { response.json::<serde_json::Value>().await.unwrap() };
    let page_before = body(get(format!("/v2/accounts/{id}/transactions?limit=10"), None).await).await;
    let kept = body(get(format!("/v2/accounts/{id}/transactions?limit=10"), None).await).await;
    assert_eq!(
        (&kept["data"], &kept["meta"]),
        (&page_before["data"], &page_before["meta"]),
        "a kept page is the same page"
    );
    let ten = get(format!("/v2/accounts/{id}/transactions?limit=10"), None).await.headers()["etag"].clone();
    let twenty = get(format!("/v2/accounts/{id}/transactions?limit=20"), None).await.headers()["etag"].clone();
    assert_ne!(ten, twenty, "another page is another answer");

    t.receiver.wait_for("mono.events.account_updated", 1).await;
    // Five days: a refresh is due, and it brings the new days' transactions.
    clock.advance(5 * 24 * 3_600_000);
    // The refresh lands in the background; until then the tag held holds (queuing the refresh
    // moves the account's next refresh, which may change the tag before the new days arrive).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut held = ten.clone();
    loop {
        let after =
            get(format!("/v2/accounts/{id}/transactions?limit=10"), Some(held.to_str().unwrap().to_string())).await;
        if after.status().as_u16() == 200 {
            let tag = after.headers()["etag"].clone();
            assert_ne!(tag, held, "an answer that changed has a new tag");
            if body(after).await["meta"]["total"].as_u64() > page_before["meta"]["total"].as_u64() {
                break;
            }
            held = tag;
        } else {
            assert_eq!(after.status().as_u16(), 304);
        }
        assert!(std::time::Instant::now() < deadline, "the refresh never brought the new days");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let page_after = body(get(format!("/v2/accounts/{id}/transactions?limit=10"), None).await).await;
    let fresh = body(get(format!("/v2/accounts/{id}/transactions?limit=10&page=1"), None).await).await;
    assert_eq!(page_after["data"], fresh["data"], "a kept page is never older than the data");
    assert!(page_after["meta"]["total"].as_u64() > page_before["meta"]["total"].as_u64(), "{page_after}");
    assert_ne!(page_after["data"][0], page_before["data"][0], "the new days' transactions come first, not a kept page");
}

/// `user_history` links an account with about 100,000 transactions, for paging and filters at
/// scale through the public API.
#[tokio::test]
async fn the_long_history_login_serves_a_hundred_thousand_transactions() {
    let t = TestApp::spawn().await;
    t.link("history-1", "user_history").await;
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    let details = t.wait_for_data(&id).await;
    assert_eq!(details.meta.data_status, "AVAILABLE");
    let (_, first) = t.get(&format!("/v2/accounts/{id}/transactions?limit=100")).await;
    let total = first["meta"]["total"].as_u64().unwrap();
    assert!((99_000..=101_500).contains(&total), "{total}");
    let next = first["meta"]["next"].as_str().unwrap();
    assert!(next.contains("cursor="), "{next}");
    let (_, credits) = t.get(&format!("/v2/accounts/{id}/transactions?type=credit&limit=5")).await;
    assert!(credits["meta"]["total"].as_u64().unwrap() > 95_000);
}
