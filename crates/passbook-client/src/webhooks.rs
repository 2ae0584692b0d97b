//! Verifying the webhooks Passbook (and Mono) send. Passbook signs every delivery two ways:
//! `mono-webhook-secret` (Mono's header: the app's webhook secret itself) and the Standard
//! Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`: an HMAC-SHA256 of
//! `{id}.{timestamp}.{body}`), which prove the body too. Prefer the signature.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a signature's timestamp may be from now, as the Standard Webhooks libraries allow.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("the signing secret is not a whsec_ secret")]
    BadSecret,
    #[error("the timestamp is not within {TOLERANCE_SECS} s of now")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks the Standard Webhooks signature of a delivery: `headers` are the request's (any type
/// that can look one up by name), `body` the raw bytes, `secret` the app's `whsec_…` secret
/// (during a rotation, try the new and then the old one), `now_secs` the current Unix time.
pub fn verify(
    header: impl Fn(&str) -> Option<String>,
    body: &[u8],
    secret: &str,
    now_secs: i64,
) -> Result<(), Refused> {
    let id = header("webhook-id").ok_or(Refused::Missing("webhook-id"))?;
    let timestamp = header("webhook-timestamp").ok_or(Refused::Missing("webhook-timestamp"))?;
    let signatures = header("webhook-signature").ok_or(Refused::Missing("webhook-signature"))?;
    let at: i64 = timestamp.trim().parse().map_err(|_| Refused::Stale)?;
    if (now_secs - at).abs() > TOLERANCE_SECS {
        return Err(Refused::Stale);
    }
    let key = secret.strip_prefix("whsec_").and_then(|k| STANDARD.decode(k).ok()).ok_or(Refused::BadSecret)?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).map_err(|_| Refused::BadSecret)?;
    mac.update(format!("{id}.{at}.").as_bytes());
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    // Several signatures, space separated, during a secret rotation; each `v1,<base64>`.
    let matches = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| STANDARD.decode(s).ok())
        .any(|given| constant_time_eq(&given, &expected));
    if matches { Ok(()) } else { Err(Refused::Mismatch) }
}

/// Checks Mono's `mono-webhook-secret` header against the app's webhook secret.
pub fn verify_mono_secret(header: impl Fn(&str) -> Option<String>, secret: &str) -> Result<(), Refused> {
    let given = header("mono-webhook-secret").ok_or(Refused::Missing("mono-webhook-secret"))?;
    if constant_time_eq(given.as_bytes(), secret.as_bytes()) { Ok(()) } else { Err(Refused::Mismatch) }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    /// The test vector of the Standard Webhooks specification's reference libraries.
    fn headers(signature: &str) -> impl Fn(&str) -> Option<String> {
        let signature = signature.to_string();
        move |name| match name {
            "webhook-id" => Some("msg_p5jXN8AQM9LWM0D4loKWxJek".into()),
            "webhook-timestamp" => Some("1614265330".into()),
            "webhook-signature" => Some(signature.clone()),
            _ => None,
        }
    }

    #[test]
    fn accepts_the_specification_vector_and_refuses_changes() {
        let good = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert_eq!(verify(headers(good), BODY, SECRET, 1614265330), Ok(()));
        assert_eq!(verify(headers(&format!("v1,AAAA {good}")), BODY, SECRET, 1614265330), Ok(()), "any of several");
        assert_eq!(verify(headers(good), br#"{"test": 1}"#, SECRET, 1614265330), Err(Refused::Mismatch));
        assert_eq!(verify(headers(good), BODY, SECRET, 1614265330 + 301), Err(Refused::Stale));
        assert_eq!(verify(headers(good), BODY, "not-a-secret", 1614265330), Err(Refused::BadSecret));
        assert_eq!(verify(|_| None, BODY, SECRET, 0), Err(Refused::Missing("webhook-id")));
    }

    #[test]
    fn mono_secret_header() {
        let header = |name: &str| (name == "mono-webhook-secret").then(|| "whsec_abc".to_string());
        assert_eq!(verify_mono_secret(header, "whsec_abc"), Ok(()));
        assert_eq!(verify_mono_secret(header, "whsec_abd"), Err(Refused::Mismatch));
    }
}
