//! The Mono v2 JSON API.
mod accounts;
mod initiate;
mod institutions;
mod wire;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/accounts/initiate", post(initiate::initiate))
        .route("/v2/accounts", get(accounts::list))
        .route("/v2/accounts/{id}", get(accounts::details))
        .route("/v2/accounts/{id}/balance", get(accounts::balance))
        .route("/v2/accounts/{id}/identity", get(accounts::identity))
        .route("/v2/accounts/{id}/transactions", get(accounts::transactions))
        .route("/v3/institutions", get(institutions::list))
}

/// The success envelope with Mono's message for the endpoint.
fn success<T, M>(state: &AppState, message: &str, data: T) -> passbook_types::Success<T, M> {
    passbook_types::Success::new(message, state.passbook.clock.now().to_iso(), data)
}
