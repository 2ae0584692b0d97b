//! Apps by the hash of their secret key, kept in memory for a few seconds: every API request
//! authenticates, and looking the app up was one of the few database round trips of a read.
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::model::App;

/// How long another process's change to an app (its webhook URL, refresh interval or webhook
/// secret, set with the CLI or on another replica) may go unseen here. Changes made through this
/// process are seen at once. Secret keys never change, so a key is never honoured longer than it
/// exists.
pub const APP_CACHE_TTL: Duration = Duration::from_secs(5);

/// Past this many keys the cache starts over, so random keys cannot grow it (unknown keys are
/// never kept anyway).
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct AppCache {
    entries: RwLock<HashMap<String, (App, Instant)>>,
}

impl AppCache {
    pub fn get(&self, secret_hash: &str) -> Option<App> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.get(secret_hash).filter(|(_, at)| at.elapsed() < APP_CACHE_TTL).map(|(app, _)| app.clone())
    }

    pub fn put(&self, app: &App) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(app.secret_key_hash.clone(), (app.clone(), Instant::now()));
    }

    /// After this process changed an app.
    pub fn clear(&self) {
        self.entries.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl std::fmt::Debug for AppCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppCache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(hash: &str) -> App {
        App {
            id: format!("app-{hash}").into(),
            name: "A".into(),
            secret_key_hash: hash.into(),
            secret_key_hint: "test_sk_abcd".into(),
            public_key: "test_pk_x".into(),
            webhook_url: None,
            webhook_secret: "whsec".into(),
            previous_webhook_secret: None,
            previous_secret_key: None,
            refresh_interval_hours: 24,
            created_at: crate::Timestamp(0),
        }
    }

    #[test]
    fn keeps_known_keys_until_cleared_and_never_grows_past_its_bound() {
        let cache = AppCache::default();
        assert!(cache.get("h1").is_none());
        cache.put(&app("h1"));
        assert_eq!(cache.get("h1").unwrap().id, "app-h1");
        cache.clear();
        assert!(cache.get("h1").is_none());
        for n in 0..MAX_ENTRIES + 5 {
            cache.put(&app(&n.to_string()));
        }
        assert!(cache.entries.read().unwrap().len() <= MAX_ENTRIES);
        assert!(cache.get(&(MAX_ENTRIES + 4).to_string()).is_some());
    }
}
