//! Conditional requests on an account's data, which changes only when a fetch lands: answers
//! carry a weak `ETag` (the account's version and the request's path and query), and a request
//! whose `If-None-Match` names it gets `304 Not Modified` without the data being read or sent.
//! `Cache-Control: private, no-cache` lets a client's own cache keep the answer (never a shared
//! one) and ask again each time.
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use passbook_domain::Timestamp;
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
    let tag = etag(&state.passbook.accounts().version(app, id).await?, uri);
    if let Some(unchanged) = not_modified(headers, &tag) {
        return Ok(unchanged);
    }
    let (tag, rendered) = match state.answers.get(&tag) {
        Some(kept) => (tag, kept),
        None => {
            let account = state.passbook.accounts().get(app, id).await?;
            // The tag of what is rendered, should the account have changed meanwhile.
            let tag = etag(&AccountVersion::of(&account), uri);
            let rendered = Arc::new(render(account).await?);
            state.answers.put(&tag, &rendered);
            (tag, rendered)
        }
    };
    Ok(respond(state, &rendered, extra, &tag))
}

/// The envelope around a rendering, with this answer's headers.
fn respond(state: &AppState, rendered: &Rendered, extra: HeaderMap, tag: &HeaderValue) -> Response {
    let mut envelope = super::success(state, rendered.message, &*rendered.data);
    if let Some(meta) = &rendered.meta {
        envelope = envelope.with_meta(&**meta);
    }
    // Written once into a buffer of the right size (`Json` starts at 128 bytes and grows by
    // copying: five copies of a 10 KB page).
    let mut body = Vec::with_capacity(rendered.len() + ENVELOPE_BYTES);
    serde_json::to_writer(&mut body, &envelope).expect("wire types serialise to JSON");
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.extend(extra);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    mark(headers, tag);
    response
}

/// Room for the envelope around an answer's `data` and `meta` (status, message, timestamp).
const ENVELOPE_BYTES: usize = 256;

/// The validator of this request's answer about the account at `version`: a digest of the
/// version and the request's path and query (their bytes, each text led by its length, so that
/// no two versions read alike; not formatted, as this runs on every read).
pub fn etag(version: &AccountVersion, uri: &Uri) -> HeaderValue {
    let f = &version.freshness;
    let mut bytes = Vec::with_capacity(160);
    let mut text = |s: &str| {
        bytes.extend_from_slice(&(s.len() as u64).to_le_bytes());
        bytes.extend_from_slice(s.as_bytes());
    };
    text(&version.id);
    text(version.data_status.as_str());
    text(f.last_failure.as_deref().unwrap_or("\0none"));
    text(uri.path_and_query().map_or("", |p| p.as_str()));
    let at = |t: Option<Timestamp>| t.map_or([0xff; 9], |t| stamp(t.0));
    for part in [stamp(version.updated_at.0), at(f.last_refreshed_at), at(f.last_failed_at), at(f.next_refresh_at)] {
        bytes.extend_from_slice(&part);
    }
    bytes.extend_from_slice(&version.transaction_count.to_le_bytes());
    let digest = passbook_domain::crypto::short_digest(&bytes);
    HeaderValue::from_str(&format!("W/\"{digest}\"")).expect("hex is a valid header value")
}

/// A time as nine bytes: a leading 0 (a time that is absent is nine `0xff`).
fn stamp(ms: i64) -> [u8; 9] {
    let mut out = [0u8; 9];
    out[1..].copy_from_slice(&ms.to_le_bytes());
    out
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
