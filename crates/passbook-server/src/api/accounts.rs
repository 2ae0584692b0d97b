use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::Response;

use passbook_domain::model::{Account, AccountId, App, Cursor, DataKind, JobId, PageRequest, TransactionFilter};
use passbook_domain::services::{parse_list_page, parse_transactions_query};
use passbook_types::accounts::{AccountListItem, BalanceOut, TransactionOut, TransactionsQuery};
use passbook_types::{ListMeta, PageMeta, PageQuery, Success};

use super::answer_cache::Rendered;
use super::{conditional, list_meta, success, wire};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiActor, ApiQuery, AuthApp};

/// `GET /v2/accounts`
pub async fn list(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Success<Vec<AccountListItem>, ListMeta>>> {
    let page = parse_list_page(query.page.as_deref())?;
    let found = state.passbook.accounts().list(&app, page.clone()).await?;
    let institutions = state.passbook.institutions().now();
    let data = found
        .items
        .iter()
        .map(|f| wire::account_list_item(&f.account, &f.customer, institutions.get(&f.account.institution_id)))
        .collect();
    let meta = list_meta(&page, found.total, |n| format!("{}/v2/accounts?page={n}", state.passbook.public_url()));
    Ok(Json(success(&state, "Data retrieved successfully", data).with_meta(meta)))
}

/// `GET /v2/accounts/{id}`
pub async fn details(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let job = realtime(&state, &app, &id, &headers, true).await?;
    conditional::answer(&state, &app, &id, (&uri, &headers), job, async |account| {
        let source = state.passbook.linking().account_source(&account).await?;
        let listing = state.passbook.institutions().now();
        let data = wire::account_details(&account, listing.get(&account.institution_id), source.as_ref());
        Ok(Rendered::new("Request was succesfully completed", &data))
    })
    .await
}

/// With `x-realtime: true` (or `x-real-time`), syncs the account first and describes the job in
/// `x-has-new-data`, `x-job-id` and `x-job-status`.
async fn realtime(
    state: &AppState,
    app: &App,
    id: &AccountId,
    headers: &HeaderMap,
    statement: bool,
) -> ApiResult<HeaderMap> {
    let asked = ["x-realtime", "x-real-time"]
        .iter()
        .any(|h| headers.get(*h).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("true")));
    let mut out = HeaderMap::new();
    if asked {
        let job = state.passbook.realtime_sync(app, id, statement).await?;
        let value = |s: &str| HeaderValue::from_str(s).expect("ASCII");
        out.insert("x-has-new-data", value(if job.has_new_data.unwrap_or(false) { "true" } else { "false" }));
        out.insert("x-job-id", value(&job.id));
        out.insert("x-job-status", value(job.status.as_str()));
    }
    Ok(out)
}

/// `GET /v2/accounts/{id}/jobs/{job_id}`
pub async fn job(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path((id, job_id)): Path<(AccountId, JobId)>,
) -> ApiResult<Json<Success<passbook_types::accounts::JobOut>>> {
    let job = state.passbook.job(&app, &id, &job_id).await?;
    let data = passbook_types::accounts::JobOut {
        id: job.id.into(),
        status: job.status.as_str().into(),
        name: job.kind.mono_name(),
        account: id.to_string(),
        business: app.id.to_string(),
        app: app.id.into(),
        has_new_data: job.has_new_data,
        created_at: job.created_at.to_iso(),
    };
    Ok(Json(success(&state, "Job execution completed", data)))
}

/// `GET /v2/accounts/{id}/balance`: `data` is null until the balance was retrieved.
pub async fn balance(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let job = realtime(&state, &app, &id, &headers, false).await?;
    conditional::answer(&state, &app, &id, (&uri, &headers), job, async |account| {
        let data = account.has(DataKind::Balance).then(|| BalanceOut {
            id: account.id.to_string(),
            name: account.name.clone(),
            account_number: account.account_number.clone(),
            balance: account.balance.unwrap_or_default(),
            currency: account.currency.clone(),
        });
        Ok(Rendered::new(not_ready_or(&account, "Request was successfully completed"), &data))
    })
    .await
}

/// `GET /v2/accounts/{id}/identity`: `data` is null until the identity was retrieved.
pub async fn identity(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    conditional::answer(&state, &app, &id, (&uri, &headers), HeaderMap::new(), async |account| {
        let identity = state.passbook.accounts().identity(&account).await?;
        let data = identity.as_ref().map(wire::identity);
        Ok(Rendered::new(not_ready_or(&account, "Request was succesfully completed"), &data))
    })
    .await
}

/// `GET /v2/accounts/{id}/transactions`
pub async fn transactions(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
    uri: Uri,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<TransactionsQuery>,
) -> ApiResult<Response> {
    let (filter, page) = parse_transactions_query(&query)?;
    let job = realtime(&state, &app, &id, &headers, true).await?;
    conditional::answer(&state, &app, &id, (&uri, &headers), job, async |account| {
        transactions_page(&state, &account, &query, filter, page).await
    })
    .await
}

async fn transactions_page(
    state: &AppState,
    account: &Account,
    query: &TransactionsQuery,
    filter: TransactionFilter,
    page: PageRequest,
) -> ApiResult<Rendered> {
    let found = state.passbook.accounts().transactions(account, &filter, page.clone()).await?;
    let next_cursor = found.items.last().map(Cursor::after);
    let pages = page.limit.map_or(1, |l| found.total.div_ceil(l));
    let base = &state.passbook.public_url();
    let data: Vec<TransactionOut> = found.items.into_iter().map(wire::transaction).collect();
    let meta = PageMeta {
        total: found.total,
        page: page.page,
        previous: (page.page > 1 && page.limit.is_some())
            .then(|| page_link(base, &account.id, query, page.page - 1, None)),
        next: (page.page < pages && next_cursor.is_some())
            .then(|| page_link(base, &account.id, query, page.page + 1, next_cursor.as_ref())),
    };
    Ok(Rendered::new("Transaction retrieved successfully", &data).with_meta(&meta))
}

/// The absolute URL of page `n`, keeping every other parameter the client sent. A `next` link
/// also says where the page ended, so following it is as fast on page 2,000 as on page 2.
fn page_link(base: &str, account_id: &str, q: &TransactionsQuery, n: u64, cursor: Option<&Cursor>) -> String {
    let mut url =
        url::Url::parse(&format!("{base}/v2/accounts/{account_id}/transactions")).expect("public_url is a valid URL");
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("page", &n.to_string());
        for (key, value) in
            [("limit", &q.limit), ("start", &q.start), ("end", &q.end), ("narration", &q.narration), ("type", &q.kind)]
        {
            if let Some(v) = value {
                pairs.append_pair(key, v);
            }
        }
        if let Some(cursor) = cursor {
            pairs.append_pair("cursor", &cursor.encode());
        }
    }
    url.to_string()
}

fn not_ready_or<'a>(account: &passbook_domain::model::Account, message: &'a str) -> &'a str {
    if account.data_status == passbook_domain::model::DataStatus::Processing {
        "The account's data is still being retrieved (data_status PROCESSING); data is empty until it is AVAILABLE"
    } else {
        message
    }
}

/// `POST /v2/accounts/{id}/unlink`
pub async fn unlink(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    ApiActor(actor): ApiActor,
    Path(id): Path<AccountId>,
) -> ApiResult<Json<Success<Option<()>>>> {
    state.passbook.accounts().unlink(&app, &id, &actor).await?;
    Ok(Json(success(&state, "Account unlinked successfully", None)))
}
