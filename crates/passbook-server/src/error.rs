//! The one place where failures become HTTP responses: Mono's failed envelope
//! `{"status":"failed","message":…,"timestamp":…,"data":null}` with the right status code.
//! Details of server-side failures are logged, never sent.
use std::any::Any;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

use passbook_domain::{Clock, Error, SystemClock, Timestamp};
use passbook_types::Failure;

tokio::task_local! {
    /// The server's clock while a request is answered, so that a failure is stamped with the
    /// same (injected) time as a success.
    static CLOCK: Arc<dyn Clock>;
}

/// Runs the request with the server's clock at hand for its failures.
pub async fn with_clock<F: Future>(clock: Arc<dyn Clock>, answer: F) -> F::Output {
    CLOCK.scope(clock, answer).await
}

/// The request's clock; the system's outside a request.
fn now() -> Timestamp {
    CLOCK.try_with(|clock| clock.now()).unwrap_or_else(|_| SystemClock.now())
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let status = match &err {
            Error::Invalid { .. } => StatusCode::BAD_REQUEST,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Gone(_) => StatusCode::GONE,
            Error::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Store(_) | Error::Internal(_) => {
                tracing::error!(error = %err, source = ?std::error::Error::source(&err), "request failed");
                return Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error; the failure was logged");
            }
        };
        Self::new(status, err.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The request body must be JSON, sent with the header Content-Type: application/json",
            ),
            JsonRejection::JsonSyntaxError(e) => {
                Self::new(StatusCode::BAD_REQUEST, format!("Malformed JSON body: {}", e.body_text()))
            }
            JsonRejection::JsonDataError(e) => {
                Self::new(StatusCode::BAD_REQUEST, format!("Invalid JSON body: {}", e.body_text()))
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than the limit of {} bytes", crate::MAX_BODY_BYTES),
            ),
            other => Self::new(other.status(), other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, format!("Invalid query string: {}", rejection.body_text()))
    }
}

/// Seconds a client is told to wait before trying again after a 503 (a database failover or
/// restart takes a few).
const RETRY_AFTER_UNAVAILABLE: &str = "2";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Failure::new(self.message, now().to_iso());
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static(RETRY_AFTER_UNAVAILABLE));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, format!("Method {method} is not allowed on {}", uri.path()))
}

pub fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error; the failure was logged").into_response()
}
