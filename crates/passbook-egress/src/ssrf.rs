//! Refusing URLs that point inside the operator's network (SSRF). The check runs on
//! the addresses a name resolves to, at connect time, so a public-looking name cannot smuggle
//! in an internal address. Which addresses are internal is the domain's rule (`net`).
use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

pub use passbook_domain::net::is_internal;

/// A host that is internal: the request is refused (a webhook delivery, for good).
#[derive(Debug)]
pub struct Refused {
    pub host: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "refused: {} is a private, loopback or link-local address (set PASSBOOK_WEBHOOK_ALLOW_PRIVATE=true to allow it)",
            self.host
        )
    }
}

impl std::error::Error for Refused {}

/// A resolver that drops internal addresses and fails when none are left.
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| !is_internal(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(Refused { host }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}
