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
    pub created_at: Timestamp,
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
