use crate::Timestamp;

/// An integrator's application: its keys and where its webhooks go.
#[derive(Debug, Clone)]
pub struct App {
    pub id: String,
    pub name: String,
    /// SHA-256 of the secret key; the key itself is shown once and never stored.
    pub secret_key_hash: String,
    /// The first characters of the secret key, to tell keys apart in listings.
    pub secret_key_hint: String,
    pub public_key: String,
    pub webhook_url: Option<String>,
    pub webhook_secret: String,
    /// The secret before the last rotation, still signing until the time given.
    pub previous_webhook_secret: Option<(String, Timestamp)>,
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

/// A customer of an app: the person who links accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: String,
    pub app_id: String,
    pub name: String,
    pub email: String,
    pub created_at: Timestamp,
}
