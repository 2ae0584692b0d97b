//! The operator console at `/console`: server-rendered pages for the people who run Passbook.
//!
//! Every page works without JavaScript (forms post, and are answered with a redirect back or,
//! for a secret shown once, with the page itself); `console.js` only adds live updates and
//! auto-submitting filters. Handlers are thin: the [`Signed`](passbook_domain::services::console::Signed)
//! operator and the form go to a `Passbook` console method, which checks the role and writes the
//! audit line. Each answer carries a strict CSP (scripts and styles only from `/console/assets`).
mod accounts;
mod admin;
mod apps;
mod charts;
mod connectors;
mod format;
mod links;
mod overview;
mod params;
mod session;
mod webhooks;

use askama::Template;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use passbook_domain::Error;

use crate::AppState;

pub(crate) use params::{Fields, Params};
pub(crate) use session::{Acting, Chrome, Operator};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(overview::show))
        .route("/console/login", get(session::login_page).post(session::log_in))
        .route("/console/logout", post(session::log_out))
        .route("/console/join/{token}", get(session::join_page).post(session::join))
        .route("/console/apps", get(apps::list).post(apps::create))
        .route("/console/apps/{id}", get(apps::show))
        .route("/console/apps/{id}/{action}", post(apps::act))
        .route("/console/accounts", get(accounts::list))
        .route("/console/accounts/{id}", get(accounts::show))
        .route("/console/accounts/{id}/refresh", post(accounts::refresh))
        .route("/console/accounts/{id}/unlink", get(accounts::confirm_unlink).post(accounts::unlink))
        .route("/console/links", get(links::list))
        .route("/console/links/{id}", get(links::show))
        .route("/console/webhooks", get(webhooks::list))
        .route("/console/webhooks/{app}/replay", post(webhooks::replay_range))
        .route("/console/webhooks/{app}/{event}", get(webhooks::show))
        .route("/console/webhooks/{app}/{event}/replay", post(webhooks::replay_one))
        .route("/console/institutions", get(admin::institutions))
        .route("/console/institutions/{id}/status", post(admin::set_institution_status))
        .route("/console/connectors", get(connectors::list))
        .route("/console/connectors/{name}", post(connectors::save))
        .route("/console/connectors/{name}/remove", get(connectors::confirm_remove).post(connectors::remove))
        .route("/console/operators", get(admin::operators))
        .route("/console/operators/invite", post(admin::invite))
        .route("/console/operators/invitations/{id}/revoke", post(admin::revoke_invitation))
        .route("/console/operators/{id}/role", post(admin::change_role))
        .route("/console/operators/{id}/remove", get(admin::confirm_remove).post(admin::remove))
        .route("/console/audit", get(admin::audit))
        .route("/console/assets/console.css", get(css))
        .route("/console/assets/console.js", get(js))
        .layer(middleware::from_fn(console_headers))
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Console pages run only their own assets, are never framed and never sent elsewhere as a
/// referrer.
async fn console_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", include_str!("../../assets/console.css"))
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("../../assets/console.js"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Renders a page, or a plain failure page if the template cannot render.
fn render(template: impl Template) -> Response {
    render_with(StatusCode::OK, template)
}

fn render_with(status: StatusCode, template: impl Template) -> Response {
    match template.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "console template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<h1>Something went wrong</h1>".to_string())).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    heading: &'a str,
    message: String,
}

/// The confirmation step of a destructive action: a page of its own, so it works without
/// JavaScript; its form posts to `action`.
#[derive(Template)]
#[template(path = "console/confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    title: &'static str,
    heading: String,
    warning: String,
    action: String,
    button: &'static str,
    button_id: &'static str,
    back: String,
    back_label: &'static str,
}

/// A console failure as a page: the status the API would answer, and a message that names the
/// problem (server-side failures are logged, not shown).
pub(crate) struct ConsoleError(pub Error);

impl From<Error> for ConsoleError {
    fn from(err: Error) -> Self {
        Self(err)
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let api = crate::error::ApiError::from(self.0);
        error_page(api.status, &api.message)
    }
}

pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    let heading = match status {
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        StatusCode::UNAUTHORIZED => "Not logged in",
        s if s.is_client_error() => "That did not work",
        _ => "Something went wrong",
    };
    render_with(status, ErrorPage { heading, message: message.to_string() })
}

type ConsoleResult<T = Response> = Result<T, ConsoleError>;

/// After an action: back to `to`, with a notice the page shows (one of [`notice`]'s codes).
fn done(to: &str, notice: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}notice={notice}")).into_response()
}

/// The message of a notice code; unknown codes show nothing, so a link cannot put words on
/// the page.
fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "renamed" => "The app was renamed.",
        "webhook_url" => "The webhook URL was saved.",
        "refresh_interval" => "The refresh interval was saved.",
        "test_webhook" => "A test webhook was queued; it shows in the webhook log.",
        "sandbox_clock" => "The sandbox clock moved; each account had the refreshes of the days crossed.",
        "refresh" => "A refresh was queued; the account's status changes when it finishes.",
        "unlinked" => "The account was unlinked and its data deleted.",
        "replayed" => "The event was queued for delivery again.",
        "status" => "The institution's status was saved; the link page and /v3/institutions show it now.",
        "role" => "The operator's role was changed; it applies to their next request.",
        "removed" => "The operator was removed and logged out everywhere.",
        "connector_saved" => {
            "The connector's settings were saved; every Passbook process offers its institutions within seconds."
        }
        "connector_removed" => "The connector was switched off and its settings deleted.",
        _ => return None,
    })
}
