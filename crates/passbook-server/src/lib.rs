//! Passbook's HTTP layer: the Mono-compatible JSON API and the hosted link pages.
//!
//! Handlers are thin: they parse the request into domain input, call
//! [`Passbook`](passbook_domain::Passbook) and map the result to Mono's wire types. Every API
//! error becomes the failed envelope in one place, [`error::ApiError`].
mod api;
pub mod error;
mod extract;
mod pages;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use passbook_domain::Passbook;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub passbook: Passbook,
}

/// The whole HTTP application.
pub fn router(passbook: Passbook) -> Router {
    let state = AppState { passbook };
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
