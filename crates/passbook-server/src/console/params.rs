//! What a console request carries: its query string and a posted form. A malformed one is
//! answered with the console's error page (what was wrong, in the status axum gives it), not
//! axum's plain text.
use std::collections::HashMap;

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use serde::de::DeserializeOwned;

use super::error_page;

/// A console page's query string.
pub(crate) struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(params)) => Ok(Params(params)),
            Err(rejection) => {
                Err(error_page(StatusCode::BAD_REQUEST, &format!("Invalid query string: {}", rejection.body_text())))
            }
        }
    }
}

/// The fields of a posted form.
pub(crate) struct Fields(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        match Form::<HashMap<String, String>>::from_request(request, state).await {
            Ok(Form(fields)) => Ok(Fields(fields)),
            Err(rejection) => Err(error_page(rejection.status(), &format!("Invalid form: {}", rejection.body_text()))),
        }
    }
}
