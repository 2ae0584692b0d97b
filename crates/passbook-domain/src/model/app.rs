use super::{AppId, CustomerId};
use crate::Timestamp;

/// An integrator's application: its keys and where its webhooks go.
#[derive(Debug, Clone)]
pub struct App {
    pub id: AppId,
    pub name: String,
    /// SHA-256 of the secret key; the key itself is shown once and never stored.
    pub secret_key_hash: String,
    /// The first characters of the secret key, to tell keys apart in listings.
    pub secret_key_hint: String,
    pub public_key: String,
    pub webhook_url: Option<String>,
    pub webhook_secret: String,
    /// The secret key before the last rotation (its hash), still accepted until the time given.
    pub previous_secret_key: Option<(String, Timestamp)>,
    /// The secret before the last rotation, still signing until the time given.
    pub previous_webhook_secret: Option<(String, Timestamp)>,
    /// How often linked accounts are refreshed: 24, 12 or 6 hours.
    pub refresh_interval_hours: u32,
    pub created_at: Timestamp,
}

impl App {
    /// The secrets that sign a delivery made at `now`: the current one, and the previous one
    /// while its overlap lasts.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&str> {
        let mut secrets = vec![self.webhook_secret.as_str()];
        if let Some((previous, until)) = &self.previous_webhook_secret
            && now < *until
        {
            secrets.push(previous);
        }
        secrets
    }
}

/// A new app together with the secrets that are shown to the operator once.
#[derive(Debug, Clone)]
pub struct CreatedApp {
    pub app: App,
    pub secret_key: String,
}

/// A customer of an app: the person (or business) who links accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: CustomerId,
    pub app_id: AppId,
    pub name: String,
    pub email: String,
    pub profile: CustomerProfile,
    pub created_at: Timestamp,
}

/// What `/v2/customers` adds to a customer beyond name and e-mail. Stored encrypted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustomerProfile {
    pub business: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub business_name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub bvn: Option<String>,
}

impl CustomerProfile {
    /// An individual's profile from a full name: the first word and the rest.
    pub fn from_full_name(name: &str) -> Self {
        let mut words = name.split_whitespace();
        let first = words.next().map(str::to_string);
        let rest: Vec<&str> = words.collect();
        Self { first_name: first, last_name: (!rest.is_empty()).then(|| rest.join(" ")), ..Self::default() }
    }
}
