//! The way in and out of every request, around the routes: its id, its clock, its client
//! address, the headers every answer carries, and its deadline.
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use passbook_domain::Clock;

use crate::client_address::{self, IpNet};
use crate::error::{self, ApiError};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the outermost layer needs.
#[derive(Clone)]
pub struct Edge {
    pub clock: Arc<dyn Clock>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<[IpNet]>,
}

/// The outermost layer, one for several things (each layer costs every request a boxed future,
/// which a profile under `wrk` showed). Every request has an id: the caller's `x-request-id`
/// when it is a sensible one, else a new one; it is in every log line of the request and on the
/// answer. Its client address is worked out once. It runs with the server's clock at hand for
/// its failures. Answers hold bank data: no cache keeps them, and no browser guesses their type.
pub async fn around(State(edge): State<Edge>, mut request: Request, next: Next) -> Response {
    let given = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok());
    let id = match given.filter(|id| (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())) {
        Some(id) => HeaderValue::from_str(id).expect("visible ASCII"),
        None => HeaderValue::from_str(&passbook_domain::ids::random_alnum(20)).expect("alphanumeric"),
    };
    request.headers_mut().insert(REQUEST_ID, id.clone());
    client_address::resolve(&edge.trusted_proxies, &mut request);
    let mut response = error::with_clock(edge.clock, next.run(request)).await;
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID, id);
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The span of a request names its route, never its path: link tokens live in paths.
pub fn request_span(request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
    let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
    tracing::info_span!("request", method = %request.method(), route, request_id = id)
}

/// A request that takes longer than `timeout` (a client trickling its body, say) is answered 408.
pub async fn within(timeout: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("The request took longer than {} seconds and was stopped", timeout.as_secs()),
        )
        .into_response(),
    }
}
