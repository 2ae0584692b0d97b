//! `Idempotency-Key` on `POST` requests, with Stripe's semantics: the same key with the same
//! request replays the first answer for 24 hours; with another request it is refused; retries
//! that race each other run once.
use sha2::{Digest, Sha256};

use super::Passbook;
use crate::model::App;
use crate::store::{IdempotencyClaim, StoredAnswer};
use crate::{Error, Result};

/// How long a key's answer is replayed.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// A first request still running after this is taken for dead (longer than any request may take).
const RUNNING_LOCK_MS: i64 = 60 * 1000;
const MAX_KEY_LEN: usize = 255;

/// The fingerprint of a request: what must be the same for a key to replay.
pub fn request_fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [method.as_bytes(), b"\n", path_and_query.as_bytes(), b"\n", body] {
        hash.update(part);
    }
    hex::encode(hash.finalize())
}

impl Passbook {
    pub async fn begin_idempotent(&self, app: &App, key: &str, fingerprint: &str) -> Result<IdempotencyClaim> {
        if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid(
                "Idempotency-Key",
                format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
            ));
        }
        let now = self.clock.now();
        let (lock, expired) = (now.plus_millis(RUNNING_LOCK_MS), now.plus_millis(-IDEMPOTENCY_TTL_MS));
        self.store.begin_idempotent(&app.id, key, fingerprint, now, lock, expired).await
    }

    /// Keeps the answer for replay; transient failures (`None`) free the key for a retry. With
    /// the database unavailable (the usual reason a request failed), it is tried again in the
    /// background until the key's running lock would have freed it anyway, so that the client's
    /// retry is not told the request is still running.
    pub async fn finish_idempotent(&self, app: &App, key: &str, answer: Option<&StoredAnswer>) -> Result<()> {
        match self.store.finish_idempotent(&app.id, key, answer).await {
            Err(Error::Unavailable(why)) => {
                tracing::warn!(%why, "an idempotency key is released once the database is back");
                let (store, app_id, key, answer) =
                    (self.store.clone(), app.id.clone(), key.to_string(), answer.cloned());
                tokio::spawn(async move {
                    let give_up =
                        tokio::time::Instant::now() + std::time::Duration::from_millis(RUNNING_LOCK_MS as u64);
                    while tokio::time::Instant::now() < give_up {
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                        if store.finish_idempotent(&app_id, &key, answer.as_ref()).await.is_ok() {
                            return;
                        }
                    }
                });
                Ok(())
            }
            other => other,
        }
    }
}
