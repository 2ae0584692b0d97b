//! A typed async client for the API Passbook serves: Mono's v2 endpoints (so it works against
//! `https://api.withmono.com` by changing the base URL) and Passbook's own `/passbook/v1`, plus
//! helpers that verify webhooks ([`webhooks`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), passbook_client::Error> {
//! let client = passbook_client::Client::new("http://127.0.0.1:8080", "test_sk_…");
//! let account = client.account("6b0cfed609232771d80007df").await?;
//! let page = client.transactions(&account.account.id, &Default::default()).await?;
//! println!("{} transactions, first page {}", page.meta.total, page.data.len());
//! # Ok(()) }
//! ```
mod accounts;
mod connect;
mod passbook;
pub mod webhooks;

use passbook_types::{Failure, FieldError};
use reqwest::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use passbook_types as types;

/// Mono's production API.
pub const MONO_API: &str = "https://api.withmono.com";

/// What a call can come to besides its answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API answered with its failed envelope.
    #[error("{status}: {message}")]
    Api {
        status: u16,
        message: String,
        /// Which fields were wrong, when the API says.
        fields: Vec<FieldError>,
    },
    /// No answer: the connection failed or timed out.
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
    /// An answer this client cannot read.
    #[error("unexpected answer ({status}): {problem}")]
    Decode { status: u16, problem: String },
}

/// A page of a list, with the API's `meta` (totals and the `next`/`previous` links).
#[derive(Debug, Clone)]
pub struct Page<T, M> {
    pub data: Vec<T>,
    pub meta: M,
}

/// A client for one app, identified by its secret key (`mono-sec-key`).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    secret_key: String,
    /// Sends `x-realtime: true`: data fresh from the bank (Mono bills each such call).
    realtime: bool,
}

impl Client {
    /// A client of the API at `base` (Passbook's URL, or [`MONO_API`]).
    pub fn new(base: &str, secret_key: &str) -> Self {
        // reqwest is built without a default TLS provider; ring it is (as in Passbook itself).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder().build().expect("an HTTP client builds");
        Self::with_http(http, base, secret_key)
    }

    /// The same, on an HTTP client of the caller's (timeouts, proxies).
    pub fn with_http(http: reqwest::Client, base: &str, secret_key: &str) -> Self {
        Self { http, base: base.trim_end_matches('/').to_string(), secret_key: secret_key.to_string(), realtime: false }
    }

    /// The same client, asking for data fresh from the bank (`x-realtime: true`) when `on`.
    pub fn realtime(&self, on: bool) -> Self {
        Self { realtime: on, ..self.clone() }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request =
            self.http.request(method, format!("{}{path}", self.base)).header("mono-sec-key", &self.secret_key);
        if self.realtime { request.header("x-realtime", "true") } else { request }
    }

    /// Sends `request` and reads `data` (and `meta`) of the success envelope.
    async fn send<T: DeserializeOwned, M: DeserializeOwned>(&self, request: RequestBuilder) -> Result<(T, M), Error> {
        #[derive(serde::Deserialize)]
        struct Envelope<T, M> {
            data: T,
            meta: M,
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        if !(200..300).contains(&status) {
            return Err(failure(status, &bytes));
        }
        let decode = |e: serde_json::Error| Error::Decode { status, problem: e.to_string() };
        // `meta` is absent from most answers; `M` is then `Option<_>` or `Value`.
        let mut value: serde_json::Value = serde_json::from_slice(&bytes).map_err(decode)?;
        if value.get("meta").is_none() {
            value["meta"] = serde_json::Value::Null;
        }
        let envelope: Envelope<T, M> = serde_json::from_value(value).map_err(decode)?;
        Ok((envelope.data, envelope.meta))
    }

    /// `data` of the answer.
    async fn data<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, Error> {
        Ok(self.send::<T, serde_json::Value>(request).await?.0)
    }

    /// `data` and `meta` of a list's answer.
    async fn page<T: DeserializeOwned, M: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<Page<T, M>, Error> {
        let (data, meta) = self.send(request).await?;
        Ok(Page { data, meta })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.data(self.request(Method::GET, path)).await
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, Error> {
        self.data(self.request(Method::POST, path).json(body)).await
    }
}

/// The failed envelope, or what the answer was when it is not one.
fn failure(status: u16, body: &[u8]) -> Error {
    match serde_json::from_slice::<Failure>(body) {
        Ok(failed) => Error::Api { status, message: failed.message, fields: failed.data.unwrap_or_default() },
        Err(_) => Error::Decode { status, problem: String::from_utf8_lossy(body).chars().take(200).collect() },
    }
}
