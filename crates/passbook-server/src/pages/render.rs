//! Chooses and fills the template for the step a link session is on.
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use passbook_domain::model::{LinkSession, LinkStep};
use passbook_domain::{Error, Passbook};

use super::page_url;
use super::views::*;

pub fn step(passbook: &Passbook, token: &str, session: &LinkSession, app_name: &str, query: Option<&str>) -> Response {
    let institution = passbook.session_institution(session).ok();
    let brand_color = institution.map_or(DEFAULT_BRAND.to_string(), |i| i.primary_color.clone());
    let app_name = app_name.to_string();
    let page_url = page_url(token);
    let error = session.flow.error.clone();
    match (session.step, institution) {
        (LinkStep::ChooseInstitution, _) | (_, None) if !session.step.is_final() => {
            let query = query.unwrap_or_default().to_string();
            let institutions = passbook.institutions.search(&query).map(InstitutionItem::new).collect();
            html(InstitutionsPage { app_name, brand_color, page_url, query, institutions })
        }
        (LinkStep::ChooseAuthMethod, Some(inst)) => html(AuthMethodPage {
            app_name,
            brand_color,
            page_url,
            institution_name: inst.name.clone(),
            methods: method_choices(inst, None),
        }),
        (LinkStep::Login, Some(inst)) => {
            let method = session.flow.auth_method;
            let spec = method.and_then(|m| inst.auth_method(m)).or(inst.auth_methods.first());
            html(LoginPage {
                app_name,
                brand_color,
                page_url,
                institution_name: inst.name.clone(),
                title: spec.map_or_else(|| format!("Log in to {}", inst.name), |s| s.title.clone()),
                action: "login",
                submit_label: "Log in",
                fields: spec.map(|s| s.form.clone()).unwrap_or_default(),
                error,
                other_methods: method_choices(inst, method),
            })
        }
        (LinkStep::Challenge, Some(inst)) => {
            let challenge = session.flow.challenge.clone();
            html(LoginPage {
                app_name,
                brand_color,
                page_url,
                institution_name: inst.name.clone(),
                title: challenge.as_ref().map_or_else(|| "Verify it's you".into(), |c| c.title.clone()),
                action: "challenge",
                submit_label: "Continue",
                fields: challenge.map(|c| c.fields).unwrap_or_default(),
                error,
                other_methods: Vec::new(),
            })
        }
        (LinkStep::SelectAccounts, Some(_)) => html(AccountsPage {
            app_name,
            brand_color,
            page_url,
            error,
            accounts: session
                .flow
                .discovered
                .iter()
                .map(|a| AccountItem {
                    connector_ref: a.connector_ref.clone(),
                    name: a.name.clone(),
                    kind: a.kind.clone(),
                    currency: a.currency.clone(),
                    last_digits: a.account_number.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect(),
                })
                .collect(),
        }),
        _ => outcome(passbook, token, session, app_name, brand_color),
    }
}

fn outcome(passbook: &Passbook, token: &str, session: &LinkSession, app_name: String, brand_color: String) -> Response {
    let continue_url = passbook.redirect_target(session).map(|_| format!("{}/continue", page_url(token)));
    let page = if session.step == LinkStep::Linked {
        let count = session.flow.linked_account_ids.len();
        OutcomePage {
            icon: "✓",
            heading: if count == 1 { "Account linked".into() } else { format!("{count} accounts linked") },
            detail: format!("{app_name} can now read the data you agreed to share."),
            app_name,
            brand_color,
            continue_url,
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
            app_name,
            brand_color,
            continue_url,
        }
    };
    html(page)
}

/// A page for a link that cannot be used (unknown, expired) or a failure on our side.
pub fn error(err: Error) -> Response {
    let (status, heading) = match &err {
        Error::NotFound(_) => (StatusCode::NOT_FOUND, "Link not found"),
        Error::Gone(_) => (StatusCode::GONE, "Link expired"),
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
    let page = OutcomePage {
        app_name: "The app".into(),
        brand_color: DEFAULT_BRAND.into(),
        icon: "!",
        heading: heading.into(),
        detail,
        continue_url: None,
    };
    (status, html(page)).into_response()
}

fn html(template: impl Template) -> Response {
    match template.render() {
        Ok(body) => Html(body).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<h1>Something went wrong</h1>".to_string())).into_response()
        }
    }
}
