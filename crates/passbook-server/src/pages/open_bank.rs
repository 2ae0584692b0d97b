//! The sandbox open bank's consent page: it stands in for a bank's own page in the consent
//! redirect way in. The user approves some accounts for some days, or denies, and is sent
//! back to the link with the answer (`?state=…&code=…` or `?state=…&error=access_denied`).
//! It only sends users back to this server's own link pages.
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use passbook_domain::Error;
use passbook_domain::connector::SandboxConsentCode;
use serde::Deserialize;

use super::views::new_nonce;
use crate::AppState;

/// The accounts the sandbox open bank shows (the sandbox connector holds the same two).
const ACCOUNTS: [&str; 2] = ["Everyday account (current)", "Savings account"];

pub fn router() -> Router<AppState> {
    Router::new().route("/sandbox/open-bank/authorize", get(show).post(decide))
}

#[derive(Deserialize)]
struct Authorize {
    consent: String,
    state: String,
    redirect_uri: String,
}

#[derive(Template)]
#[template(path = "open_bank.html")]
struct ConsentPage {
    nonce: String,
    consent: String,
    state: String,
    redirect_uri: String,
    accounts: [&'static str; 2],
}

/// `redirect_uri` when it is one of this server's link pages: the same origin as the public URL
/// and, once parsed (`..` and `%2e%2e` resolved), a path under its `/link/`.
fn back_to_passbook(state: &AppState, redirect_uri: &str) -> Result<url::Url, Error> {
    let public = url::Url::parse(state.passbook.public_url()).ok();
    let links = public.as_ref().map(|p| format!("{}/link/", p.path().trim_end_matches('/')));
    url::Url::parse(redirect_uri)
        .ok()
        .filter(|u| {
            public.as_ref().is_some_and(|p| p.origin() == u.origin())
                && links.as_ref().is_some_and(|l| u.path().starts_with(l.as_str()))
        })
        .ok_or_else(|| {
            Error::invalid("redirect_uri", "The sandbox open bank sends users back only to this server's link pages")
        })
}

async fn show(State(state): State<AppState>, query: Result<Query<Authorize>, QueryRejection>) -> Response {
    let Ok(Query(q)) = query else {
        return super::error_page(Error::invalid(
            "consent",
            "This consent request is missing its consent, state or redirect_uri",
        ));
    };
    if let Err(err) = back_to_passbook(&state, &q.redirect_uri) {
        return super::error_page(err);
    }
    let nonce = new_nonce();
    let page = ConsentPage {
        nonce: nonce.clone(),
        consent: q.consent,
        state: q.state,
        redirect_uri: q.redirect_uri,
        accounts: ACCOUNTS,
    };
    super::render::page(page, &nonce)
}

async fn decide(State(state): State<AppState>, body: Bytes) -> Response {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let mut back = match back_to_passbook(&state, &get("redirect_uri")) {
        Ok(url) => url,
        Err(err) => return super::error_page(err),
    };
    let accounts: Vec<u8> = fields.iter().filter(|(k, _)| k == "account").filter_map(|(_, v)| v.parse().ok()).collect();
    {
        let mut query = back.query_pairs_mut();
        query.append_pair("state", &get("state"));
        if get("decision") == "approve" && !accounts.is_empty() {
            let days = get("days").parse().unwrap_or(90);
            query.append_pair("code", &SandboxConsentCode { consent_id: get("consent"), accounts, days }.encode());
        } else {
            query.append_pair("error", "access_denied");
        }
    }
    Redirect::to(back.as_str()).into_response()
}
