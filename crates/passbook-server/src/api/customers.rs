//! `/v2/customers`.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use passbook_domain::model::{Customer, CustomerId};
use passbook_domain::services::parse_list_page;
use passbook_types::customers::{CustomerChanges, CustomerIn, CustomerOut};
use passbook_types::{ListMeta, PageQuery, Success};

use super::{list_meta, success};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, AuthApp};

pub async fn create(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiJson(body): ApiJson<CustomerIn>,
) -> ApiResult<(StatusCode, Json<Success<CustomerOut>>)> {
    let customer = state.passbook.customers().create(&app, body).await?;
    Ok((StatusCode::CREATED, Json(success(&state, "Created customer successfully", customer_out(&customer)))))
}

pub async fn show(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<CustomerId>,
) -> ApiResult<Json<Success<CustomerOut>>> {
    let customer = state.passbook.customers().get(&app, &id).await?;
    Ok(Json(success(&state, "Customer Data retrieved successfully", customer_out(&customer))))
}

pub async fn list(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Success<Vec<CustomerOut>, ListMeta>>> {
    let page = parse_list_page(query.page.as_deref())?;
    let found = state.passbook.customers().list(&app, page.clone()).await?;
    let meta = list_meta(&page, found.total, |n| format!("{}/v2/customers?page={n}", state.passbook.public_url()));
    let data = found.items.iter().map(customer_out).collect();
    Ok(Json(success(&state, "Data retrieved successfully", data).with_meta(meta)))
}

pub async fn update(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<CustomerId>,
    ApiJson(body): ApiJson<CustomerChanges>,
) -> ApiResult<Json<Success<Option<()>>>> {
    state.passbook.customers().update(&app, &id, body.into()).await?;
    Ok(Json(success(&state, "Customer updated successfully", None)))
}

pub async fn delete(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<CustomerId>,
) -> ApiResult<Json<Success<Option<()>>>> {
    state.passbook.customers().delete(&app, &id).await?;
    Ok(Json(success(&state, "Deleted customer successfully", None)))
}

fn customer_out(c: &Customer) -> CustomerOut {
    let p = &c.profile;
    CustomerOut {
        id: c.id.to_string(),
        kind: if p.business { "business" } else { "individual" }.into(),
        name: c.name.clone(),
        first_name: (!p.business).then(|| p.first_name.clone()).flatten(),
        last_name: (!p.business).then(|| p.last_name.clone()).flatten(),
        business_name: p.business.then(|| p.business_name.clone()).flatten(),
        email: c.email.clone(),
        phone: p.phone.clone(),
        address: p.address.clone(),
        identification_no: p.bvn.clone(),
        identification_type: p.bvn.as_ref().map(|_| "bvn".to_string()),
        bvn: p.bvn.clone(),
        created_at: c.created_at.to_iso(),
    }
}
