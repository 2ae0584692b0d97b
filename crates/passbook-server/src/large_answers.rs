//! Large answers in flight, per key. An answer is held in memory until the client has read it,
//! and a busy account's unpaginated transactions are tens of megabytes: one key asking for many
//! at once and reading them slowly would hold that many times over. Answers of a megabyte or more
//! count against their key (the secret key, else the client's address) while they are being
//! written; past the cap the next one is answered 429 and its bytes dropped at once.
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use passbook_domain::crypto::hash_secret;

use crate::error::ApiError;

/// An answer this large counts as large.
pub const LARGE_ANSWER_BYTES: u64 = 1024 * 1024;
/// How much of a large answer is handed to the connection at a time, so that the answer counts
/// until the client has nearly read it (hyper takes the next piece only when the last is sent).
const PIECE: usize = 64 * 1024;

/// Large answers being written, per key.
#[derive(Clone)]
pub struct LargeAnswers {
    per_key: usize,
    writing: Arc<Mutex<HashMap<String, usize>>>,
}

impl LargeAnswers {
    /// At most `per_key` at once per key (0: no cap).
    pub fn new(per_key: usize) -> Self {
        Self { per_key, writing: Arc::default() }
    }

    fn take(&self, key: String) -> Option<Writing> {
        let mut writing = self.writing.lock().expect("the counts are never left half-changed");
        let count = writing.entry(key.clone()).or_default();
        if self.per_key > 0 && *count >= self.per_key {
            return None;
        }
        *count += 1;
        Some(Writing { answers: self.clone(), key })
    }
}

/// One large answer counted against its key until it is dropped.
struct Writing {
    answers: LargeAnswers,
    key: String,
}

impl Drop for Writing {
    fn drop(&mut self) {
        let mut writing = self.answers.writing.lock().expect("the counts are never left half-changed");
        if let Some(count) = writing.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                writing.remove(&self.key);
            }
        }
    }
}

pub async fn limit(State(answers): State<LargeAnswers>, request: Request, next: Next) -> Response {
    // Who asked, kept as sent: the key is worked out only for the few answers that are large.
    let secret = request.headers().get("mono-sec-key").cloned();
    let address = crate::client_address::of(request.extensions());
    let response = next.run(request).await;
    if response.body().size_hint().exact().is_none_or(|size| size < LARGE_ANSWER_BYTES) {
        return response;
    }
    let key = match secret.as_ref().and_then(|k| k.to_str().ok()) {
        Some(secret) => hash_secret(secret),
        None => address.map_or_else(String::new, |ip| ip.to_string()),
    };
    let Some(writing) = answers.take(key) else {
        let message = format!(
            "This key has {} large answers (a megabyte or more) still being read; read them first, or ask for \
             smaller pages (limit and page)",
            answers.per_key
        );
        let mut refused = ApiError::new(StatusCode::TOO_MANY_REQUESTS, message).into_response();
        refused.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return refused;
    };
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => Response::from_parts(parts, Body::new(Pieces { bytes, _writing: writing })),
        Err(_) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "The answer could not be written").into_response(),
    }
}

/// An answer handed over a piece at a time, counted until the last piece is taken.
struct Pieces {
    bytes: Bytes,
    _writing: Writing,
}

impl HttpBody for Pieces {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.bytes.is_empty() {
            return Poll::Ready(None);
        }
        let piece = this.bytes.split_to(this.bytes.len().min(PIECE));
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.bytes.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.bytes.len() as u64)
    }
}
