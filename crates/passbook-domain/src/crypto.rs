//! Encryption at rest and hashing of secrets.
//!
//! One 32-byte master key (provided by the operator) derives a data key for field encryption
//! (XChaCha20-Poly1305, random 192-bit nonces) and a key for blind indexes (HMAC-SHA256), so
//! that encrypted values such as e-mail addresses can still be matched for equality.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::ids::random_bytes;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key must be 32 bytes of base64 ({0})")]
    BadKey(String),
    #[error("a stored value could not be decrypted (wrong master key, or tampered data)")]
    Decrypt,
}

#[derive(Clone)]
pub struct Vault {
    cipher: XChaCha20Poly1305,
    index_key: [u8; 32],
    statement_seed: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(..)")
    }
}

impl Vault {
    pub fn new(master: [u8; 32]) -> Self {
        let data_key = derive(&master, b"passbook field encryption v1");
        Self {
            cipher: XChaCha20Poly1305::new(&data_key.into()),
            index_key: derive(&master, b"passbook blind index v1"),
            statement_seed: derive(&master, b"passbook statement signing v1"),
        }
    }

    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|e| CryptoError::BadKey(e.to_string()))?;
        let master: [u8; 32] =
            bytes.try_into().map_err(|b: Vec<u8>| CryptoError::BadKey(format!("got {} bytes", b.len())))?;
        Ok(Self::new(master))
    }

    /// A fresh random master key, base64-encoded.
    pub fn generate_key() -> String {
        STANDARD.encode(random_bytes::<32>())
    }

    /// Encrypts `plain`, binding it to `context` (e.g. `customers.email:<id>`) so that a
    /// ciphertext moved to another row or column no longer decrypts.
    pub fn seal(&self, plain: &[u8], context: &str) -> Vec<u8> {
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let nonce = XNonce::from(nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(&nonce, Payload { msg: plain, aad: context.as_bytes() })
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != FORMAT_V1 {
            return Err(CryptoError::Decrypt);
        }
        let nonce = XNonce::from_slice(&sealed[1..1 + NONCE_LEN]);
        self.cipher
            .decrypt(nonce, Payload { msg: &sealed[1 + NONCE_LEN..], aad: context.as_bytes() })
            .map_err(|_| CryptoError::Decrypt)
    }

    pub fn seal_str(&self, plain: &str, context: &str) -> Vec<u8> {
        self.seal(plain.as_bytes(), context)
    }

    pub fn open_str(&self, sealed: &[u8], context: &str) -> Result<String, CryptoError> {
        String::from_utf8(self.open(sealed, context)?).map_err(|_| CryptoError::Decrypt)
    }

    /// The key that signs the statements this installation issues.
    pub fn statement_signer(&self) -> crate::statement_signature::Signer {
        crate::statement_signature::Signer::from_seed(self.statement_seed)
    }

    /// A keyed hash for equality look-ups on an encrypted value.
    pub fn blind_index(&self, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).expect("any key length");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// API secret keys are high-entropy, so one SHA-256 is the right hash for them.
pub fn hash_secret(secret: &str) -> String {
    hex_string(&Sha256::digest(secret.as_bytes()))
}

/// The first 24 hex digits of the SHA-256 of `bytes` (an answer's `ETag`, on every read).
pub fn short_digest(bytes: &[u8]) -> String {
    hex_string(&Sha256::digest(bytes)[..12])
}

/// Lower-case hex through one buffer: `hex::encode` collects one `char` at a time, and these run
/// on every read (the key's hash, the `ETag`).
fn hex_string(bytes: &[u8]) -> String {
    let mut digits = vec![0u8; bytes.len() * 2];
    hex::encode_to_slice(bytes, &mut digits).expect("two hex digits a byte");
    String::from_utf8(digits).expect("hex digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_digest_is_the_start_of_the_hash() {
        assert_eq!(hash_secret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(short_digest(b"abc"), hash_secret("abc")[..24]);
    }

    #[test]
    fn round_trip_and_context_binding() {
        let vault = Vault::new([7; 32]);
        let sealed = vault.seal_str("secret", "t.c:1");
        assert_eq!(vault.open_str(&sealed, "t.c:1").unwrap(), "secret");
        assert!(vault.open_str(&sealed, "t.c:2").is_err());
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert!(Vault::new([8; 32]).open(&sealed, "t.c:1").is_err());
    }

    #[test]
    fn blind_index_is_stable_and_keyed() {
        let a = Vault::new([1; 32]);
        assert_eq!(a.blind_index("x@y.z"), a.blind_index("x@y.z"));
        assert_ne!(a.blind_index("x@y.z"), Vault::new([2; 32]).blind_index("x@y.z"));
    }

    #[test]
    fn key_from_base64() {
        assert!(Vault::from_base64(&Vault::generate_key()).is_ok());
        assert!(Vault::from_base64("c2hvcnQ=").is_err());
    }
}
