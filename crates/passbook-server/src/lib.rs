//! Passbook's HTTP layer: the Mono-compatible JSON API and the hosted link pages.
//!
//! Handlers are thin: they parse the request into domain input, call
//! [`Passbook`](passbook_domain::Passbook) and map the result to Mono's wire types. Every API
//! error becomes the failed envelope in one place, [`error::ApiError`].
mod api;
mod client_address;
mod console;
mod edge;
pub mod error;
mod extract;
mod idempotency;
pub mod large_answers;
pub mod limits;
pub mod openapi;
mod pages;
pub mod serve;
mod shedding;
mod simplefin;
mod upload;
mod write_deadline;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use passbook_domain::Passbook;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use client_address::IpNet;
pub use limits::{RateLimiter, RateLimits};
pub use serve::ConnectionLimits;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The largest statement file accepted, unless the operator sets another limit.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// What every handler shares. Cloned for each extractor and middleware of every request, so it
/// is one pointer (a profile under load found clones of the whole state at 7% of the time).
#[derive(Clone)]
pub struct AppState(std::sync::Arc<Shared>);

pub struct Shared {
    pub passbook: Passbook,
    /// The largest statement file accepted.
    pub max_upload_bytes: usize,
    /// Rendered account answers by their `ETag`.
    pub answers: api::answer_cache::AnswerCache,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What the operator tunes about the HTTP surface.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub rate_limits: RateLimits,
    /// How long one request may take before it is answered 408.
    pub request_timeout: Duration,
    /// Serve `/metrics` (on by default in sandbox mode, opt-in in production).
    pub metrics: bool,
    /// Serve the operator console at `/console`.
    pub console: bool,
    /// The largest statement file accepted (link pages and the import API).
    pub max_upload_bytes: usize,
    /// Memory for rendered account answers, kept by their `ETag` (0: none).
    pub answer_cache_bytes: usize,
    /// Proxies whose `X-Forwarded-For` names the client (per-address limits count by it).
    pub trusted_proxies: Vec<IpNet>,
    /// Answers of a megabyte or more one key may have being written at once (0: no cap).
    pub large_answers_per_key: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            rate_limits: RateLimits::default(),
            request_timeout: Duration::from_secs(30),
            metrics: true,
            console: true,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            answer_cache_bytes: 8 * 1024 * 1024,
            trusted_proxies: Vec::new(),
            large_answers_per_key: 4,
        }
    }
}

/// The whole HTTP application with default options.
pub fn router(passbook: Passbook) -> Router {
    router_with(passbook, &HttpOptions::default())
}

/// The whole HTTP application.
pub fn router_with(passbook: Passbook, options: &HttpOptions) -> Router {
    let state = AppState(std::sync::Arc::new(Shared {
        passbook,
        max_upload_bytes: options.max_upload_bytes,
        answers: api::answer_cache::AnswerCache::new(options.answer_cache_bytes),
    }));
    // Every request's way in and out, outermost first, given to the router as one layer:
    // `Router::layer` boxes the route anew for each layer, and each `from_fn` clones what is
    // inside it per request (those clones were 12% of a read under `wrk`).
    let timeout = options.request_timeout;
    let edge = tower::ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(
            edge::Edge { clock: state.passbook.clock(), trusted_proxies: options.trusted_proxies.clone().into() },
            edge::around,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(edge::request_span))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(middleware::from_fn_with_state(RateLimiter::new(options.rate_limits.clone()), limits::limit))
        .layer(middleware::from_fn_with_state(
            large_answers::LargeAnswers::new(options.large_answers_per_key),
            large_answers::limit,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), idempotency::idempotent))
        .layer(middleware::from_fn(move |request: Request, next: Next| edge::within(timeout, request, next)))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let operations = api::operations(options.max_upload_bytes);
    let api = openapi::router(operations.into_iter().filter(|op| options.metrics || op.path != "/metrics").collect());
    let console = if options.console { console::router() } else { Router::new() };
    Router::new()
        .merge(api)
        .route("/docs", axum::routing::get(serve_docs))
        .route("/docs/docs.css", axum::routing::get(openapi::serve_docs_css))
        .merge(pages::router(options.max_upload_bytes))
        .merge(simplefin::router())
        .merge(console)
        .fallback(not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(edge)
        .with_state(state)
}

/// The OpenAPI document of every operation, as `GET /openapi.json` serves it and `openapi.json`
/// at the repository's root holds it (pretty-printed).
pub fn openapi_document() -> serde_json::Value {
    openapi::document(&api::operations(DEFAULT_MAX_UPLOAD_BYTES))
}

pub fn openapi_pretty() -> String {
    serde_json::to_string_pretty(&openapi_document()).expect("a JSON value serialises")
}

/// The document and its page never change while the process runs: each is built once.
pub(crate) fn published() -> &'static (String, String) {
    static PUBLISHED: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    PUBLISHED.get_or_init(|| {
        let document = openapi_document();
        (serde_json::to_string(&document).expect("a JSON value serialises"), openapi::page(&document))
    })
}

/// `GET /docs`: the document as a page.
async fn serve_docs() -> impl IntoResponse {
    let policy = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    ([("content-security-policy", policy)], axum::response::Html(published().1.as_str()))
}

/// No route: the failed envelope, or under `/console` the console's page.
async fn not_found(uri: axum::http::Uri) -> Response {
    let message = format!("No route for {}", uri.path());
    if uri.path().starts_with("/console") {
        return console::error_page(axum::http::StatusCode::NOT_FOUND, &message);
    }
    error::ApiError::new(axum::http::StatusCode::NOT_FOUND, message).into_response()
}
