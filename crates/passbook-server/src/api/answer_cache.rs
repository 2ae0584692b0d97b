//! Rendered answers about accounts (details, balance, identity, transaction pages), kept by their
//! `ETag`. Such an answer changes only when a fetch lands, and the tag names the account's
//! version and the request, so an answer with a known tag has the same message, `data` and
//! `meta`: clients that poll (sync loops) get it without the account being read, decrypted,
//! converted and serialised again (the envelope around them is written anew, with this answer's
//! timestamp). The account is still read (scoped to the app) for every
//! request, so another replica's fetch changes the tag here too and a stale page is never sent.
//! Bounded in bytes; when full it starts over.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::HeaderValue;
use serde_json::value::RawValue;

/// An answer about an account, rendered: its message, and its `data` and `meta` as JSON text.
pub struct Rendered {
    pub message: &'static str,
    pub data: Box<RawValue>,
    pub meta: Option<Box<RawValue>>,
}

impl Rendered {
    pub fn new(message: &'static str, data: &impl serde::Serialize) -> Self {
        Self { message, data: raw(data), meta: None }
    }

    pub fn with_meta(mut self, meta: &impl serde::Serialize) -> Self {
        self.meta = Some(raw(meta));
        self
    }

    pub fn len(&self) -> usize {
        self.data.get().len() + self.meta.as_ref().map_or(0, |m| m.get().len())
    }
}

fn raw(value: &impl serde::Serialize) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).expect("wire types serialise to JSON")
}

pub struct AnswerCache {
    max_bytes: usize,
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    pages: HashMap<HeaderValue, Arc<Rendered>>,
    bytes: usize,
}

impl AnswerCache {
    /// `max_bytes` 0 keeps nothing.
    pub fn new(max_bytes: usize) -> Self {
        Self { max_bytes, inner: Mutex::default() }
    }

    pub fn get(&self, tag: &HeaderValue) -> Option<Arc<Rendered>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).pages.get(tag).cloned()
    }

    pub fn put(&self, tag: &HeaderValue, page: &Arc<Rendered>) {
        let size = page.len();
        // One page may take at most an eighth, so that one huge page cannot flush the rest.
        if size > self.max_bytes / 8 {
            return;
        }
        let mut entries = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if entries.bytes + size > self.max_bytes {
            *entries = Entries::default();
        }
        entries.bytes += size;
        if let Some(replaced) = entries.pages.insert(tag.clone(), page.clone()) {
            entries.bytes -= replaced.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(bytes: usize) -> Arc<Rendered> {
        // `"…"` and `0`: the text's length plus three.
        Arc::new(Rendered::new("m", &"x".repeat(bytes - 3)).with_meta(&0))
    }

    fn tag(n: usize) -> HeaderValue {
        HeaderValue::from_str(&format!("W/\"{n}\"")).unwrap()
    }

    #[test]
    fn keeps_pages_within_its_bound() {
        let cache = AnswerCache::new(800);
        cache.put(&tag(1), &page(100));
        cache.put(&tag(1), &page(100));
        assert_eq!(cache.get(&tag(1)).unwrap().len(), 100);
        cache.put(&tag(2), &page(101));
        assert!(cache.get(&tag(2)).is_none(), "larger than an eighth");
        for n in 3..12 {
            cache.put(&tag(n), &page(100));
        }
        let entries = cache.inner.lock().unwrap();
        assert!(entries.bytes <= 800 && entries.bytes == entries.pages.len() * 100);
        assert!(!entries.pages.contains_key(&tag(1)), "started over when full");
    }

    #[test]
    fn zero_keeps_nothing() {
        let cache = AnswerCache::new(0);
        cache.put(&tag(1), &page(10));
        assert!(cache.get(&tag(1)).is_none());
    }
}
