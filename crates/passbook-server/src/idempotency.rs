//! The `Idempotency-Key` middleware: around every `POST` that carries the header and a valid
//! `mono-sec-key`, the first answer is kept and replayed (`Idempotent-Replayed: true`).
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use passbook_domain::services::request_fingerprint;
use passbook_domain::store::{IdempotencyClaim, StoredAnswer};

use crate::error::ApiError;
use crate::extract::AuthApp;
use crate::{AppState, MAX_BODY_BYTES};

/// Answers kept for replay are at most this large (JSON answers of a POST are far smaller); a
/// larger one frees its key instead.
const MAX_KEPT_ANSWER: usize = 1024 * 1024;

pub async fn idempotent(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let key = request.headers().get("idempotency-key").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let (Some(key), true) = (key, request.method() == Method::POST) else { return next.run(request).await };
    let secret = request.headers().get("mono-sec-key").and_then(|v| v.to_str().ok());
    // Without a valid key the handler answers 401 itself; nothing to keep.
    let Ok(app) = state.passbook.authenticate(secret).await else { return next.run(request).await };
    let (mut parts, body) = request.into_parts();
    // The handler's `AuthApp` finds the app here instead of looking it up again.
    parts.extensions.insert(AuthApp(app.clone()));
    // Statement imports carry files; every other request is small.
    let limit = if parts.uri.path() == "/passbook/v1/statements" { state.max_upload_bytes } else { MAX_BODY_BYTES };
    let Ok(body) = to_bytes(body, limit).await else {
        let message = format!("The request body is larger than the limit of {limit} bytes");
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message).into_response();
    };
    let target = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let fingerprint = request_fingerprint(parts.method.as_str(), target, &body);
    match state.passbook.begin_idempotent(&app, &key, &fingerprint).await {
        Err(err) => ApiError::from(err).into_response(),
        Ok(IdempotencyClaim::Replay(answer)) => replay(answer),
        Ok(IdempotencyClaim::InProgress) => ApiError::new(
            StatusCode::CONFLICT,
            "A request with this Idempotency-Key is still running; retry once it has finished",
        )
        .into_response(),
        Ok(IdempotencyClaim::Mismatch) => ApiError::new(
            StatusCode::CONFLICT,
            "This Idempotency-Key was used for a different request; use a new key for each distinct request",
        )
        .into_response(),
        Ok(IdempotencyClaim::Started) => {
            let response = next.run(Request::from_parts(parts, Body::from(body))).await;
            keep_answer(&state, &app, &key, response).await
        }
    }
}

/// Reads the handler's answer, keeps it for the key (unless it is worth retrying: a server
/// failure, a refusal for load or time, an answer too large to keep) and sends it on.
async fn keep_answer(state: &AppState, app: &passbook_domain::model::App, key: &str, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "could not read an answer to keep it");
            let _ = state.passbook.finish_idempotent(app, key, None).await;
            let message = "Internal server error; the failure was logged";
            return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message).into_response();
        }
    };
    let status = parts.status;
    let transient = status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || body.len() > MAX_KEPT_ANSWER;
    let answer = StoredAnswer {
        status: status.as_u16(),
        content_type: parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string),
        body: body.to_vec(),
    };
    let kept = (!transient).then_some(&answer);
    if let Err(err) = state.passbook.finish_idempotent(app, key, kept).await {
        tracing::error!(error = %err, "could not keep an idempotent answer; the key frees after its lock");
    }
    Response::from_parts(parts, Body::from(body))
}

fn replay(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    if let Some(value) = answer.content_type.as_deref().and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
