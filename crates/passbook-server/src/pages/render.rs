//! Chooses and fills the template for the step a link session is on.
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use passbook_domain::model::{LinkMode, LinkSession, LinkStep};
use passbook_domain::services::page_name;
use passbook_domain::{Error, Passbook};

use super::page_url;
use super::views::*;

pub async fn step(
    passbook: &Passbook,
    token: &str,
    session: LinkSession,
    app_name: &str,
    query: Option<&str>,
) -> Response {
    let widget = match session.mode {
        LinkMode::Hosted | LinkMode::Api => None,
        LinkMode::Widget => match passbook.take_widget_events(&session).await {
            Ok(events) => Some(WidgetBridge {
                events_json: script_json(&events),
                origin_json: script_json(&session.flow.widget_origin),
                reference_json: script_json(&session.reference),
                page_name_json: script_json(&page_name(&session)),
            }),
            Err(err) => return error(err),
        },
    };
    let institution = passbook.session_institution(&session).ok();
    let chrome = Chrome {
        app_name: app_name.to_string(),
        brand_color: institution.map_or(DEFAULT_BRAND.to_string(), |i| i.primary_color.clone()),
        page_url: page_url(token),
        widget,
        nonce: new_nonce(),
    };
    let nonce = chrome.nonce.clone();
    let mode = session.mode;
    let error = session.flow.error.clone();
    if !session.flow.consented && !session.step.is_final() {
        return html(IntroPage { chrome }, mode, &nonce);
    }
    match (session.step, institution) {
        (LinkStep::ChooseInstitution, _) | (_, None) if !session.step.is_final() => {
            let query = query.unwrap_or_default().to_string();
            let institutions = passbook.institutions.search(&query).map(InstitutionItem::new).collect();
            html(InstitutionsPage { chrome, query, institutions }, mode, &nonce)
        }
        (LinkStep::ChooseAuthMethod, Some(inst)) => html(
            AuthMethodPage { chrome, institution_name: inst.name.clone(), methods: method_choices(inst, None) },
            mode,
            &nonce,
        ),
        (LinkStep::Login, Some(inst)) => {
            let method = session.flow.auth_method;
            let spec = method.and_then(|m| inst.auth_method(m)).or(inst.auth_methods.first());
            let page = LoginPage {
                chrome,
                institution_name: inst.name.clone(),
                title: spec.map_or_else(|| format!("Log in to {}", inst.name), |s| s.title.clone()),
                action: "login",
                submit_label: "Log in",
                fields: spec.map(|s| s.form.clone()).unwrap_or_default(),
                error,
                other_methods: method_choices(inst, method),
            };
            html(page, mode, &nonce)
        }
        (LinkStep::Challenge, Some(inst)) => {
            let challenge = session.flow.challenge.clone();
            let page = LoginPage {
                chrome,
                institution_name: inst.name.clone(),
                title: challenge.as_ref().map_or_else(|| "Verify it's you".into(), |c| c.title.clone()),
                action: "challenge",
                submit_label: "Continue",
                fields: challenge.map(|c| c.fields).unwrap_or_default(),
                error,
                other_methods: Vec::new(),
            };
            html(page, mode, &nonce)
        }
        (LinkStep::SelectAccounts, Some(_)) => {
            let accounts = session
                .flow
                .discovered
                .iter()
                .map(|a| AccountItem {
                    connector_ref: a.connector_ref.clone(),
                    name: a.name.clone(),
                    kind: a.kind.clone(),
                    currency: a.currency.clone(),
                    last_digits: a.account_number.chars().skip(a.account_number.len().saturating_sub(4)).collect(),
                })
                .collect();
            html(AccountsPage { chrome, error, accounts }, mode, &nonce)
        }
        _ => outcome(passbook, token, &session, chrome),
    }
}

fn outcome(passbook: &Passbook, token: &str, session: &LinkSession, chrome: Chrome) -> Response {
    let continue_url = passbook.redirect_target(session).map(|_| format!("{}/continue", page_url(token)));
    let (app_name, nonce) = (chrome.app_name.clone(), chrome.nonce.clone());
    let page = if session.step == LinkStep::Linked {
        let count = session.flow.linked_account_ids.len();
        OutcomePage {
            icon: "✓",
            heading: if count == 1 { "Account linked".into() } else { format!("{count} accounts linked") },
            detail: format!("{app_name} can now read the data you agreed to share."),
            continue_url,
            widget_code: session.flow.auth_code.clone(),
            chrome,
        }
    } else {
        let detail = match session.flow.failure_reason.as_deref() {
            Some("too_many_attempts") => {
                "Too many unsuccessful login attempts. Ask the app for a new link to try again."
            }
            _ => "No account was linked.",
        };
        OutcomePage {
            icon: "✕",
            heading: "Linking stopped".into(),
            detail: detail.into(),
            continue_url,
            widget_code: None,
            chrome,
        }
    };
    html(page, session.mode, &nonce)
}

/// A page for a link that cannot be used (unknown, expired, a bad widget set-up) or a failure
/// on our side. It carries no actions, so it may be framed: a widget shows it in its iframe.
pub fn error(err: Error) -> Response {
    let (status, heading) = match &err {
        Error::NotFound(_) => (StatusCode::NOT_FOUND, "Link not found"),
        Error::Gone(_) => (StatusCode::GONE, "Link expired"),
        Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "This app cannot be connected"),
        Error::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts"),
        Error::Store(_) | Error::Internal(_) => {
            tracing::error!(error = %err, "link page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong")
        }
        _ => (StatusCode::BAD_REQUEST, "This link cannot be used"),
    };
    let detail = match &err {
        Error::Store(_) | Error::Internal(_) => "Please try again in a moment.".to_string(),
        other => other.to_string(),
    };
    let nonce = new_nonce();
    let chrome = Chrome {
        app_name: "The app".into(),
        brand_color: DEFAULT_BRAND.into(),
        page_url: String::new(),
        widget: None,
        nonce: nonce.clone(),
    };
    let page =
        OutcomePage { chrome, icon: "!", heading: heading.into(), detail, continue_url: None, widget_code: None };
    (status, html(page, LinkMode::Widget, &nonce)).into_response()
}

/// Renders with the headers every page gets. Hosted pages refuse to be framed (clickjacking);
/// widget pages are meant to be framed by the integrator's site.
fn html(template: impl Template, mode: LinkMode, nonce: &str) -> Response {
    let mut response = match template.render() {
        Ok(body) => Html(body).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<h1>Something went wrong</h1>".to_string())).into_response()
        }
    };
    // The widget fetches its next step from this server (connect-src); hosted pages navigate.
    let (ancestors, connect) = match mode {
        LinkMode::Hosted | LinkMode::Api => ("'none'", "'none'"),
        LinkMode::Widget => ("*", "'self'"),
    };
    let csp = format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; img-src 'self' data:; \
         connect-src {connect}; base-uri 'none'; frame-ancestors {ancestors}"
    );
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).expect("ASCII"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if mode == LinkMode::Hosted {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}
