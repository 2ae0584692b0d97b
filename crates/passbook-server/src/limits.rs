//! Request rate limits, per client address and per API key, answered `429` in the failed
//! envelope with `Retry-After` and `RateLimit-*` headers. They guard the HTTP surface only:
//! background work is never limited. Counters live in each process's memory, so behind N
//! replicas a client gets up to N times the limit.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use passbook_domain::Error;
use passbook_domain::crypto::hash_secret;

use crate::error::ApiError;

/// Requests per minute (0 switches a limit off).
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Every request from one address.
    pub per_address: u32,
    /// Every request with one `mono-sec-key` or widget public key.
    pub per_key: u32,
    /// From one address: new link sessions (the widget, the Partners API), login or
    /// one-time-code attempts, and statement uploads on the link page. Keeps a public key from
    /// buying unlimited password guesses or statement reads.
    pub link_actions_per_address: u32,
    /// With one public key: new widget sessions, shared by every address beyond its own share.
    pub widget_sessions_per_key: u32,
    /// Of the public-key limits (`per_key`, `widget_sessions_per_key`), what each address may use
    /// without drawing on the key's shared budget: strangers who drain it cannot lock an app's
    /// own users out, since each user's address still has its share.
    pub public_key_share_per_address: u32,
    /// With one secret key: new link sessions and login or code attempts of the Partners API
    /// (server-to-server, for all of an integrator's users).
    pub link_actions_per_key: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_address: 6000,
            per_key: 6000,
            link_actions_per_address: 60,
            widget_sessions_per_key: 600,
            public_key_share_per_address: 10,
            link_actions_per_key: 3000,
        }
    }
}

impl RateLimits {
    /// No limits (benchmarks against the machine's ceiling).
    pub fn off() -> Self {
        Self {
            per_address: 0,
            per_key: 0,
            link_actions_per_address: 0,
            widget_sessions_per_key: 0,
            public_key_share_per_address: 0,
            link_actions_per_key: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    Address,
    Key,
    LinkActions,
    WidgetSessions,
    /// An address's own share of a public-key limit (keyed by the limit, key and address).
    OwnShare,
}

/// A token bucket: `per_minute` tokens, refilled evenly.
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Where one limit stands after a request was counted against it.
struct Standing {
    limit: u32,
    remaining: u32,
    /// Until the bucket is full again (or, when refused, until one request is allowed).
    reset: Duration,
}

/// Buckets this many are swept of full (idle) ones before more are added.
const SWEEP_AT: usize = 100_000;

#[derive(Clone)]
pub struct RateLimiter {
    limits: Arc<RateLimits>,
    buckets: Arc<Mutex<HashMap<(Scope, String), Bucket>>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self { limits: Arc::new(limits), buckets: Default::default() }
    }

    /// Counts one request against the bucket; `Err` when it is empty.
    fn take(&self, scope: Scope, key: &str, per_minute: u32, now: Instant) -> Result<Standing, Standing> {
        let capacity = f64::from(per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().expect("rate-limit buckets");
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, b| b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < capacity);
        }
        let bucket = buckets.entry((scope, key.to_string())).or_insert(Bucket { tokens: capacity, updated: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens < 1.0 {
            let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / per_second);
            return Err(Standing { limit: per_minute, remaining: 0, reset: wait });
        }
        bucket.tokens -= 1.0;
        let refill = Duration::from_secs_f64((capacity - bucket.tokens) / per_second);
        Ok(Standing { limit: per_minute, remaining: whole_tokens(bucket.tokens), reset: refill })
    }
}

/// The whole requests a bucket's tokens allow (`X-RateLimit-Remaining`).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "tokens lie in 0..=per_minute")]
fn whole_tokens(tokens: f64) -> u32 {
    tokens as u32
}

/// One limit a request is counted against.
struct Limit {
    scope: Scope,
    key: String,
    per_minute: u32,
    what: &'static str,
    /// A public-key limit: the address's own share, used before the shared bucket.
    own_share: Option<(String, u32)>,
}

impl Limit {
    fn new(scope: Scope, key: String, per_minute: u32, what: &'static str) -> Self {
        Self { scope, key, per_minute, what, own_share: None }
    }

    /// Each address uses its own share first, so that strangers draining the key's bucket
    /// do not lock out the app's users.
    fn shared_beyond(mut self, share: u32, address: Option<IpAddr>) -> Self {
        if let (true, Some(address)) = (share > 0, address) {
            self.own_share = Some((format!("{:?}:{}:{address}", self.scope, self.key), share));
        }
        self
    }
}

/// What a request is counted against, narrowest first.
fn scopes(limits: &RateLimits, request: &Request, address: Option<IpAddr>) -> Vec<Limit> {
    let mut scopes = Vec::new();
    let path = request.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return scopes;
    }
    let key = api_key(request.headers(), request.uri().query());
    let opens_widget = request.method() == Method::GET && (path == "/connect" || path == "/") && key.is_some();
    // An integrator's backend sends every user's Partners API calls from one address: those are
    // counted by its secret key. Browsers and public keys are counted by address.
    let by_secret_key = request.headers().contains_key("mono-sec-key");
    let link_action = is_link_action(request.method(), path) || opens_widget;
    if let (true, true, Some(key)) = (link_action, by_secret_key, &key) {
        let what = "link sessions and login attempts with this key";
        scopes.push(Limit::new(Scope::LinkActions, hash_secret(key), limits.link_actions_per_key, what));
    }
    if let Some(address) = address {
        if link_action && !by_secret_key {
            let what = "link sessions and login attempts from this address";
            scopes.push(Limit::new(Scope::LinkActions, address.to_string(), limits.link_actions_per_address, what));
        }
        if limits.per_address > 0 {
            scopes.push(Limit::new(
                Scope::Address,
                address.to_string(),
                limits.per_address,
                "requests from this address",
            ));
        }
    }
    // Only a limit that is on is worth the key's hash.
    let counted = limits.per_key > 0 || (opens_widget && limits.widget_sessions_per_key > 0);
    if let Some(key) = key.filter(|_| counted) {
        // Keys are kept only as hashes, here too.
        let hashed = hash_secret(&key);
        let share = if by_secret_key { 0 } else { limits.public_key_share_per_address };
        if opens_widget {
            let what = "widget sessions with this key";
            let limit = Limit::new(Scope::WidgetSessions, hashed.clone(), limits.widget_sessions_per_key, what);
            scopes.push(limit.shared_beyond(share, address));
        }
        let limit = Limit::new(Scope::Key, hashed, limits.per_key, "requests with this key");
        scopes.push(limit.shared_beyond(share, address));
    }
    scopes.retain(|limit| limit.per_minute > 0);
    scopes
}

fn is_link_action(method: &Method, path: &str) -> bool {
    method == Method::POST
        && !path.starts_with("/console")
        && (path.ends_with("/login")
            || path.ends_with("/challenge")
            || (path.starts_with("/link/") && path.ends_with("/statement"))
            || path == "/v2/connect/session"
            || path == "/v2/connect/commit"
            || path == "/v2/connect/reauth/session")
}

fn api_key(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(key) = headers.get("mono-sec-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty()) {
        return Some(key.to_string());
    }
    url::form_urlencoded::parse(query?.as_bytes()).find(|(k, _)| k == "key").map(|(_, v)| v.into_owned())
}

/// The middleware: counts the request in each of its scopes and refuses it at the first empty
/// one; answers carry the standing of the narrowest limit.
pub async fn limit(State(limiter): State<RateLimiter>, request: Request, next: Next) -> Response {
    let address = crate::client_address::of(request.extensions());
    let now = Instant::now();
    let mut narrowest: Option<Standing> = None;
    for limit in scopes(&limiter.limits, &request, address) {
        let own = limit.own_share.as_ref().map(|(key, share)| limiter.take(Scope::OwnShare, key, *share, now));
        let taken = match own {
            Some(Ok(standing)) => Ok(standing),
            _ => limiter.take(limit.scope, &limit.key, limit.per_minute, now),
        };
        match taken {
            Ok(standing) => {
                if narrowest.as_ref().is_none_or(|n| standing.remaining < n.remaining) {
                    narrowest = Some(standing);
                }
            }
            Err(refused) => return too_many(&request, &refused, limit.what),
        }
    }
    let mut response = next.run(request).await;
    if let Some(standing) = narrowest {
        set_headers(response.headers_mut(), &standing);
    }
    response
}

fn too_many(request: &Request, refused: &Standing, what: &str) -> Response {
    let retry = refused.reset.as_secs().max(1);
    let message = format!(
        "Too many {what}: the limit is {} per minute. Retry after {retry} second{}.",
        refused.limit,
        if retry == 1 { "" } else { "s" }
    );
    let path = request.uri().path();
    let mut response = if path.starts_with("/console") {
        crate::console::error_page(StatusCode::TOO_MANY_REQUESTS, &message)
    } else if path.starts_with("/link/") || path == "/connect" || path == "/" {
        crate::pages::error_page(Error::TooManyAttempts(message))
    } else {
        ApiError::from(Error::TooManyAttempts(message)).into_response()
    };
    set_headers(response.headers_mut(), refused);
    response.headers_mut().insert("retry-after", HeaderValue::from(retry));
    response
}

fn set_headers(headers: &mut HeaderMap, standing: &Standing) {
    headers.insert("ratelimit-limit", HeaderValue::from(standing.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(standing.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(standing.reset.as_secs().max(1)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refills_evenly() {
        let limiter = RateLimiter::new(RateLimits::default());
        let start = Instant::now();
        for _ in 0..60 {
            assert!(limiter.take(Scope::Address, "a", 60, start).is_ok());
        }
        let refused = limiter.take(Scope::Address, "a", 60, start).err().expect("the 61st in a minute");
        assert_eq!(refused.reset.as_secs(), 1);
        assert!(limiter.take(Scope::Address, "b", 60, start).is_ok(), "another address has its own bucket");
        assert!(limiter.take(Scope::Address, "a", 60, start + Duration::from_millis(1100)).is_ok());
        assert!(limiter.take(Scope::Address, "a", 60, start + Duration::from_millis(1200)).is_err());
    }
}
