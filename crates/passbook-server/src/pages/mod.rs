//! The hosted link page at `/link/{token}`: server-rendered, works without JavaScript.
//!
//! Every form posts to an action under the page's URL and is answered with a redirect back to
//! the page (post/redirect/get), which shows whatever step the session is now on. A repeated or
//! stale post therefore just shows the current step.
mod open_bank;
mod render;
mod views;

use axum::Router;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use passbook_domain::Error;
use passbook_domain::connector::Credentials;
use passbook_domain::linking::LinkAction;
use passbook_domain::model::{LinkMode, LinkSession, LinkState};
use passbook_domain::services::Advanced;
use passbook_types::connect::WidgetQuery;
use serde::Deserialize;

use crate::AppState;

pub(crate) use render::error as error_page;

/// The link pages; statement uploads may be up to `upload_limit` bytes.
pub fn router(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/link/{token}", get(show))
        .route("/link/{token}/continue", get(continue_to_app))
        .route("/link/{token}/institution", post(choose_institution))
        .route("/link/{token}/auth-method", post(choose_auth_method))
        .route("/link/{token}/login", post(login))
        .route("/link/{token}/challenge", post(challenge))
        .route("/link/{token}/accounts", post(select_accounts))
        .route(
            "/link/{token}/statement",
            post(upload_statement).layer(DefaultBodyLimit::max(crate::upload::form_limit(upload_limit))),
        )
        .route("/link/{token}/confirm", post(confirm_statement))
        .route("/link/{token}/consent-start", post(start_consent))
        .route("/link/{token}/consent-return", get(consent_returned))
        .route("/link/consent-return", get(consent_returned_registered))
        .merge(open_bank::router())
        .route("/link/{token}/back", post(back))
        .route("/link/{token}/cancel", post(cancel))
        .route("/link/{token}/consent", post(consent))
        .route("/connect", get(open_widget))
        .route("/", get(root))
        .route("/connect.js", get(connect_js))
}

/// Passbook's drop-in for `@mono.co/connect.js`: the same `Connect` API, opening this server.
const CONNECT_JS: &str = include_str!("../../assets/connect.js");

async fn connect_js() -> Response {
    ([("content-type", "text/javascript; charset=utf-8"), ("cache-control", "public, max-age=300")], CONNECT_JS)
        .into_response()
}

/// The widget's iframe lands here with `@mono.co/connect.js`'s query string; it opens a widget
/// session and continues on that session's page.
async fn open_widget(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<WidgetQuery>, QueryRejection>,
) -> Response {
    let query = match query {
        Ok(Query(query)) => query,
        Err(rejection) => return render::error(Error::invalid("query", rejection.body_text())),
    };
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
    match state.passbook.linking().open_widget(&query, referer).await {
        Ok(token) => Redirect::to(&page_url(&token)).into_response(),
        Err(err) => render::error(err),
    }
}

/// `@mono.co/connect.js` opens its iframe at the root of its host (`https://connect.mono.co/?key=…`),
/// so pointing that host at Passbook is enough: the root with a `key` is the widget.
async fn root(
    state: State<AppState>,
    headers: HeaderMap,
    query: Result<Query<WidgetQuery>, QueryRejection>,
) -> Response {
    if query.as_ref().map_or(true, |q| q.key.is_some()) {
        return open_widget(state, headers, query).await;
    }
    axum::Json(serde_json::json!({
        "name": "Passbook",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "A Mono Connect compatible account-linking and financial-data server",
    }))
    .into_response()
}

async fn consent(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    act(&state, &token, LinkAction::Consent).await
}

fn page_url(token: &str) -> String {
    format!("/link/{token}")
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    q: Option<String>,
}

async fn show(State(state): State<AppState>, Path(token): Path<String>, Query(query): Query<ShowQuery>) -> Response {
    match state.passbook.linking().page(&token, query.q.as_deref().unwrap_or_default()).await {
        Ok(view) => render::step(&token, view),
        Err(err) => render::error(err),
    }
}

/// Sends the browser on to the app once the link is finished.
async fn continue_to_app(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match state.passbook.linking().session(&token).await {
        Ok(session) => match state.passbook.linking().redirect_target(&session) {
            Some(url) => Redirect::to(&url).into_response(),
            None => Redirect::to(&page_url(&token)).into_response(),
        },
        Err(err) => render::error(err),
    }
}

/// The fields of a urlencoded form, in order (checkbox names repeat).
fn form_fields(body: &Bytes) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field(body: &Bytes, name: &str) -> String {
    form_fields(body).into_iter().find(|(k, _)| k == name).map(|(_, v)| v).unwrap_or_default()
}

fn credentials(body: &Bytes) -> Credentials {
    Credentials(form_fields(body).into_iter().collect())
}

/// Carries out an action. Hosted pages then go back to the page (post/redirect/get), which
/// shows whatever step the link is on; a widget gets its next step at once, with the messages
/// the action made for its parent window. A stale or repeated post, or a bad choice, shows the
/// page again.
async fn act(state: &AppState, token: &str, action: LinkAction) -> Response {
    let result = state.passbook.linking().act(token, action).await;
    answer(state, token, result).await
}

async fn answer(state: &AppState, token: &str, result: Result<Advanced, Error>) -> Response {
    match result {
        // Open banking: on to the bank's page, in hosted and widget mode alike.
        Ok(Advanced { session: LinkSession { state: LinkState::AwaitingConsent { bank_url, .. }, .. }, .. }) => {
            Redirect::to(&bank_url).into_response()
        }
        Ok(advanced) if advanced.session.mode == LinkMode::Widget => {
            match state.passbook.linking().advanced_view(advanced).await {
                Ok(view) => render::step(token, view),
                Err(err) => render::error(err),
            }
        }
        Ok(_) | Err(Error::Conflict(_) | Error::Invalid { .. }) => Redirect::to(&page_url(token)).into_response(),
        Err(err) => render::error(err),
    }
}

async fn choose_institution(State(state): State<AppState>, Path(token): Path<String>, body: Bytes) -> Response {
    act(&state, &token, LinkAction::ChooseInstitution(field(&body, "institution"))).await
}

async fn choose_auth_method(State(state): State<AppState>, Path(token): Path<String>, body: Bytes) -> Response {
    act(&state, &token, LinkAction::ChooseAuthMethod(field(&body, "auth_method"))).await
}

async fn login(State(state): State<AppState>, Path(token): Path<String>, body: Bytes) -> Response {
    act(&state, &token, LinkAction::Login(credentials(&body))).await
}

async fn challenge(State(state): State<AppState>, Path(token): Path<String>, body: Bytes) -> Response {
    act(&state, &token, LinkAction::AnswerChallenge(credentials(&body))).await
}

async fn select_accounts(State(state): State<AppState>, Path(token): Path<String>, body: Bytes) -> Response {
    let chosen: Vec<String> = form_fields(&body).into_iter().filter(|(k, _)| k == "account").map(|(_, v)| v).collect();
    act(&state, &token, LinkAction::SelectAccounts(chosen)).await
}

async fn upload_statement(
    State(state): State<AppState>,
    Path(token): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let upload = crate::upload::statement_upload(multipart, state.max_upload_bytes).await;
    act(&state, &token, LinkAction::UploadStatement(upload)).await
}

async fn confirm_statement(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    act(&state, &token, LinkAction::ConfirmStatement).await
}

async fn start_consent(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    act(&state, &token, LinkAction::StartConsent).await
}

/// The bank sends the user back here with its answer: an action that arrives as a `GET`, as
/// redirects do (the only `GET` that changes a link).
/// The bank sends the user back to the link's own return URL.
async fn consent_returned(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let result = state.passbook.linking().consent_returned(Some(&token), consent_answer(query)).await;
    answer(&state, &token, result.map(|(_, advanced)| advanced)).await
}

/// The bank sends the user back to the one redirect URI it has registered; the link is the one
/// `state` names.
async fn consent_returned_registered(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    match state.passbook.linking().consent_returned(None, consent_answer(query)).await {
        Ok((token, advanced)) => answer(&state, &token, Ok(advanced)).await,
        Err(err) => render::error(err),
    }
}

fn consent_answer(query: Option<String>) -> Credentials {
    Credentials(url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect())
}

async fn back(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    act(&state, &token, LinkAction::Restart).await
}

/// Cancelling a hosted link returns to the app at once, when it gave a redirect URL.
async fn cancel(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let result = state.passbook.linking().act(&token, LinkAction::Cancel).await;
    if let Ok(advanced) = &result
        && advanced.session.mode == LinkMode::Hosted
        && let Some(url) = state.passbook.linking().redirect_target(&advanced.session)
    {
        return Redirect::to(&url).into_response();
    }
    answer(&state, &token, result).await
}
