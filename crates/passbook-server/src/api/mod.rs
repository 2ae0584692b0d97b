//! The Mono v2 JSON API.
mod accounts;
pub(crate) mod answer_cache;
mod conditional;
mod connect;
mod customers;
mod events;
mod health;
mod imports;
mod initiate;
mod insights;
mod institutions;
mod investments;
mod partners;
mod statements;
mod wire;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// The JSON API; statement imports may be up to `upload_limit` bytes.
pub fn router(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/v2/accounts/initiate", post(initiate::initiate))
        .route("/v2/accounts", get(accounts::list))
        .route("/v2/accounts/{id}", get(accounts::details))
        .route("/v2/accounts/{id}/balance", get(accounts::balance))
        .route("/v2/accounts/{id}/identity", get(accounts::identity))
        .route("/v2/accounts/{id}/transactions", get(accounts::transactions))
        .route("/v2/accounts/{id}/unlink", post(accounts::unlink))
        .route("/v2/accounts/{id}/statement", get(statements::statement))
        .route("/v2/accounts/{id}/income", get(insights::income))
        .route("/v2/accounts/{id}/earnings", get(investments::earnings))
        .route("/v2/accounts/{id}/assets", get(investments::assets))
        .route("/v2/accounts/{id}/income-records", get(insights::income_records))
        .route("/v2/accounts/{id}/creditworthiness", post(insights::creditworthiness))
        .route("/v2/accounts/{id}/creditworthiness/", post(insights::creditworthiness))
        .route("/v2/accounts/{id}/statement/jobs/{job_id}", get(statements::job))
        .route("/v2/accounts/{id}/statement/jobs/{job_id}/pdf", get(statements::pdf))
        .route("/v2/accounts/{id}/jobs/{job_id}", get(accounts::job))
        .route("/passbook/v1/settings", get(events::get_settings).put(events::put_settings))
        .route("/v3/institutions", get(institutions::list))
        .route("/v2/accounts/auth", post(connect::exchange))
        .route("/v2/customers", get(customers::list).post(customers::create))
        .route("/v2/customers/{id}", get(customers::show).patch(customers::update).delete(customers::delete))
        .route("/v2/connect/sandbox", get(connect::sandbox))
        .route("/v2/connect/session", post(partners::create_session))
        .route("/v2/connect/login", post(partners::login))
        .route("/v2/connect/commit", post(partners::commit))
        .route("/v2/connect/reauth/session", post(partners::reauth_session))
        .route("/v2/connect/reauth/login", post(partners::login))
        .route(
            "/passbook/v1/statements",
            post(imports::import).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/passbook/v1/events", get(events::list))
        .route("/passbook/v1/events/replay", post(events::replay_many))
        .route("/passbook/v1/events/{id}", get(events::show))
        .route("/passbook/v1/events/{id}/replay", post(events::replay_one))
        .route("/passbook/v1/webhook", get(events::get_webhook).put(events::put_webhook))
        .route("/passbook/v1/webhook/test", post(events::send_test))
        .route("/passbook/v1/webhook/secret/rotate", post(events::rotate_secret))
}

/// `meta` of a list endpoint: `link(n)` is the absolute URL of page `n`.
fn list_meta(
    page: &passbook_domain::model::PageRequest,
    total: u64,
    link: impl Fn(u64) -> String,
) -> passbook_types::ListMeta {
    let pages = total.div_ceil(page.limit.unwrap_or(1).max(1));
    passbook_types::ListMeta {
        total,
        pages,
        previous: (page.page > 1).then(|| link(page.page - 1)),
        next: (page.page < pages).then(|| link(page.page + 1)),
    }
}

/// The success envelope with Mono's message for the endpoint.
fn success<T, M>(state: &AppState, message: &str, data: T) -> passbook_types::Success<T, M> {
    passbook_types::Success::new(message, state.passbook.clock.now().to_iso(), data)
}

/// `GET /metrics`: Prometheus text.
pub(crate) async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> crate::error::ApiResult<impl axum::response::IntoResponse> {
    let text = state.passbook.render_metrics().await?;
    Ok(([("content-type", "text/plain; version=0.0.4; charset=utf-8")], text))
}
