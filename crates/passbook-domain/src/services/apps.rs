use super::Passbook;

/// How often accounts are refreshed unless the app chooses otherwise.
pub const DEFAULT_REFRESH_HOURS: u32 = 24;
pub const REFRESH_INTERVALS: [u32; 3] = [24, 12, 6];
use crate::crypto::hash_secret;
use crate::model::{App, AppId, CreatedApp};
use crate::{Error, Result, Timestamp, ids, net};

/// Overlaps an operator may give a rotated secret key, in hours (0: the old key stops now).
pub const KEY_OVERLAPS_HOURS: [i64; 4] = [0, 1, 24, 72];

/// A secret key just made: shown once.
pub struct RotatedKey {
    pub secret_key: String,
    pub previous_valid_until: Option<Timestamp>,
}

impl Passbook {
    /// Creates an app with fresh keys. The secret key is returned once and stored only as a
    /// hash.
    pub async fn create_app(&self, name: &str, webhook_url: Option<&str>) -> Result<CreatedApp> {
        self.create_app_as(name, webhook_url, "cli").await
    }

    /// [`Passbook::create_app`], audited as made by `actor`.
    pub(crate) async fn create_app_as(&self, name: &str, webhook_url: Option<&str>, actor: &str) -> Result<CreatedApp> {
        let name = super::initiate::app_name(name)?;
        let webhook_url = webhook_url.map(|u| self.parse_webhook_url(u)).transpose()?;
        let now = self.clock.now();
        let secret_key = new_secret_key();
        let app = App {
            id: ids::object_id(now).into(),
            name,
            secret_key_hash: hash_secret(&secret_key),
            secret_key_hint: key_hint(&secret_key),
            public_key: format!("test_pk_{}", ids::random_alnum(24)),
            webhook_url,
            webhook_secret: super::webhooks::new_webhook_secret(),
            previous_webhook_secret: None,
            previous_secret_key: None,
            refresh_interval_hours: DEFAULT_REFRESH_HOURS,
            created_at: now,
        };
        self.store.insert_app(&app, &self.audit_entry(actor, &app.id, "app_created", &app.id, &app.name)).await?;
        Ok(CreatedApp { app, secret_key })
    }

    /// The app with this id, or the only app when `id` is `None`.
    pub async fn find_app(&self, id: Option<&AppId>) -> Result<App> {
        match id {
            Some(id) => self.store.app(id).await?.ok_or_else(|| Error::not_found(format!("No app with id '{id}'"))),
            None => {
                let mut apps = self.store.list_apps().await?;
                match apps.len() {
                    1 => Ok(apps.remove(0)),
                    0 => Err(Error::not_found("There is no app yet; create one with `passbook apps create`")),
                    n => Err(Error::invalid("app", format!("There are {n} apps; say which with --app <id>"))),
                }
            }
        }
    }

    pub async fn list_apps(&self) -> Result<Vec<App>> {
        self.store.list_apps().await
    }

    /// Sets (or with `None` clears) where the app's webhooks go.
    pub async fn set_webhook_url(&self, app_id: &AppId, url: Option<&str>, actor: &str) -> Result<()> {
        let url = url.map(|u| self.parse_webhook_url(u)).transpose()?;
        let audit = self.audit_entry(actor, app_id, "webhook_url_changed", app_id, url.as_deref().unwrap_or("(none)"));
        let found = self.store.set_webhook_url(app_id, url.as_deref(), &audit).await?;
        self.apps.clear();
        if !found {
            return Err(Error::not_found(format!("No app with id '{app_id}'")));
        }
        Ok(())
    }

    pub(crate) async fn rename_app(&self, app_id: &AppId, name: &str, actor: &str) -> Result<()> {
        let name = super::initiate::app_name(name)?;
        let audit = self.audit_entry(actor, app_id, "app_renamed", app_id, &name);
        if !self.store.rename_app(app_id, &name, &audit).await? {
            return Err(Error::not_found(format!("No app with id '{app_id}'")));
        }
        self.apps.clear();
        Ok(())
    }

    /// A new secret key; the current one keeps working for `overlap_hours`.
    pub(crate) async fn rotate_secret_key(
        &self,
        app_id: &AppId,
        overlap_hours: i64,
        actor: &str,
    ) -> Result<RotatedKey> {
        if !KEY_OVERLAPS_HOURS.contains(&overlap_hours) {
            return Err(Error::invalid("overlap_hours", "overlap_hours must be 0, 1, 24 or 72"));
        }
        let now = self.clock.now();
        // A key rolled earlier was promised its own overlap: a second rotation with an overlap
        // would cut it short without saying so. Overlap 0 ends every older key now, on purpose.
        if overlap_hours > 0
            && let Some((_, until)) = self.find_app(Some(app_id)).await?.previous_secret_key
            && until > now
        {
            return Err(Error::Conflict(format!(
                "The previous secret key still works until {} (the last rotation's overlap); rotate again after \
                 then, or with overlap 0 to end every older key now",
                until.to_iso()
            )));
        }
        let secret_key = new_secret_key();
        let until = now.plus_millis(overlap_hours * 3_600_000);
        let audit =
            self.audit_entry(actor, app_id, "secret_key_rotated", app_id, &format!("overlap {overlap_hours} h"));
        let found = self
            .store
            .rotate_secret_key(app_id, &hash_secret(&secret_key), &key_hint(&secret_key), until, &audit)
            .await?;
        self.apps.clear();
        if !found {
            return Err(Error::not_found(format!("No app with id '{app_id}'")));
        }
        Ok(RotatedKey { secret_key, previous_valid_until: (overlap_hours > 0).then_some(until) })
    }

    /// An absolute http(s) URL; outside sandbox mode not one known to be internal (the
    /// addresses a name resolves to are checked on every delivery).
    fn parse_webhook_url(&self, raw: &str) -> Result<String> {
        let url = parse_http_url("webhook_url", raw)?;
        if !self.settings.allow_private_webhooks
            && let Some(host) = url::Url::parse(&url).ok().and_then(|u| u.host_str().and_then(net::internal_host))
        {
            return Err(Error::invalid(
                "webhook_url",
                format!("webhook_url must reach a public address; {host} is private, loopback or otherwise internal"),
            ));
        }
        Ok(url)
    }

    /// How often the app's accounts are refreshed: every 24, 12 or 6 hours.
    pub async fn set_refresh_interval(&self, app_id: &AppId, hours: u32, actor: &str) -> Result<()> {
        if !REFRESH_INTERVALS.contains(&hours) {
            return Err(Error::invalid(
                "refresh_interval_hours",
                format!("refresh_interval_hours must be 24, 12 or 6, got {hours}"),
            ));
        }
        let audit = self.audit_entry(actor, app_id, "refresh_interval_changed", app_id, &format!("{hours} h"));
        let found = self.store.set_refresh_interval(app_id, hours, Some(&audit)).await?;
        self.apps.clear();
        if !found {
            return Err(Error::not_found(format!("No app with id '{app_id}'")));
        }
        Ok(())
    }

    /// Creates the sandbox app on a database that has none.
    pub async fn ensure_sandbox_app(&self, webhook_url: Option<&str>) -> Result<Option<CreatedApp>> {
        if !self.store.list_apps().await?.is_empty() {
            return Ok(None);
        }
        self.create_app_as("Sandbox app", webhook_url, "passbook").await.map(Some)
    }

    /// The app a `mono-sec-key` belongs to.
    pub async fn authenticate(&self, secret_key: Option<&str>) -> Result<App> {
        let key = secret_key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| Error::Unauthorized("Missing mono-sec-key header: send your app's secret key".into()))?;
        let hash = hash_secret(key);
        if let Some(app) = self.apps.get(&hash) {
            return Ok(app);
        }
        let app = self
            .store
            .app_by_secret_hash(&hash, self.clock.now())
            .await?
            .ok_or_else(|| Error::Unauthorized("Invalid mono-sec-key: no app has this secret key".into()))?;
        self.apps.put(&app);
        Ok(app)
    }
}

/// A new secret key; only its hash and its first characters (the hint) are kept.
pub(crate) fn new_secret_key() -> String {
    format!("test_sk_{}", ids::random_alnum(32))
}

/// How many of a secret key's first characters tell it apart in listings and the audit log.
const SECRET_KEY_HINT_CHARS: usize = 12;

/// A key's hint: its first characters.
pub fn key_hint(key: &str) -> String {
    key.chars().take(SECRET_KEY_HINT_CHARS).collect()
}

/// An absolute http(s) URL, or an error naming `field`.
pub(crate) fn parse_http_url(field: &str, raw: &str) -> Result<String> {
    let bad = || Error::invalid(field, format!("{field} must be an absolute http(s) URL, got '{raw}'"));
    // `url` drops or escapes spaces and control characters inside; a URL with them is a typo.
    if raw.trim().chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    // Written as browsers read it, or refused: `http:/\evil.com` parses here as one URL and is
    // followed by a browser as another (backslashes are slashes there, and missing ones added).
    let lower = raw.trim().to_ascii_lowercase();
    if raw.contains('\\') || !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(bad());
    }
    let url = url::Url::parse(raw.trim()).map_err(|_| bad())?;
    // A host name is letters, digits, hyphens and dots (`url` lets `*` and the like through).
    let host_ok = match url.host() {
        Some(url::Host::Domain(name)) => name
            .split('.')
            .all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')),
        Some(_) => true,
        None => false,
    };
    if !matches!(url.scheme(), "http" | "https") || !host_ok {
        return Err(bad());
    }
    Ok(raw.trim().to_string())
}
