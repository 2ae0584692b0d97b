//! Who is at the console: logging in and out, joining by invitation, and the [`Operator`]
//! extractor every other page takes, with the CSRF check of every form.
use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use passbook_domain::Error;
use passbook_domain::model::Permission;
use passbook_domain::services::console::{LOGIN_WINDOW_MS, LoginForm, OpenedSession, SESSION_TTL_MS, Signed};

use super::{ConsoleError, ConsoleResult, Fields, render, render_with};
use crate::AppState;

const SESSION_COOKIE: &str = "pb_console";
/// The login and join forms' CSRF token, before there is a session (double submit).
const FORM_COOKIE: &str = "pb_console_form";

/// The signed-in operator of a console request; without a live session for this browser, the
/// request is sent to the login page.
pub(crate) struct Operator(pub Signed);

/// The frame of every console page.
pub(crate) struct Chrome {
    pub email: String,
    pub role: &'static str,
    pub csrf: String,
    pub section: &'static str,
    pub notice: Option<&'static str>,
    pub can_apps: bool,
    pub can_replay: bool,
    pub can_sandbox: bool,
    pub can_accounts: bool,
    pub can_institutions: bool,
    pub can_invite: bool,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = || Redirect::to("/console/login").into_response();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else { return Err(to_login()) };
        match state.passbook.console().signed_in(&token, browser(&parts.headers)).await {
            Ok(Some(signed)) => Ok(Operator(signed)),
            Ok(None) => Err(to_login()),
            Err(err) => Err(ConsoleError(err).into_response()),
        }
    }
}

impl Operator {
    /// What every page's frame shows: who is here, what they may do, and the notice of the
    /// action that led here.
    pub fn chrome(&self, section: &'static str, notice: Option<&str>) -> Chrome {
        let op = &self.0.operator;
        Chrome {
            email: op.email.clone(),
            role: op.role.as_str(),
            csrf: self.0.csrf.clone(),
            section,
            notice: super::notice(notice),
            can_apps: op.role.can(Permission::ManageApps),
            can_replay: op.role.can(Permission::ReplayWebhooks),
            can_sandbox: op.role.can(Permission::UseSandbox),
            can_accounts: op.role.can(Permission::ManageAccounts),
            can_institutions: op.role.can(Permission::ManageInstitutions),
            can_invite: op.role.can(Permission::InviteOperators),
        }
    }
}

/// A form posted by a signed-in operator, with this session's CSRF token: every console action
/// takes one, so no action can skip the check.
pub(crate) struct Acting {
    pub operator: Operator,
    pub form: HashMap<String, String>,
}

impl FromRequest<AppState> for Acting {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let operator = Operator::from_request_parts(&mut parts, state).await?;
        let Fields(form) = Fields::from_request(Request::from_parts(parts, body), state).await?;
        match form.get("csrf") {
            Some(sent) if same(sent, &operator.0.csrf) => Ok(Acting { operator, form }),
            _ => {
                Err(ConsoleError(state.passbook.console().refuse(&operator.0, CSRF_REFUSED.into()).await)
                    .into_response())
            }
        }
    }
}

const CSRF_REFUSED: &str =
    "The form's security token is missing or out of date (CSRF check); reload the page and try again";

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The client's address (behind a trusted proxy, the one it forwards), which login limits count by.
pub(crate) struct PeerAddress(String);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(crate::client_address::of(&parts.extensions).map(|ip| ip.to_string()).unwrap_or_default()))
    }
}

fn browser(headers: &HeaderMap) -> &str {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// `HttpOnly`, `SameSite=Strict`, only under `/console`, and `Secure` when Passbook is served
/// over TLS (its public URL is https).
fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.passbook.public_url().starts_with("https://") { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie values are ASCII")
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    form_token: String,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/join.html")]
struct JoinPage {
    form_token: String,
    role: &'static str,
    first: bool,
    error: Option<String>,
}

/// A page with a fresh form token, set as a cookie too.
fn with_form_token(state: &AppState, page: impl FnOnce(String) -> Response) -> Response {
    let token = passbook_domain::ids::random_alnum(32);
    let mut response = page(token.clone());
    response.headers_mut().append(header::SET_COOKIE, set_cookie(state, FORM_COOKIE, &token, 3600));
    response
}

fn check_form_token(headers: &HeaderMap, form: &HashMap<String, String>) -> ConsoleResult<()> {
    match (cookie(headers, FORM_COOKIE), form.get("form_token")) {
        (Some(kept), Some(sent)) if same(&kept, sent) => Ok(()),
        // Before a login there is nobody to audit.
        _ => Err(ConsoleError(Error::Forbidden(CSRF_REFUSED.into()))),
    }
}

pub async fn login_page(State(state): State<AppState>) -> Response {
    with_form_token(&state, |form_token| render(LoginPage { form_token, email: String::new(), error: None }))
}

pub async fn log_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    PeerAddress(address): PeerAddress,
    Fields(form): Fields,
) -> ConsoleResult {
    check_form_token(&headers, &form)?;
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let login =
        LoginForm { email: field("email"), password: field("password"), address: &address, browser: browser(&headers) };
    match state.passbook.console().log_in(&login).await {
        Ok(opened) => Ok(signed_in(&state, opened)),
        Err(err @ (Error::Unauthorized(_) | Error::TooManyAttempts(_))) => {
            let (status, retry) = match &err {
                Error::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, true),
                _ => (StatusCode::UNAUTHORIZED, false),
            };
            let email = field("email").to_string();
            let mut response = with_form_token(&state, |form_token| {
                render_with(status, LoginPage { form_token, email, error: Some(err.to_string()) })
            });
            if retry {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(LOGIN_WINDOW_MS / 1000));
            }
            Ok(response)
        }
        Err(err) => Err(err.into()),
    }
}

/// Sets the session cookie and goes to the overview.
fn signed_in(state: &AppState, opened: OpenedSession) -> Response {
    let mut response = Redirect::to("/console").into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, set_cookie(state, SESSION_COOKIE, &opened.token, SESSION_TTL_MS / 1000));
    headers.append(header::SET_COOKIE, set_cookie(state, FORM_COOKIE, "", 0));
    tracing::info!(operator = %opened.operator.id, "console login");
    response
}

pub async fn log_out(State(state): State<AppState>, Acting { operator, .. }: Acting) -> ConsoleResult {
    state.passbook.console().log_out(&operator.0).await?;
    let mut response = Redirect::to("/console/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", 0));
    Ok(response)
}

pub async fn join_page(State(state): State<AppState>, Path(token): Path<String>) -> ConsoleResult {
    let invite = state.passbook.console().invitation(&token).await?;
    Ok(with_form_token(&state, |form_token| {
        render(JoinPage { form_token, role: invite.role.as_str(), first: invite.invited_by.is_none(), error: None })
    }))
}

pub async fn join(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Fields(form): Fields,
) -> ConsoleResult {
    check_form_token(&headers, &form)?;
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("password") != field("confirm") {
        let invite = state.passbook.console().invitation(&token).await?;
        let error = Some("The two passwords differ; type the same password twice".to_string());
        return Ok(with_form_token(&state, |form_token| {
            render_with(
                StatusCode::BAD_REQUEST,
                JoinPage { form_token, role: invite.role.as_str(), first: invite.invited_by.is_none(), error },
            )
        }));
    }
    match state.passbook.console().join(&token, field("email"), field("password"), browser(&headers)).await {
        Ok(opened) => Ok(signed_in(&state, opened)),
        Err(err @ (Error::Invalid { .. } | Error::Conflict(_))) => {
            let invite = state.passbook.console().invitation(&token).await?;
            let error = Some(err.to_string());
            Ok(with_form_token(&state, |form_token| {
                render_with(
                    StatusCode::BAD_REQUEST,
                    JoinPage { form_token, role: invite.role.as_str(), first: invite.invited_by.is_none(), error },
                )
            }))
        }
        Err(err) => Err(err.into()),
    }
}
