//! Outbound HTTP. To addresses that users or apps name (webhook URLs, the URLs a SimpleFIN
//! setup token decodes to), every request goes through one guard, so a URL cannot reach inside
//! the operator's network (SSRF) unless the operator allows private addresses; to upstreams the
//! operator configured (Mono, Enable Banking), the same client without the guard.
mod ssrf;

use std::sync::Arc;
use std::time::Duration;

pub use ssrf::{PublicOnlyResolver, Refused, is_internal};

/// An HTTP client for user-named URLs, and whether private addresses are allowed.
#[derive(Clone)]
pub struct Egress {
    client: reqwest::Client,
    allow_private: bool,
}

impl Egress {
    /// A client that follows no redirects (a redirect could lead anywhere) and, unless
    /// `allow_private`, connects only to public addresses.
    pub fn new(user_agent: &str, timeout: Duration, allow_private: bool) -> Self {
        // reqwest is built without a default TLS provider (to avoid aws-lc's C build); ring it is.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(user_agent);
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
        }
        Self { client: builder.build().expect("the HTTP client builds"), allow_private }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// Refuses a URL whose host is known to be internal without a DNS lookup (an IP literal,
    /// `localhost`); names are checked by the resolver when they are looked up.
    pub fn check(&self, url: &reqwest::Url) -> Result<(), Refused> {
        if self.allow_private {
            return Ok(());
        }
        match url.host_str().and_then(passbook_domain::net::internal_host) {
            Some(host) => Err(Refused { host }),
            None => Ok(()),
        }
    }
}

/// A client for addresses the operator configured (an upstream's API): no redirects followed,
/// and no address guard (an operator may run the upstream on its own network).
pub fn operator_client(user_agent: &str, timeout: Duration) -> reqwest::Client {
    builder(user_agent, timeout).build().expect("the HTTP client builds")
}

fn builder(user_agent: &str, timeout: Duration) -> reqwest::ClientBuilder {
    // reqwest is built without a default TLS provider (to avoid aws-lc's C build); ring it is.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none()).user_agent(user_agent)
}

/// The answer's body, up to `limit` bytes; `None` when it is larger (the rest is never read),
/// so an address a user named cannot make Passbook hold an unbounded answer.
pub async fn body_within(mut response: reqwest::Response, limit: usize) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if response.content_length().is_some_and(|length| length > limit as u64) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// The guard's refusal, where one caused a request's failure.
pub fn refusal(err: &reqwest::Error) -> Option<&Refused> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        source = e.source();
    }
    None
}
