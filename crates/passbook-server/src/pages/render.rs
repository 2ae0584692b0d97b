//! Chooses and fills the template for the step a link session is on.
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use passbook_domain::Error;
use passbook_domain::Timestamp;
use passbook_domain::linking::last_digits;
use passbook_domain::model::{
    AuthMethod, DiscoveredAccount, FailureReason, Institution, LinkMode, StatementPreview, WayIn,
};
use passbook_domain::services::{LinkView, StepView};
use passbook_domain::statement_file::{ReconciliationStatus, minor};

use super::page_url;
use super::views::{
    AccountItem, AccountsPage, AuthMethodPage, Chrome, ConsentPage, DEFAULT_BRAND, InstitutionItem, InstitutionsPage,
    IntroPage, LoginPage, OutcomePage, ReviewItem, ReviewPage, UploadPage, WidgetBridge, method_choices, new_nonce,
    script_json,
};

/// The page for a link's view: a pure function of what the domain decided.
pub fn step(token: &str, view: LinkView) -> Response {
    let chrome = chrome_of(token, &view);
    let nonce = chrome.nonce.clone();
    let continue_url = view.can_continue.then(|| format!("{}/continue", page_url(token)));
    let mode = view.mode;
    match view.step {
        StepView::Intro => html(IntroPage { chrome }, mode, &nonce),
        StepView::ChooseInstitution { query, institutions } => {
            let institutions = institutions.iter().map(InstitutionItem::new).collect();
            html(InstitutionsPage { chrome, query, institutions }, mode, &nonce)
        }
        StepView::ChooseAuthMethod { institution } => html(
            AuthMethodPage {
                chrome,
                institution_name: institution.name.clone(),
                methods: method_choices(&institution, None),
            },
            mode,
            &nonce,
        ),
        StepView::Login { institution, auth_method, error } => {
            html(login_page(chrome, &institution, auth_method, error), mode, &nonce)
        }
        StepView::Challenge { institution, challenge, error } => {
            let page = LoginPage {
                chrome,
                institution_name: institution.name.clone(),
                title: challenge.title,
                action: "challenge",
                submit_label: "Continue",
                fields: challenge.fields,
                error,
                other_methods: Vec::new(),
            };
            html(page, mode, &nonce)
        }
        StepView::UploadStatement { institution, error, password_needed } => {
            let logins = institution.auth_methods.iter().filter(|a| a.method.way_in() == WayIn::Credentials);
            let page = UploadPage {
                chrome,
                institution_name: institution.name.clone(),
                error,
                password_needed,
                other_methods: logins.map(|a| (a.method.as_str(), a.method.label())).collect(),
            };
            html(page, mode, &nonce)
        }
        StepView::ReviewStatement { accounts, report, .. } => {
            let accounts = accounts.iter().map(review_item).collect();
            let page = ReviewPage {
                chrome,
                accounts,
                rows_read: report.rows_read,
                skipped: report.skipped,
                skipped_total: report.skipped_total,
            };
            html(page, mode, &nonce)
        }
        StepView::Consent { institution, error, bank_url } => {
            let page = ConsentPage { chrome, institution_name: institution.name.clone(), error, bank_url };
            html(page, mode, &nonce)
        }
        StepView::SelectAccounts { accounts, error } => {
            let accounts = accounts.into_iter().map(account_item).collect();
            html(AccountsPage { chrome, error, accounts }, mode, &nonce)
        }
        StepView::Linked { account_count, auth_code } => {
            html(linked_page(chrome, account_count, auth_code, continue_url), mode, &nonce)
        }
        StepView::Failed { reason } => html(failed_page(chrome, reason, continue_url), mode, &nonce),
    }
}

/// What every page has around its step: the app's name and colour, the page's address, the
/// widget's bridge to the parent window, and this answer's script nonce.
fn chrome_of(token: &str, view: &LinkView) -> Chrome {
    let widget = match view.mode {
        LinkMode::Hosted | LinkMode::Api => None,
        LinkMode::Widget => Some(WidgetBridge {
            events_json: script_json(&view.messages),
            origin_json: script_json(&view.widget_origin),
            reference_json: script_json(&view.reference),
            page_name_json: script_json(&view.page_name),
        }),
    };
    Chrome {
        app_name: view.app_name.clone(),
        brand_color: view.brand_color.clone().unwrap_or_else(|| DEFAULT_BRAND.to_string()),
        page_url: page_url(token),
        widget,
        nonce: new_nonce(),
    }
}

fn login_page(chrome: Chrome, institution: &Institution, auth_method: AuthMethod, error: Option<String>) -> LoginPage {
    let spec = institution.auth_method(auth_method);
    LoginPage {
        chrome,
        institution_name: institution.name.clone(),
        title: spec.map_or_else(|| format!("Log in to {}", institution.name), |s| s.title.clone()),
        action: "login",
        submit_label: "Log in",
        fields: spec.map(|s| s.form.clone()).unwrap_or_default(),
        error,
        other_methods: method_choices(institution, Some(auth_method)),
    }
}

fn account_item(account: DiscoveredAccount) -> AccountItem {
    AccountItem {
        last_digits: last_digits(&account.account_number),
        choice: account.choice(),
        name: account.name,
        kind: account.kind,
        currency: account.currency,
    }
}

fn linked_page(
    chrome: Chrome,
    account_count: usize,
    auth_code: Option<String>,
    continue_url: Option<String>,
) -> OutcomePage {
    let app_name = chrome.app_name.clone();
    OutcomePage {
        icon: "✓",
        heading: if account_count == 1 { "Account linked".into() } else { format!("{account_count} accounts linked") },
        detail: format!("{app_name} can now read the data you agreed to share."),
        continue_url,
        widget_code: auth_code,
        chrome,
    }
}

fn failed_page(chrome: Chrome, reason: FailureReason, continue_url: Option<String>) -> OutcomePage {
    let detail = match reason {
        FailureReason::TooManyAttempts => {
            "Too many unsuccessful login attempts. Ask the app for a new link to try again."
        }
        FailureReason::UserCancelled => "No account was linked.",
    };
    OutcomePage {
        icon: "✕",
        heading: "Linking stopped".into(),
        detail: detail.into(),
        continue_url,
        widget_code: None,
        chrome,
    }
}

fn review_item(p: &StatementPreview) -> ReviewItem {
    let day = |t: Option<Timestamp>| t.map_or_else(|| "?".to_string(), |t| t.to_iso()[..10].to_string());
    let money = |m: Option<i64>| m.map_or_else(|| "not stated".to_string(), |m| format!("{} {}", p.currency, minor(m)));
    ReviewItem {
        name: p.name.clone(),
        number: p.account_number.clone(),
        currency: if p.currency.is_empty() { "currency not stated".into() } else { p.currency.clone() },
        period: format!("{} to {}", day(p.first_day), day(p.last_day)),
        transactions: p.transactions,
        opening: money(p.opening),
        closing: money(p.closing),
        reconciliation: match p.reconciliation {
            ReconciliationStatus::Balanced => "The balances and transactions add up.",
            ReconciliationStatus::Unbalanced => "The balances in this file do not add up to its transactions.",
            ReconciliationStatus::Unverifiable => "The file shows no balances to check its transactions against.",
        },
    }
}

/// A page for a link that cannot be used (unknown, expired, a bad widget set-up) or a failure
/// on our side. It carries no actions, so it may be framed: a widget shows it in its iframe.
pub fn error(err: Error) -> Response {
    let (status, heading) = match &err {
        Error::NotFound(_) => (StatusCode::NOT_FOUND, "Link not found"),
        Error::Gone(_) => (StatusCode::GONE, "Link expired"),
        Error::Unauthorized(_) | Error::Forbidden(_) => (StatusCode::UNAUTHORIZED, "This app cannot be connected"),
        Error::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts"),
        Error::Invalid { .. } | Error::Conflict(_) => (StatusCode::BAD_REQUEST, "This link cannot be used"),
        Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "Something went wrong"),
        Error::Store(_) | Error::Internal(_) => {
            tracing::error!(error = %err, "link page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong")
        }
    };
    let detail = match &err {
        Error::Store(_) | Error::Internal(_) | Error::Unavailable(_) => "Please try again in a moment.".to_string(),
        Error::Invalid { .. }
        | Error::Unauthorized(_)
        | Error::Forbidden(_)
        | Error::NotFound(_)
        | Error::Conflict(_)
        | Error::Gone(_)
        | Error::TooManyAttempts(_) => err.to_string(),
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

/// A page outside a link (the sandbox open bank's), with the headers of a hosted page.
pub fn page(template: impl Template, nonce: &str) -> Response {
    html(template, LinkMode::Hosted, nonce)
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
