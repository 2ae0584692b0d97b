//! Conditional requests on an account's data, which changes only when a fetch lands: answers
//! carry a weak `ETag` (the account's version and the request's path and query), and a request
//! whose `If-None-Match` names it gets `304 Not Modified` without the data being read or sent.
//! `Cache-Control: private, no-cache` lets a client's own cache keep the answer (never a shared
//! one) and ask again each time.
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use passbook_domain::model::Account;

/// The validator of this request's answer about `account`.
pub fn etag(account: &Account, uri: &Uri) -> HeaderValue {
    let version = format!(
        "{}|{}|{}|{}|{}",
        account.id,
        account.updated_at.0,
        account.transaction_count,
        account.data_status.as_str(),
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
