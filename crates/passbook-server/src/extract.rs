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
        // No text Passbook keeps or searches may hold NUL (PostgreSQL's text cannot).
        if escapes_nul(raw.get()) {
            let value: serde_json::Value = serde_json::from_str(raw.get()).unwrap_or_default();
            let field = nul_field(&value, "").unwrap_or_else(|| "The request body".into());
            return Err(ApiError::new(StatusCode::BAD_REQUEST, format!("{field} must not contain control characters")));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(raw.get().as_bytes())?;
        Ok(Self(value))
    }
}

/// Whether JSON text holds the escape `\u0000` (and not an escaped backslash before `u0000`).
fn escapes_nul(json: &str) -> bool {
    json.match_indices("\\u0000").any(|(at, _)| json[..at].bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 0)
}

/// The dotted path of the first string in `value` that holds NUL.
fn nul_field(value: &serde_json::Value, at: &str) -> Option<String> {
    let join = |key: &str| if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
    match value {
        serde_json::Value::String(text) => text.contains('\0').then(|| at.to_string()),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| nul_field(v, &format!("{at}[{i}]")))
        }
        serde_json::Value::Object(fields) => fields
            .iter()
            .find_map(|(k, v)| if k.contains('\0') { Some(join("(a key)")) } else { nul_field(v, &join(k)) }),
        _ => None,
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

#[cfg(test)]
mod tests {
    #[test]
    fn nul_escapes_are_told_from_escaped_backslashes() {
        assert!(super::escapes_nul(r#"{"a":"x\u0000"}"#));
        assert!(!super::escapes_nul(r#"{"a":"x\\u0000"}"#), "a backslash, then the text u0000");
        assert!(super::escapes_nul(r#"{"a":"x\\\u0000"}"#));
        assert!(!super::escapes_nul(r#"{"a":"x"}"#));
    }

    #[test]
    fn the_field_holding_nul_is_named() {
        let value = serde_json::json!({"customer": {"name": "ok", "tags": ["x", "a\u{0}"]}});
        assert_eq!(super::nul_field(&value, "").as_deref(), Some("customer.tags[1]"));
        assert_eq!(super::nul_field(&serde_json::json!({"a": 1}), ""), None);
    }
}
