//! Extractors that turn requests into domain input, rejecting with the failed envelope.
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use passbook_domain::model::App;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The app that the `mono-sec-key` header authenticates. A middleware that authenticated the
/// request already (`Idempotency-Key`) leaves the app in the request's extensions.
#[derive(Clone)]
pub struct AuthApp(pub App);

impl FromRequestParts<AppState> for AuthApp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(authenticated) = parts.extensions.get::<AuthApp>() {
            return Ok(authenticated.clone());
        }
        let key = parts.headers.get("mono-sec-key").and_then(|v| v.to_str().ok());
        Ok(Self(state.passbook.authenticate(key).await?))
    }
}

/// Who an API call acts as, for the audit log: `api:` and the secret key's first characters as
/// the console lists them (its hint), so that a change names the key that made it.
pub struct ApiActor(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ApiActor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let key = parts.headers.get("mono-sec-key").and_then(|v| v.to_str().ok()).unwrap_or_default().trim();
        Ok(Self(format!("api:{}…", passbook_domain::services::key_hint(key))))
    }
}

/// A JSON body; malformed or mistyped bodies become the failed envelope.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(raw) = axum::Json::<Box<serde_json::value::RawValue>>::from_request(req, state).await?;
        // serde reads a struct from an array too (`[null]`); every body here is an object.
        if !raw.get().starts_with('{') {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "The request body must be a JSON object"));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(raw.get().as_bytes())?;
        Ok(Self(value))
    }
}

/// A query string.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(pair) = parts.uri.query().and_then(|q| q.split('&').find(|pair| pair.contains("%00"))) {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            let name = if name.contains("%00") { "A query parameter's name" } else { name };
            return Err(ApiError::new(StatusCode::BAD_REQUEST, format!("{name} must not contain control characters")));
        }
        let axum::extract::Query(value) = axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}
