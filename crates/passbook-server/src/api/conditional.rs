//! Conditional requests on an account's data, which changes only when a fetch lands: answers
//! carry a weak `ETag` (the account's version and the request's path and query), and a request
//! whose `If-None-Match` names it gets `304 Not Modified` without the data being read or sent.
//! `Cache-Control: private, no-cache` lets a client's own cache keep the answer (never a shared
//! one) and ask again each time.
use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use passbook_domain::model::{Account, AccountId, AccountVersion, App};

use super::answer_cache::Rendered;
use crate::AppState;
use crate::error::ApiResult;

/// Answers a read of an account's data: `304` when the client holds the answer, the kept
/// rendering when there is one (both from the account's version alone: nothing decrypted), else
/// `render` on the account, kept for next time. `extra` are headers of this answer only (a
/// real-time job's).
pub async fn answer<F, Fut>(
    state: &AppState,
    app: &App,
    id: &AccountId,
    request: (&Uri, &HeaderMap),
    extra: HeaderMap,
    render: F,
) -> ApiResult<Response>
where
    F: FnOnce(Account) -> Fut,
    Fut: Future<Output = ApiResult<Rendered>>,
{
    let (uri, headers) = request;
    let tag = etag(&state.passbook.account_version(app, id).await?, uri);
    if let Some(unchanged) = not_modified(headers, &tag) {
        return Ok(unchanged);
    }
    let (tag, rendered) = match state.answers.get(&tag) {
        Some(kept) => (tag, kept),
        None => {
            let account = state.passbook.account(app, id).await?;
            // The tag of what is rendered, should the account have changed meanwhile.
            let tag = etag(&AccountVersion::of(&account), uri);
            let rendered = Arc::new(render(account).await?);
            state.answers.put(&tag, &rendered);
            (tag, rendered)
        }
    };
    let mut envelope = super::success(state, rendered.message, &*rendered.data);
    if let Some(meta) = &rendered.meta {
        envelope = envelope.with_meta(&**meta);
    }
    let mut headers = extra;
    mark(&mut headers, &tag);
    Ok((headers, Json(envelope)).into_response())
}

/// The validator of this request's answer about the account at `version`.
pub fn etag(version: &AccountVersion, uri: &Uri) -> HeaderValue {
    let f = &version.freshness;
    let version = format!(
        "{}|{}|{}|{}|{:?}|{:?}|{:?}|{:?}|{}",
        version.id,
        version.updated_at.0,
        version.transaction_count,
        version.data_status.as_str(),
        f.last_refreshed_at.map(|t| t.0),
        f.last_failed_at.map(|t| t.0),
        f.last_failure,
        f.next_refresh_at.map(|t| t.0),
        uri.path_and_query().map_or("", |p| p.as_str())
    );
    let digest = &passbook_domain::crypto::hash_secret(&version)[..24];
    HeaderValue::from_str(&format!("W/\"{digest}\"")).expect("hex is a valid header value")
}

/// `Some(304)` when the client already holds this answer.
pub fn not_modified(request: &HeaderMap, etag: &HeaderValue) -> Option<Response> {
    let held = request.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    let tag = etag.to_str().ok()?;
    let matches =
        held.split(',').map(str::trim).any(|h| h == "*" || h == tag || h.strip_prefix("W/") == tag.strip_prefix("W/"));
    matches.then(|| {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        mark(response.headers_mut(), etag);
        response
    })
}

/// The headers of an answer that can be revalidated.
pub fn mark(headers: &mut HeaderMap, etag: &HeaderValue) {
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
}
