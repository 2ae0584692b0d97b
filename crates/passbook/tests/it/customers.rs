//! `/v2/customers`, with Mono's messages.
use axum::http::StatusCode;
use reqwest::Method;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn customers_are_created_listed_updated_and_deleted() {
    let t = TestApp::spawn().await;
    let body = json!({"email": "samuel@neem.com", "first_name": "Samuel", "last_name": "Olamide",
                      "address": "23 Shittu Animashaun, Lagos", "phone": "08012345678",
                      "identity": {"type": "bvn", "number": "22300000965"}});
    let (status, created) = t.post_json("/v2/customers", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["message"], "Created customer successfully");
    let customer = &created["data"];
    assert_eq!(customer["name"], "Samuel Olamide");
    assert_eq!(customer["identification_type"], "bvn");
    assert_eq!(customer["bvn"], "22300000965");
    let id = customer["id"].as_str().unwrap();

    let (status, again) = t.post_json("/v2/customers", body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(again["message"], "Customer already exists with similar credentials (email or names supplied)");

    let (status, business) = t
        .post_json("/v2/customers", json!({"email": "hello@acme.ng", "type": "business", "business_name": "Acme Ltd"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{business}");
    assert_eq!(business["data"]["business_name"], "Acme Ltd");
    assert_eq!(business["data"]["type"], "business");

    let (_, list) = t.get("/v2/customers").await;
    assert_eq!(list["meta"]["total"], 2);
    assert_eq!(list["message"], "Data retrieved successfully");

    let (status, patched) = t
        .send_json(Method::PATCH, &format!("/v2/customers/{id}"), t.key(), json!({"address": "1 Marina, Lagos"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["message"], "Customer updated successfully");
    assert_eq!(patched["data"], serde_json::Value::Null);
    let (_, shown) = t.get(&format!("/v2/customers/{id}")).await;
    assert_eq!(shown["message"], "Customer Data retrieved successfully");
    assert_eq!(shown["data"]["address"], "1 Marina, Lagos");

    let (status, deleted) = t.send_json(Method::DELETE, &format!("/v2/customers/{id}"), t.key(), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["message"], "Deleted customer successfully");
    let (status, gone) = t.get(&format!("/v2/customers/{id}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(gone["message"], "Invalid Customer Id, could not fetch customer");
    let (status, gone) = t.send_json(Method::DELETE, &format!("/v2/customers/{id}"), t.key(), json!({})).await;
    assert_eq!((status, gone["message"].as_str()), (StatusCode::BAD_REQUEST, Some("Invalid Customer Id")));
}

#[tokio::test]
async fn customer_input_is_validated_field_by_field() {
    let t = TestApp::spawn().await;
    for (body, needle) in [
        (json!({"first_name": "A", "last_name": "B"}), "email is required"),
        (json!({"email": "nope", "first_name": "A", "last_name": "B"}), "email 'nope' is not a valid email address"),
        (json!({"email": "a@b.ng", "last_name": "B"}), "first_name is required"),
        (json!({"email": "a@b.ng", "type": "business"}), "business_name is required"),
        (json!({"email": "a@b.ng", "type": "robot"}), "type must be individual or business"),
        (
            json!({"email": "a@b.ng", "first_name": "A", "last_name": "B", "address": "x".repeat(101)}),
            "address must be at most 100",
        ),
        (
            json!({"email": "a@b.ng", "first_name": "A", "last_name": "B", "phone": "call me"}),
            "phone 'call me' is not a phone number",
        ),
        (
            json!({"email": "a@b.ng", "first_name": "A", "last_name": "B", "identity": {"type": "nin", "number": "1"}}),
            "identity.type must be \"bvn\"",
        ),
        (
            json!({"email": "a@b.ng", "first_name": "A", "last_name": "B", "identity": {"type": "bvn", "number": "123"}}),
            "11-digit BVN",
        ),
    ] {
        let (status, answer) = t.post_json("/v2/customers", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(answer["message"].as_str().unwrap().contains(needle), "{needle}: {answer}");
        assert_eq!(answer["data"], serde_json::Value::Null);
    }
    let (_, list) = t.get("/v2/customers").await;
    assert_eq!(list["meta"]["total"], 0, "nothing was written by refused requests");
}

#[tokio::test]
async fn a_customer_with_linked_accounts_is_not_deleted() {
    let t = TestApp::spawn().await;
    let data = t.initiate("cust-1", json!({})).await;
    t.link("cust-2", "user_good").await;
    let id = data["customer"].as_str().unwrap();
    let (status, refused) = t.send_json(Method::DELETE, &format!("/v2/customers/{id}"), t.key(), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(refused["message"].as_str().unwrap().contains("unlink them first"));
    let other = t.server.as_ref().unwrap().passbook.create_app("Other", None).await.unwrap();
    let (status, _) = t.get_with_key(&format!("/v2/customers/{id}"), &other.secret_key).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "another app's customer does not exist for this app");
}
