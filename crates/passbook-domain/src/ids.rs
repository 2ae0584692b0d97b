//! Identifiers and secrets.
use std::sync::atomic::{AtomicU32, Ordering};

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::Timestamp;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A 24-hex id in the form of a Mongo ObjectId, as Mono's ids are: 4 bytes of seconds,
/// 5 random bytes and a 3-byte counter, so ids sort roughly by creation time.
pub fn object_id(now: Timestamp) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "an ObjectId keeps the low 32 bits")]
    let secs = (now.0 / 1000) as u32;
    let random: [u8; 5] = rand::rng().random();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    let mut bytes = Vec::with_capacity(12);
    bytes.extend_from_slice(&secs.to_be_bytes());
    bytes.extend_from_slice(&random);
    bytes.extend_from_slice(&count.to_be_bytes()[1..]);
    hex::encode(bytes)
}

pub fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A random alphanumeric string with about 5.95 bits per character.
pub fn random_alnum(len: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    rand::rng().random()
}

/// An event id like Mono's: 42 alphanumerics.
pub fn event_id() -> String {
    random_alnum(42)
}

/// Whether `s` could be an event id: what [`event_id`] makes (older ids had other lengths, so
/// any run of up to 64 letters and digits).
pub fn is_event_id(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_24_hex_and_distinct() {
        let a = object_id(Timestamp(1_700_000_000_000));
        let b = object_id(Timestamp(1_700_000_000_000));
        assert!(is_object_id(&a) && is_object_id(&b));
        assert_ne!(a, b);
        assert!(a.starts_with("6553f100"));
    }
}
